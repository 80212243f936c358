/**
 * Typed frames of wire protocol v1 (see `docs/protocol.md`).
 *
 * @module
 */

import type { ErrorCode } from "./codes.ts";

/** A request id: a string of at most 64 characters or a safe integer. */
export type RequestId = string | number;

/** `subscribe`: start receiving publications on a topic or pattern. */
export interface SubscribeFrame {
  /** Frame type. */
  type: "subscribe";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A topic or pattern. */
  topic: string;
}

/** `unsubscribe`: stop receiving publications on a topic or pattern. */
export interface UnsubscribeFrame {
  /** Frame type. */
  type: "unsubscribe";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** The topic or pattern given to `subscribe`. */
  topic: string;
}

/**
 * `publish`: send a payload to every subscriber of a concrete topic. A
 * signed publication carries a compact JWS in `jws` instead of `payload`
 * (see `docs/protocol.md`, "Signed publications").
 */
export interface PublishFrame {
  /** Frame type. */
  type: "publish";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A concrete topic (no wildcard). */
  topic: string;
  /** Any JSON value; `null` when absent, and always `null` for a signed publication. */
  payload: unknown;
  /** A signed publication: the compact JWS whose `data` claim is the payload. */
  jws?: string;
}

/** `auth`: first-message authentication or token refresh. */
export interface AuthFrame {
  /** Frame type. */
  type: "auth";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A JWT. */
  token: string;
}

/** `ping`: answered with `pong`. */
export interface PingFrame {
  /** Frame type. */
  type: "ping";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
}

/** Any frame a client may send. */
export type ClientFrame =
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | AuthFrame
  | PingFrame;

/** `welcome`: sent once a connection is authenticated. */
export interface WelcomeFrame {
  /** Frame type. */
  type: "welcome";
  /** Echo of the `auth` frame's id, for first-message authentication. */
  id?: RequestId;
  /** Server-assigned connection id. */
  connectionId: string;
  /** The authenticated subject. */
  user: string;
  /** Token expiry in epoch milliseconds, or `null`. */
  expiresAt: number | null;
}

/** `ack`: a request succeeded. */
export interface AckFrame {
  /** Frame type. */
  type: "ack";
  /** Echo of the request id. */
  id?: RequestId;
  /** On a token refresh: the new expiry. */
  expiresAt?: number | null;
}

/** `pong`: the answer to `ping`. */
export interface PongFrame {
  /** Frame type. */
  type: "pong";
  /** Echo of the request id. */
  id?: RequestId;
}

/** `message`: a publication on a subscribed topic, or a message sent directly to the user. */
export interface MessageFrame {
  /** Frame type. */
  type: "message";
  /** The concrete topic it was published on; `null` for a message sent directly to the user. */
  topic: string | null;
  /** The published payload. */
  payload: unknown;
  /** The publisher's subject, or `null` for server-originated messages. */
  from: string | null;
  /** Publication time in epoch milliseconds. */
  ts: number;
  /** Event name of a server-pushed event. */
  event?: string;
  /** For a signed publication: the compact JWS exactly as published, to verify without trusting the hub. */
  jws?: string;
}

/** `error`: a request failed, or the connection broke a rule. */
export interface ErrorFrame {
  /** Frame type. */
  type: "error";
  /** Echo of the failed request's id, when it had a valid one. */
  id?: RequestId;
  /** Stable error code. */
  code: ErrorCode;
  /** Human-readable explanation, safe to show. */
  message: string;
  /** Whether retrying the same request can succeed. */
  retry: boolean;
}

/** `unsubscribed`: the server ended a subscription. */
export interface UnsubscribedFrame {
  /** Frame type. */
  type: "unsubscribed";
  /** The topic or pattern that was subscribed. */
  topic: string;
  /** Why it ended. */
  code: ErrorCode;
}

/** `token_expiring`: the token expires soon; send `auth` with a fresh one. */
export interface TokenExpiringFrame {
  /** Frame type. */
  type: "token_expiring";
  /** Token expiry in epoch milliseconds. */
  expiresAt: number;
}

/** Any frame the server may send. */
export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | PongFrame
  | MessageFrame
  | ErrorFrame
  | UnsubscribedFrame
  | TokenExpiringFrame;
