/**
 * The events of {@linkcode RealtimeClient.on} and what their listeners receive.
 *
 * @module
 */

import type { RealtimeError } from "./errors.ts";
import type { ConnectionState } from "./options.ts";
import type { RealtimeMessage } from "./subscription.ts";
import type { PresenceEvent } from "./presence.ts";
import type { TopicPosition } from "../protocol/frames.ts";
import type { VerificationFailure } from "./verified_handler.ts";
import type { CloseInfo } from "./connection.ts";

/** Details of a state change, passed to `state` listeners. */
export interface StateChange {
  /** The state before. */
  readonly previous: ConnectionState;
  /**
   * The hub URL the client is on (`open`), will try next (`reconnecting`:
   * after a failure, the next URL of the list) or was on last (`closed`).
   */
  readonly url: string;
  /** Why the client closed (on `closed` after a failure) or why it dropped. */
  readonly error?: RealtimeError;
  /** On `reconnecting`: the delay before the next attempt, in milliseconds. */
  readonly retryInMs?: number;
  /** On `reconnecting`: how many attempts failed in a row before this one. */
  readonly attempt?: number;
  /**
   * On `reconnecting` or `closed` when a connection (or an attempt) just
   * ended: its close code and reason, and for a WebSocket that never opened
   * what the runtime said (such as a refused handshake's HTTP status). For a
   * status line that names the code, or a tool that maps it to an exit code.
   */
  readonly close?: CloseInfo;
}

/** A successful token refresh, passed to `refresh` listeners. */
export interface RefreshInfo {
  /** The new token's expiry, epoch milliseconds, or `null` when it has none. */
  readonly expiresAt: number | null;
}

/** A subscription the hub confirmed, passed to `subscribed` listeners. */
export interface SubscribedInfo {
  /** The topic or pattern. */
  readonly topic: string;
  /**
   * Whether this confirms a subscription made again (after a reconnect, or
   * to close a gap), rather than the first subscribe.
   */
  readonly resubscribed: boolean;
  /**
   * Present when the client asked to recover (a concrete topic with history,
   * resubscribed with its position): `true` when every missed message
   * follows, `false` when none does and the application should reload its
   * state (for example with `history()`). After a reconnect it is always
   * `false` unless the token or rules grant `history` on the topic: a
   * recovery from a new connection reads the topic's history.
   */
  readonly recovered?: boolean;
  /** After a complete recovery: how many missed messages follow. */
  readonly missed?: number;
  /** The topic's position after the reply, when it keeps history. */
  readonly position?: TopicPosition;
}

/**
 * A subscription's state, as `RealtimeClient.subscriptionState`
 * and the `subscription_state` event report it:
 *
 * - `subscribing`: asked for (or waiting for a connection to ask), not yet
 *   confirmed by the hub; also again after the connection dropped, until the
 *   hub confirms the resubscribe.
 * - `subscribed`: the hub confirmed it; messages flow.
 * - `unsubscribed`: not subscribed: never was, ended by `unsubscribe()`,
 *   refused or ended by the hub (the event then carries the error), or the
 *   client closed.
 */
export type SubscriptionState = "subscribing" | "subscribed" | "unsubscribed";

/** What a `subscription_state` listener is told besides the topic and state. */
export interface SubscriptionStateChange {
  /** On `unsubscribed`: why, when the hub refused or ended the subscription. */
  readonly error?: RealtimeError;
}

/** The events of {@linkcode RealtimeClient.on} and their listeners. */
export interface RealtimeEvents {
  /** The connection state changed. */
  state: (state: ConnectionState, change: StateChange) => void;
  /** A server-pushed event: a `message` frame with an `event` name. */
  notification: (message: RealtimeMessage) => void;
  /**
   * Something failed outside any request: a subscription ended or was
   * refused after a reconnect, a token refresh failed, the server reported
   * an error not tied to a request.
   */
  error: (error: RealtimeError) => void;
  /** The token was refreshed on the live connection. */
  refresh: (info: RefreshInfo) => void;
  /**
   * The hub confirmed a subscription, first or again; says whether missed
   * messages were recovered.
   */
  subscribed: (info: SubscribedInfo) => void;
  /** A connection joined or left a topic subscribed with `presence: true`. */
  presence: (event: PresenceEvent) => void;
  /**
   * A message on a subscription with `verify` was dropped: its signature
   * did not verify, or it had none. Says which topic, offset and why (a
   * stable code); never carries the JWS.
   */
  verification_failed: (failure: VerificationFailure) => void;
  /**
   * A subscription's state changed (see {@linkcode SubscriptionState}); the
   * `subscriptions` snapshot is renewed before an `unsubscribed` or a new
   * topic's `subscribing` is reported.
   */
  subscription_state: (
    topic: string,
    state: SubscriptionState,
    change: SubscriptionStateChange,
  ) => void;
}
