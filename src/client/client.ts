/**
 * {@linkcode RealtimeClient}: one connection to the hub that survives
 * network drops, server restarts and token expiry. It is a facade over the
 * client's parts, each in its own internal module: the link (connection
 * state, a protocol `Connection` per attempt, reconnect and failover, what
 * a close code means, the token and the heartbeat), the outbox (requests,
 * their timeouts and the publish queue), the publisher (idempotency keys,
 * signing, call order) and the subscription registry (a `Subscription` per
 * topic, with its recovery position).
 *
 * @module
 */

import type { RealtimeError } from "./errors.ts";
import type { ClientTransport, ConnectionState, RealtimeClientOptions } from "./options.ts";
import { Emitter } from "./_emitter.ts";
import type { RealtimeEvents, SubscriptionState } from "./events.ts";
import type { MessageHandler, SubscribeOptions } from "./subscription.ts";
import type { HistoryOptions, HistoryResult } from "./history.ts";
import type { PresenceMember, PresenceStats } from "./presence.ts";
import { resolveOptions } from "./_resolve_options.ts";
import type { JwsAlgorithm } from "../auth/algorithms.ts";
import type { PublicationSigner, PublicationSigningKey } from "../signing/sign.ts";
import { Link } from "./_link.ts";
import { Outbox } from "./_outbox.ts";
import { Publisher } from "./_publisher.ts";
import { Subscriptions } from "./_subscriptions.ts";

export type { MessageHandler, RealtimeMessage, SubscribeOptions } from "./subscription.ts";
export type {
  RealtimeEvents,
  RefreshInfo,
  StateChange,
  SubscribedInfo,
  SubscriptionState,
  SubscriptionStateChange,
} from "./events.ts";

/**
 * Ends a subscription when called (idempotent). `ready` resolves once the
 * hub confirmed the subscription (or it was ended before that) and rejects
 * with a {@linkcode RealtimeError} when the hub refused it.
 */
export interface Unsubscribe {
  /** Ends the subscription. */
  (): void;
  /** Settles when the hub answered the first subscribe. */
  readonly ready: Promise<void>;
}

/** Options of {@linkcode RealtimeClient.publish}. */
export interface PublishOptions {
  /**
   * How long to wait for the hub's `ack`, counted from the call.
   *
   * @default {the client's `requestTimeoutMs`}
   */
  timeoutMs?: number;
  /**
   * Whether to ask the hub for an `ack`. With `false` the publish is
   * fire-and-forget: it carries no `id`, the hub sends no `ack`, and the
   * promise resolves once the frame was handed to the socket (or queued
   * while reconnecting). A refusal then reaches `error` listeners only.
   *
   * @default {true}
   */
  ack?: boolean;
  /**
   * Sign the publication: a shared secret (at least 32 bytes), a PKCS#8 PEM
   * private key, a private or symmetric JWK (its `kid` goes in the header),
   * a private `CryptoKey` (with `signAlg`), or a signer from
   * `createPublicationSigner`. The frame then carries `jws` (claims
   * `topic`, `data`, `jti`, `iat`) instead of `payload`, for a topic whose
   * rule requires signed publications. Each key is imported once per
   * client; the signing code (and `jose`) is loaded by the first signed
   * publish, not before. Publishes leave in call order, signed or not; the
   * timeout counts from when the signature is ready.
   *
   * @default {undefined}
   */
  sign?: PublicationSigningKey | PublicationSigner;
  /**
   * The publication's idempotency key: what makes it safe to retry. The
   * hub publishes a key its user sent on the same topic only once within
   * the engine's window (5 minutes by default) and answers a repeat with
   * the first publication's position. An acknowledged publish gets a fresh
   * random key when none is given, and one that was sent but not
   * acknowledged when the connection dropped is sent again, with the same
   * key, once the client is connected again (to the same hub or another
   * of `urls`). Give your own key (1 to 64 printable ASCII characters,
   * no space) to make your own retries safe too, such as a message's id.
   * A signed publish is not sent again (the hub refuses a JWS it accepted
   * as a replay) and rejects with `DISCONNECTED`: call `publish` again
   * with the same key, which signs it anew, and it is published once.
   *
   * @default {a random key for an acknowledged publish; none for `ack: false`}
   */
  idempotencyKey?: string;
  /**
   * The algorithm to sign with; it must fit the key.
   *
   * @default {undefined} HS256 for a secret, else the key's own algorithm; required for a `CryptoKey`
   */
  signAlg?: JwsAlgorithm;
}

