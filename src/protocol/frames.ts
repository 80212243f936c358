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
  /**
   * Where the client left off: the hub replays what was published after it
   * (all or nothing) and says in the reply whether it could. Concrete topics
   * only.
   */
  since?: TopicPosition;
  /** Whether to receive `join` and `leave` frames for the topic. Concrete topics only. */
  presence?: boolean;
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
  /**
   * Makes the publish safe to retry: a publish that repeats a key its user
   * sent on the same topic within the engine's window is not published
   * again, and its `ack` carries the first one's position.
   */
  idempotencyKey?: string;
}

/**
 * A position in a topic's stream: the offset of a publication (0 before the
 * first) and the epoch it belongs to. Offsets are only comparable within one
 * epoch.
 */
export interface TopicPosition {
  /** A non-negative safe integer. */
  offset: number;
  /** The stream's identity, 1 to 64 characters. */
  epoch: string;
}

/** `history`: read what a topic's history holds. */
export interface HistoryFrame {
  /** Frame type. */
  type: "history";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A concrete topic. */
  topic: string;
  /**
   * Read after this position (oldest first) or before it (`reverse`); from
   * the oldest (or newest) when absent. Another epoch returns no publications.
   */
  since?: TopicPosition;
  /** At most this many publications, 0 to 1000; 0 reads only the position. The hub's default is 100. */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** `presence`: who is subscribed to a topic. */
export interface PresenceFrame {
  /** Frame type. */
  type: "presence";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A concrete topic. */
  topic: string;
}

/** `presence_stats`: how many connections and distinct users are subscribed to a topic. */
export interface PresenceStatsFrame {
  /** Frame type. */
  type: "presence_stats";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** A concrete topic. */
  topic: string;
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

/** `rpc`: a call to a method the application registered on the hub. */
export interface RpcFrame {
  /** Frame type. */
  type: "rpc";
  /** Correlation id echoed in the reply. */
  id?: RequestId;
  /** The method: 1 to 128 of letters, digits and `_.:/-`. */
  method: string;
  /** Any JSON value; `null` when absent. */
  data: unknown;
}

/** Any frame a client may send. */
export type ClientFrame =
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | AuthFrame
  | PingFrame
  | HistoryFrame
  | PresenceFrame
  | PresenceStatsFrame
  | RpcFrame;

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
  /** On a subscribe to a topic with history: the offset of its latest publication. */
  offset?: number;
  /** On a subscribe to a topic with history: its stream's epoch. */
  epoch?: string;
  /**
   * On a subscribe with `since`: whether every missed publication follows
   * (`true`) or none does and the client must reload its state (`false`).
   */
  recovered?: boolean;
  /** On a subscribe: initial data the application's subscribe handler gave. */
  data?: unknown;
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
  /** On a topic with history: the publication's offset in the topic's stream. */
  offset?: number;
}

/** One publication of a {@linkcode HistoryReplyFrame}. */
export interface HistoryPublication {
  /** Its offset. */
  offset: number;
  /** The published payload. */
  payload: unknown;
  /** The publisher's subject, or `null` for server-originated ones. */
  from: string | null;
  /** Publication time in epoch milliseconds. */
  ts: number;
  /** Event name of a server-pushed event. */
  event?: string;
  /** For a signed publication: the compact JWS exactly as published. */
  jws?: string;
}

/** The reply to `history`. */
export interface HistoryReplyFrame {
  /** Frame type. */
  type: "history";
  /** Echo of the request id. */
  id?: RequestId;
  /** The topic. */
  topic: string;
  /** Publications, in the order asked for (oldest first unless `reverse`). */
  publications: HistoryPublication[];
  /** The topic's current offset. */
  offset: number;
  /** The topic's current epoch. */
  epoch: string;
}

/** One subscribed connection, in presence replies and `join`/`leave` frames. */
export interface PresenceClient {
  /** The connection's subject. */
  user: string;
  /** The server's id of the connection. */
  connectionId: string;
  /** Connection info from the token's info claim, when it has one. */
  info?: unknown;
}

/** The reply to `presence`. */
export interface PresenceReplyFrame {
  /** Frame type. */
  type: "presence";
  /** Echo of the request id. */
  id?: RequestId;
  /** The topic. */
  topic: string;
  /** One entry per subscribed connection. */
  clients: PresenceClient[];
}

/** The reply to `presence_stats`. */
export interface PresenceStatsReplyFrame {
  /** Frame type. */
  type: "presence_stats";
  /** Echo of the request id. */
  id?: RequestId;
  /** The topic. */
  topic: string;
  /** Subscribed connections. */
  connections: number;
  /** Distinct users among them. */
  users: number;
}

/** `join` or `leave`: a connection subscribed to or left a topic (for `presence: true` subscribers). */
export interface PresenceEventFrame extends PresenceClient {
  /** Frame type. */
  type: "join" | "leave";
  /** The topic. */
  topic: string;
}

/**
 * `insufficient_state`: the client's copy of a topic's stream has a gap or
 * an epoch change. Answer by resubscribing with `since`.
 */
export interface InsufficientStateFrame {
  /** Frame type. */
  type: "insufficient_state";
  /** The subscribed topic. */
  topic: string;
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

/** The reply to `rpc`: the method's result. */
export interface RpcReplyFrame {
  /** Frame type. */
  type: "rpc";
  /** Echo of the request id. */
  id?: RequestId;
  /** The result, any JSON value (`null` when the method returned nothing). */
  data: unknown;
}

/** Any frame the server may send. */
export type ServerFrame =
  | WelcomeFrame
  | AckFrame
  | PongFrame
  | MessageFrame
  | ErrorFrame
  | UnsubscribedFrame
  | TokenExpiringFrame
  | HistoryReplyFrame
  | PresenceReplyFrame
  | PresenceStatsReplyFrame
  | PresenceEventFrame
  | InsufficientStateFrame
  | RpcReplyFrame;
