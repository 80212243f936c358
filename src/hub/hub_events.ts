/**
 * What happened on a hub, as an observer sees it: a connection welcomed or
 * closed, a connection joining or leaving a topic's presence, a publication
 * accepted. The hub calls {@linkcode HubOptions.events} synchronously with
 * each, after the fact; the observer must not block (the server's webhooks
 * queue them and post them in batches, `docs/webhooks.md`).
 *
 * @module
 */

/** A connection was welcomed (authenticated and admitted by the `connect` handler). */
export interface ConnectEvent {
  /** The kind of event. */
  readonly type: "connect";
  /** When, in epoch ms. */
  readonly at: number;
  /** The server's id of the connection. */
  readonly connection: string;
  /** The user. */
  readonly user: string;
  /** The transport adapter (`ws`, `deno`), when it said. */
  readonly transport?: string;
}

/** A welcomed connection closed. */
export interface DisconnectEvent {
  /** The kind of event. */
  readonly type: "disconnect";
  /** When, in epoch ms. */
  readonly at: number;
  /** The server's id of the connection. */
  readonly connection: string;
  /** The user. */
  readonly user: string;
  /** The close code, or `null` when the socket ended without one. */
  readonly code: number | null;
}

/** A connection entered (`join`) or left (`leave`) a concrete topic's presence. */
export interface PresenceChangeEvent {
  /** The kind of event. */
  readonly type: "join" | "leave";
  /** When, in epoch ms. */
  readonly at: number;
  /** The concrete topic. */
  readonly topic: string;
  /** The server's id of the connection. */
  readonly connection: string;
  /** The user. */
  readonly user: string;
}

/** The engine accepted a publication from this hub (a client's or the server's). */
export interface PublicationEvent {
  /** The kind of event. */
  readonly type: "publication";
  /** When, in epoch ms. */
  readonly at: number;
  /** The concrete topic. */
  readonly topic: string;
  /** The publisher's subject, or `null` for the server. */
  readonly from: string | null;
  /** The payload as subscribers receive it (after a `publish` handler's rewrite), as JSON text. */
  readonly data: string;
  /** The publication's offset in the topic's history, when the topic keeps one. */
  readonly offset?: number;
}

/**
 * One thing that happened on a hub.
 *
 * @example Count joins
 * ```ts
 * import type { HubEvent } from "@realtime/hub";
 *
 * let joins = 0;
 * const events = (event: HubEvent) => {
 *   if (event.type === "join") joins++;
 * };
 * events({ type: "join", at: 0, topic: "chat:a", connection: "c1", user: "alice" });
 * ```
 */
export type HubEvent = ConnectEvent | DisconnectEvent | PresenceChangeEvent | PublicationEvent;

/** Receives every {@linkcode HubEvent}; called synchronously, so it must return at once. */
export type HubEventSink = (event: HubEvent) => void;