/**
 * What {@linkcode RealtimeClient.publish} resolves to: the publication's
 * position in the topic's stream, from the hub's `ack`. On a topic that
 * keeps history both fields are set (also when the hub answered a repeated
 * idempotency key with the first publication's position); on a topic
 * without history, and for `ack: false`, the object is empty.
 */
export interface PublishResult {
  /** The publication's offset in its topic's stream. */
  readonly offset?: number;
  /** The stream's epoch, which `offset` counts in. */
  readonly epoch?: string;
}

/** Options of {@linkcode RealtimeClient.presence} and {@linkcode RealtimeClient.presenceStats}. */
export interface PresenceOptions {
  /**
   * How long to wait for the reply.
   *
   * @default {the client's `requestTimeoutMs`}
   */
  timeoutMs?: number;
}

/**
 * A connection to the hub that reconnects by itself (exponential back-off
 * with full jitter, moving to the next hub when given several URLs),
 * resubscribes after every reconnect, refreshes its token when the hub says
 * it is expiring, and queues publishes while reconnecting.
 * It uses only web APIs, so it runs unchanged in browsers, Deno and Node 22+.
 *
 * @example Chat in one topic
 * ```ts
 * import { RealtimeClient } from "@realtime/hub/client";
 * import { createHub } from "@realtime/hub";
 * import { serve } from "@realtime/hub/server";
 * import { mintToken } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-development-secret-of-32-bytes!!";
 * const hub = createHub({ auth: { secret }, log: () => {} });
 * const server = await serve(hub, { port: 0 });
 * const token = await mintToken({ sub: "alice", acl: { "chat:*": ["subscribe", "publish"] } }, { secret });
 *
 * await using rt = new RealtimeClient({ url: `ws://127.0.0.1:${server.port}/ws`, token });
 * const received = Promise.withResolvers<unknown>();
 * const unsubscribe = rt.subscribe("chat:lobby", (msg) => received.resolve(msg.payload));
 * await unsubscribe.ready;
 * await rt.publish("chat:lobby", { text: "hi" });
 * assert.deepEqual(await received.promise, { text: "hi" });
 * unsubscribe();
 *
 * await rt.close();
 * await hub.close();
 * await server.close();
 * ```
 *
 * @example Refresh tokens from your backend
 * ```ts ignore
 * import { RealtimeClient } from "@realtime/hub/client";
 *
 * const rt = new RealtimeClient({
 *   url: "wss://example.com/ws",
 *   getToken: async () => (await (await fetch("/api/realtime-token")).json()).token,
 * });
 * rt.on("state", (state) => console.log("realtime:", state));
 * ```
 */
export class RealtimeClient implements AsyncDisposable {
  readonly #events = new Emitter<RealtimeEvents>([
    "state",
    "notification",
    "error",
    "refresh",
    "subscribed",
    "presence",
    "verification_failed",
    "subscription_state",
  ]);
  readonly #link: Link;
  readonly #outbox: Outbox;
  readonly #publisher: Publisher;
  readonly #subs: Subscriptions;

  /**
   * Creates the client and starts connecting, or with `autoConnect: false`
   * creates it `idle` until {@linkcode RealtimeClient.connect}.
   *
   * @param options The URL, the token or how to get one, and tuning.
   * @throws {TypeError} When an option is missing or of the wrong type.
   * @throws {RangeError} When a number option is out of range.
   */
  constructor(options: RealtimeClientOptions) {
    const o = resolveOptions(options);
    const events = this.#events;
    const link = new Link(o, events);
    const outbox = new Outbox(o, link);
    this.#link = link;
    this.#outbox = outbox;
    this.#publisher = new Publisher(link, outbox, o.requestTimeoutMs);
    this.#subs = new Subscriptions(link, outbox, events);
    link.attach(outbox, this.#subs);
    if (o.autoConnect) this.connect();
  }

  /**
   * Starts connecting a client created with `autoConnect: false`. It does
   * nothing when the client already connects (by itself or an earlier
   * call), so calling it again is safe; a closed client cannot connect
   * again: create a new one.
   *
   * @returns Nothing; {@linkcode RealtimeClient.opened} waits for the connection.
   * @throws {RealtimeError} `CLOSED` when the client was closed.
   * @throws {TypeError} When the runtime has no global `WebSocket` and none was given.
   *
   * @example Create now, connect later
   * ```ts
   * import { RealtimeClient } from "@realtime/hub/client";
   * import { createHub } from "@realtime/hub";
   * import { serve } from "@realtime/hub/server";
   * import { mintToken } from "@realtime/hub/auth";
   * import assert from "node:assert/strict";
   *
   * const secret = "a-development-secret-of-32-bytes!!";
   * const hub = createHub({ auth: { secret }, log: () => {} });
   * const server = await serve(hub, { port: 0 });
   * const token = await mintToken({ sub: "alice" }, { secret });
   *
   * const rt = new RealtimeClient({
   *   url: `ws://127.0.0.1:${server.port}/ws`,
   *   token,
   *   autoConnect: false,
   * });
   * assert.equal(rt.state, "idle"); // no socket yet
   * assert.equal(hub.stats().connections, 0);
   * rt.connect();
   * await rt.opened();
   * assert.equal(hub.stats().connections, 1);
   *
   * await rt.close();
   * await hub.close();
   * await server.close();
   * ```
   */
  connect(): void {
    this.#link.connect();
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.#link.state;
  }

  /** Why the client closed, when it stopped on an error rather than `close()`. */
  get error(): RealtimeError | undefined {
    return this.#link.error;
  }

  /**
   * The hub URL the client is connected to, or will try next: with a list
   * of URLs (`url` option), it says which hub the client moved to.
   */
  get url(): string {
    return this.#link.url;
  }

  /**
   * The transport in use, or tried next: `"websocket"`, or `"sse"` once the
   * client fell back to Server-Sent Events (see `transports`).
   */
  get transport(): ClientTransport {
    return this.#link.transport;
  }

  /** The authenticated subject, from the last `welcome`. */
  get user(): string | undefined {
    return this.#link.welcome?.user;
  }

  /** The server's id for the current (or last) connection. */
  get connectionId(): string | undefined {
    return this.#link.welcome?.connectionId;
  }

  /** The token's expiry (epoch milliseconds, `null` for none), once connected. */
  get expiresAt(): number | null | undefined {
    return this.#link.expiresAt;
  }

  /**
   * The subscribed topics and patterns, including ones not yet confirmed.
   * The same array is returned until the set of topics changes, so
   * it can be a `useSyncExternalStore` snapshot (the `subscription_state`
   * event says when to read it again).
   */
  get subscriptions(): readonly string[] {
    return this.#subs.subscriptions;
  }

  /**
   * The state of the subscription to a topic or pattern.
   *
   * @param topic The topic or pattern, as given to `subscribe`.
   * @returns `"subscribing"`, `"subscribed"` or `"unsubscribed"`; the
   * `subscription_state` event reports each change.
   *
   * @example Follow a subscription's state
   * ```ts
   * import { RealtimeClient } from "@realtime/hub/client";
   * import { createHub } from "@realtime/hub";
   * import { serve } from "@realtime/hub/server";
   * import { mintToken } from "@realtime/hub/auth";
   * import assert from "node:assert/strict";
   *
   * const secret = "a-development-secret-of-32-bytes!!";
   * const hub = createHub({ auth: { secret }, log: () => {} });
   * const server = await serve(hub, { port: 0 });
   * const token = await mintToken({ sub: "alice", acl: { "chat:*": ["subscribe"] } }, { secret });
   *
   * await using rt = new RealtimeClient({ url: `ws://127.0.0.1:${server.port}/ws`, token });
   * const seen: string[] = [];
   * rt.on("subscription_state", (topic, state) => seen.push(`${topic} ${state}`));
   * const unsubscribe = rt.subscribe("chat:lobby", () => {});
   * assert.equal(rt.subscriptionState("chat:lobby"), "subscribing");
   * await unsubscribe.ready;
   * assert.equal(rt.subscriptionState("chat:lobby"), "subscribed");
   * unsubscribe();
   * assert.deepEqual(seen, [
   *   "chat:lobby subscribing",
   *   "chat:lobby subscribed",
   *   "chat:lobby unsubscribed",
   * ]);
   *
   * await rt.close();
   * await hub.close();
   * await server.close();
   * ```
   */
  subscriptionState(topic: string): SubscriptionState {
    return this.#subs.subscriptionState(topic);
  }

  /**
   * Subscribes to a topic or pattern (`chat:*`, `org:acme:**`). The
   * subscription is sent now if connected, else on connect, and again after
   * every reconnect. Several handlers may share a topic.
   *
   * @param topic A topic or pattern.
   * @param handler Called with every message on a matching topic.
   * @param options Where to report a refusal, presence, `since`, and `verify`
   * (the keys that must have signed every message this handler receives).
   * @returns A function that unsubscribes, with a `ready` promise. With
   * `verify`, the verifier is loaded first (so a client that never verifies
   * never downloads it) and the topic is subscribed once it is ready; when
   * the keys are unusable nothing is subscribed and `ready` rejects with a
   * `TypeError` (a private key, `none`) or a `RangeError` (a secret shorter
   * than 32 bytes).
   * @throws {TypeError} When the topic is not a valid pattern or the handler
   * not a function.
   *
   * @example Subscribe and wait for the hub's answer
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const unsubscribe = rt.subscribe("chat:*", (msg) => console.log(msg.topic, msg.payload));
   * await unsubscribe.ready; // rejects with code FORBIDDEN when not allowed
   * unsubscribe();
   * ```
   *
   * @example Act only on messages the pricing service signed
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "wss://example.com/ws", token: "<jwt>" });
   * const PRICING_PUBLIC_KEY = await (await fetch("/keys/pricing.pem")).text();
   * rt.subscribe("prices:eur", (msg) => console.log("signed price", msg.payload), {
   *   verify: PRICING_PUBLIC_KEY,
   * });
   * rt.on("verification_failed", ({ topic, offset, code }) => console.warn(topic, offset, code));
   * ```
   */
  subscribe<T = unknown>(
    topic: string,
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Unsubscribe {
    return this.#subs.subscribe(topic, handler as MessageHandler, options);
  }

  /**
   * Publishes a payload to a concrete topic. While the client is not open
   * the publish waits in a bounded queue and is sent on connect. An
   * acknowledged publish carries an idempotency key, so one the connection
   * lost before its `ack` is sent again after the reconnect and published
   * once.
   *
   * @param topic A concrete topic (no wildcards).
   * @param payload Any JSON value; `undefined` is sent as `null`.
   * @param options The timeout, whether to wait for the ack, and the key to sign with.
   * @returns Resolves when the hub acknowledged the publish, to the
   * publication's position (`offset` and `epoch`) on a topic that keeps
   * history, else to `{}`; see {@linkcode PublishResult}.
   * @throws {RealtimeError} With the hub's code (`FORBIDDEN`, `RATE_LIMITED`,
   * `TOO_LARGE`, `SIGNATURE_REQUIRED`, `SIGNATURE_INVALID`...) or the client's
   * (`TIMEOUT`, `QUEUE_FULL`, `CLOSED`).
   * @throws {TypeError} When the topic is invalid, the payload is not JSON, or
   * the signing key is unusable (a public key, an algorithm it does not fit).
   * @throws {RangeError} When a signing secret is shorter than 32 bytes.
   *
   * @example Handle a refused publish
   * ```ts ignore
   * import { RealtimeClient, RealtimeError } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * try {
   *   await rt.publish("chat:lobby", { text: "hi" });
   * } catch (error) {
   *   if (error instanceof RealtimeError && error.code === "FORBIDDEN") alert("Not allowed");
   * }
   * ```
   *
   * @example Sign a publication with an ES256 private key
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "wss://example.com/ws", token: "<jwt>" });
   * const privateJwk = JSON.parse(Deno.readTextFileSync("pricing-private.jwk"));
   * // Sends {"type":"publish","id":1,"topic":"prices:eur","jws":"eyJ..."}
   * await rt.publish("prices:eur", { bid: 1.08 }, { sign: privateJwk });
   * ```
   */
  publish(topic: string, payload: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    return this.#publisher.publish(topic, payload, options);
  }

  /**
   * Reads what a topic's history holds (needs the ACL action `history`).
   * While the client is connecting the request waits for the connection,
   * within the same timeout.
   *
   * @param topic A concrete topic with history.
   * @param options `since`, `limit` (0 to 1000), `reverse` and the timeout.
   * @returns The publications and the topic's current position.
   * @throws {RealtimeError} With the hub's code (`NO_HISTORY`, `FORBIDDEN`,
   * `BAD_REQUEST`) or the client's (`TIMEOUT`, `DISCONNECTED`, `CLOSED`).
   * @throws {TypeError} When the topic is not concrete.
   * @throws {RangeError} When `limit` is not an integer from 0 to 1000.
   *
   * @example Load the last 50 messages, newest first
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const { publications, position } = await rt.history("chat:lobby", { limit: 50, reverse: true });
   * for (const msg of publications.reverse()) console.log(msg.offset, msg.from, msg.payload);
   * console.log("up to", position.offset, "in epoch", position.epoch);
   * ```
   */
  async history(topic: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const kit = this.#outbox.kit();
    return (await import("./_queries.ts")).history(kit, topic, options);
  }

  /**
   * Lists the connections subscribed to a topic (needs the ACL action `presence`).
   *
   * @param topic A concrete topic.
   * @param options The timeout.
   * @returns One member per connection: user, connection id and info.
   * @throws {RealtimeError} With the hub's code (`FORBIDDEN`...) or the client's.
   * @throws {TypeError} When the topic is not concrete.
   *
   * @example Who is in the room
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const members = await rt.presence("room:1");
   * console.log(new Set(members.map((m) => m.user)));
   * rt.on("presence", (e) => console.log(e.user, e.action === "join" ? "joined" : "left"));
   * rt.subscribe("room:1", () => {}, { presence: true });
   * ```
   */
  async presence(topic: string, options: PresenceOptions = {}): Promise<PresenceMember[]> {
    const kit = this.#outbox.kit();
    return (await import("./_queries.ts")).presence(kit, topic, options.timeoutMs);
  }

  /**
   * Counts the connections and distinct users subscribed to a topic (needs
   * the ACL action `presence`).
   *
   * @param topic A concrete topic.
   * @param options The timeout.
   * @returns The counts.
   * @throws {RealtimeError} With the hub's code (`FORBIDDEN`...) or the client's.
   * @throws {TypeError} When the topic is not concrete.
   *
   * @example Show how many are online
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const { users, connections } = await rt.presenceStats("room:1");
   * console.log(`${users} online (${connections} tabs)`);
   * ```
   */
  async presenceStats(topic: string, options: PresenceOptions = {}): Promise<PresenceStats> {
    const kit = this.#outbox.kit();
    return (await import("./_queries.ts")).presenceStats(kit, topic, options.timeoutMs);
  }

  /**
   * Calls a method the application registered on the hub (`hub.rpc`) and
   * returns its result.
   *
   * @param method The method name: 1 to 128 of letters, digits and `_.:/-`.
   * @param data Any JSON value sent with the call.
   * @param options The timeout.
   * @returns The method's result.
   * @throws {RealtimeError} With the hub's code (the application's own, `BAD_REQUEST` for an unknown method, `TIMEOUT`...) or the client's.
   * @throws {TypeError} When the method name is not allowed.
   *
   * @example Ask the server
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const { now } = await rt.rpc("time.now") as { now: number };
   * ```
   */
  async rpc(method: string, data: unknown = null, options: PresenceOptions = {}): Promise<unknown> {
    const kit = this.#outbox.kit();
    return (await import("./_queries.ts")).rpc(kit, method, data, options.timeoutMs);
  }

  /**
   * Listens to an event: `state`, `notification`, `error`, `refresh`,
   * `subscribed`, `presence` or `verification_failed`.
   *
   * @param event The event name.
   * @param listener The listener.
   * @returns A function that removes the listener.
   *
   * @example Show the connection state
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * const off = rt.on("state", (state, { error }) => {
   *   document.title = error ? `${state}: ${error.code}` : state;
   * });
   * rt.on("notification", (msg) => console.log(msg.event, msg.payload));
   * off();
   * ```
   */
  on<K extends keyof RealtimeEvents>(event: K, listener: RealtimeEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Waits until the client is open.
   *
   * @returns Resolves at once when open, else on the next `open`.
   * @throws {RealtimeError} When the client closes first.
   *
   * @example Wait for the first connection
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * await rt.opened();
   * console.log(`connected as ${rt.user}`);
   * ```
   */
  opened(): Promise<void> {
    return this.#link.opened();
  }

  /**
   * Closes the connection for good: pending requests reject with `CLOSED`,
   * every timer and listener is released. Idempotent.
   *
   * @returns Resolves once the socket finished closing.
   *
   * @example Close when done
   * ```ts ignore
   * import { RealtimeClient } from "@realtime/hub/client";
   *
   * const rt = new RealtimeClient({ url: "ws://localhost:8000/ws", token: "<jwt>" });
   * await rt.close();
   * ```
   */
  close(): Promise<void> {
    return this.#link.close();
  }

  /** The same as {@linkcode RealtimeClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
