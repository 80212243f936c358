/**
 * {@linkcode RealtimeClient}: one connection to the hub that survives
 * network drops, server restarts and token expiry. It composes the client's
 * parts: a protocol {@linkcode Connection} per attempt, the close-action
 * table ({@linkcode closePolicy}), a {@linkcode Subscription} per topic, and
 * internal modules for the publish queue, heartbeat, token and reconnect
 * schedule.
 *
 * @module
 */

import { validateTopic } from "../topic/topic.ts";
import type {
  AckFrame,
  ErrorFrame,
  MessageFrame,
  ServerFrame,
  WelcomeFrame,
} from "../protocol/frames.ts";
import { RealtimeError } from "./errors.ts";
import { authClosePolicy, closePolicy } from "./close_policy.ts";
import { type CloseInfo, Connection } from "./connection.ts";
import type { SseConnection } from "./_sse_connection.ts";
import { CloseCode } from "../protocol/codes.ts";
import type { ClientTransport, ConnectionState, RealtimeClientOptions } from "./options.ts";
import { deferred } from "./_deferred.ts";
import { Emitter } from "./_emitter.ts";
import type { RealtimeEvents, StateChange, SubscriptionState } from "./events.ts";
import { Heartbeat } from "./_heartbeat.ts";
import { PublishQueue } from "./_publish_queue.ts";
import { newIdempotencyKey } from "./_idempotency_key.ts";
import { IDEMPOTENCY_KEY_RE } from "../protocol/idempotency_key.ts";
import { ReconnectSchedule } from "./_reconnect.ts";
import { TokenManager } from "./_token_manager.ts";
import {
  type MessageHandler,
  type RealtimeMessage,
  type SubscribeOptions,
  Subscription,
} from "./subscription.ts";
import { type OutgoingRequest, type Reply, Requests } from "./_requests.ts";
import { type HistoryOptions, type HistoryResult, historyResult } from "./history.ts";
import type { QueryKit } from "./_queries.ts";
import {
  presenceEvent,
  type PresenceMember,
  presenceMembers,
  type PresenceStats,
} from "./presence.ts";
import { type ResolvedOptions, resolveOptions } from "./_resolve_options.ts";
import { tokenExpiresAt } from "../auth/token_expiry.ts";
import type { JwsAlgorithm } from "../auth/algorithms.ts";
import type { PublicationSigner, PublicationSigningKey } from "../signing/sign.ts";
import type { Signers } from "./_signers.ts";
import type { VerifiedHandler } from "./verified_handler.ts";
import { loadVerifiedHandler } from "./_load_verified_handler.ts";

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

/** Failed attempts after which a reconnect also fetches a fresh token. */
const REFRESH_AFTER_FAILURES = 3;
/** Longest wait for sockets to finish closing in `close()`. */
const CLOSE_WAIT_MS = 2000;

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
  #o: ResolvedOptions;
  #state: ConnectionState = "idle";
  #error: RealtimeError | undefined;
  #tokens: TokenManager;
  #authRetried = false;
  #lastServerError: ErrorFrame | undefined;
  /** How the last connection ended, reported once with the next state change. */
  #lastClose: CloseInfo | undefined;
  #conn: Connection | SseConnection | undefined;
  /** Which of `transports` is in use; moves on when a WebSocket fails to open. */
  #transport = 0;
  #dying = new Set<Promise<void>>();
  #epoch = 0;
  #reconnect: ReconnectSchedule;
  #connectTimer: unknown;
  #heartbeat: Heartbeat;
  #requests: Requests;
  #queue: PublishQueue;
  #subs = new Map<string, Subscription>();
  /** `subscriptions` until `#subs` changes, so it is a stable snapshot. */
  #topics: readonly string[] | undefined;
  /** The last state reported for each topic not `unsubscribed`. */
  #subStates = new Map<string, SubscriptionState>();
  #confirmedOnce = new WeakSet<Subscription>();
  /** Subscribe requests waiting for their ack, by request id. */
  #subscribing = new Map<number, Subscription>();
  #events = new Emitter<RealtimeEvents>([
    "state",
    "notification",
    "error",
    "refresh",
    "subscribed",
    "presence",
    "verification_failed",
    "subscription_state",
  ]);
  #user: string | undefined;
  #connectionId: string | undefined;
  #expiresAt: number | null | undefined;
  #closed: Promise<void> | undefined;
  #offOnline: (() => void) | undefined;
  /** Loaded with the signing core by the first signed publish. */
  #signers: Promise<Signers> | undefined;
  /** The `verify` handlers, cancelled on close. */
  #verifying = new Set<VerifiedHandler>();
  /** The last publish waiting for its signature (or behind one), so publishes keep call order. */
  #sendTail: Promise<unknown> = Promise.resolve();
  #sequenced = 0;

  /**
   * Creates the client and starts connecting, or with `autoConnect: false`
   * creates it `idle` until {@linkcode RealtimeClient.connect}.
   *
   * @param options The URL, the token or how to get one, and tuning.
   * @throws {TypeError} When an option is missing or of the wrong type.
   * @throws {RangeError} When a number option is out of range.
   */
  constructor(options: RealtimeClientOptions) {
    this.#o = resolveOptions(options);
    this.#tokens = new TokenManager(this.#o.token, this.#o.getToken, this.#o.clock);
    this.#requests = new Requests(this.#o.clock);
    this.#queue = new PublishQueue(this.#o.maxQueued);
    this.#reconnect = new ReconnectSchedule({
      clock: this.#o.clock,
      backoff: this.#o.backoff,
      random: this.#o.random,
      maxAttempts: this.#o.maxReconnectAttempts,
      urls: this.#o.urls,
    });
    this.#heartbeat = new Heartbeat(
      this.#o.clock,
      this.#o.heartbeatMs,
      () => this.#request({ type: "ping" }, "Ping"),
      () => this.#abandon("The hub did not answer a ping"),
    );
    if (this.#o.autoConnect) this.connect();
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
    if (this.#state === "closed") throw this.#closedError();
    if (this.#state !== "idle") return;
    if (typeof this.#o.WebSocket !== "function") {
      throw new TypeError("Cannot connect: this runtime has no global WebSocket");
    }
    this.#setState("connecting", {});
    this.#listenOnline();
    this.#connect();
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the client closed, when it stopped on an error rather than `close()`. */
  get error(): RealtimeError | undefined {
    return this.#error;
  }

  /**
   * The hub URL the client is connected to, or will try next: with a list
   * of URLs (`url` option), it says which hub the client moved to.
   */
  get url(): string {
    return this.#reconnect.url.href;
  }

  /**
   * The transport in use, or tried next: `"websocket"`, or `"sse"` once the
   * client fell back to Server-Sent Events (see `transports`).
   */
  get transport(): ClientTransport {
    return this.#o.transports[this.#transport];
  }

  /** The authenticated subject, from the last `welcome`. */
  get user(): string | undefined {
    return this.#user;
  }

  /** The server's id for the current (or last) connection. */
  get connectionId(): string | undefined {
    return this.#connectionId;
  }

  /** The token's expiry (epoch milliseconds, `null` for none), once connected. */
  get expiresAt(): number | null | undefined {
    return this.#expiresAt;
  }

  /**
   * The subscribed topics and patterns, including ones not yet confirmed.
   * The same array is returned until the set of topics changes, so
   * it can be a `useSyncExternalStore` snapshot (the `subscription_state`
   * event says when to read it again).
   */
  get subscriptions(): readonly string[] {
    return this.#topics ??= [...this.#subs.keys()];
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
    const sub = this.#subs.get(topic);
    return sub === undefined ? "unsubscribed" : sub.confirmed ? "subscribed" : "subscribing";
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
    if (
      options.verify === undefined || typeof handler !== "function" || this.#state === "closed"
    ) {
      return this.#subscribe(topic, handler as MessageHandler, options, undefined);
    }
    // The verifier needs jose, which a client that never verifies never
    // loads: nothing is subscribed until it is ready, so unusable keys (or a
    // failed load) reject `ready` with nothing changed.
    new Subscription(topic); // throws now for an invalid topic
    let cancelled = false;
    let inner: Unsubscribe | undefined;
    const ready = loadVerifiedHandler(
      handler as MessageHandler,
      options.verify,
      (failure) => this.#emit("verification_failed", failure),
    ).then((verifying) => {
      if (cancelled) return;
      inner = this.#subscribe(topic, verifying.handler, options, verifying);
      return inner.ready;
    });
    ready.catch(() => {});
    const unsubscribe = () => {
      cancelled = true;
      inner?.();
    };
    return Object.assign(unsubscribe, { ready });
  }

  /** Adds a handler (wrapped by `verifying` when it verifies) and subscribes a new topic. */
  #subscribe(
    topic: string,
    handler: MessageHandler,
    options: SubscribeOptions,
    verifying: VerifiedHandler | undefined,
  ): Unsubscribe {
    const sub = this.#subs.get(topic) ?? new Subscription(topic);
    if (this.#state === "closed") {
      verifying?.cancel();
      // Validates the handler as an open client would, then refuses.
      sub.add(handler, options).remove();
      const refused = Promise.reject(this.#closedError());
      refused.catch(() => {});
      return Object.assign(() => {}, { ready: refused });
    }
    if (!this.#subs.has(topic) && options.since !== undefined) sub.resumeFrom(options.since);
    const handle = sub.add(handler, options);
    if (verifying !== undefined) this.#verifying.add(verifying);
    if (!this.#subs.has(topic)) {
      this.#subs.set(topic, sub);
      this.#topics = undefined;
      if (this.#state === "open") this.#sendSubscribe(sub);
      else this.#noteSubState(topic);
    }
    let called = false;
    const unsubscribe = () => {
      if (called) return;
      called = true;
      if (verifying !== undefined) {
        verifying.cancel();
        this.#verifying.delete(verifying);
      }
      const empty = handle.remove();
      if (!empty || this.#subs.get(topic) !== sub) return;
      this.#subs.delete(topic);
      this.#noteSubState(topic);
      if (this.#state === "open") this.#request({ type: "unsubscribe", topic }, "Unsubscribe");
    };
    return Object.assign(unsubscribe, { ready: handle.ready });
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
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(`Cannot publish: ${problem}`));
    const timeoutMs = options.timeoutMs ?? this.#o.requestTimeoutMs;
    if (!(timeoutMs > 0)) {
      return Promise.reject(
        new RangeError(`Cannot publish with timeoutMs ${timeoutMs}: a positive number is required`),
      );
    }
    const given = options.idempotencyKey;
    if (given !== undefined && !(typeof given === "string" && IDEMPOTENCY_KEY_RE.test(given))) {
      return Promise.reject(
        new TypeError(
          "Cannot publish: 'idempotencyKey' must be 1 to 64 printable ASCII characters",
        ),
      );
    }
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    const ack = options.ack !== false;
    const key = options.idempotencyKey ?? (ack ? newIdempotencyKey() : undefined);
    if (options.sign === undefined && this.#sequenced === 0) {
      return this.#publishNow(topic, { payload: payload ?? null }, ack, timeoutMs, key);
    }
    return this.#publishInTurn(topic, payload ?? null, options, timeoutMs, key);
  }

  /**
   * A publish that waits for its signature, or behind one: it is sent once
   * every publish called before it was, so publishes keep call order.
   */
  #publishInTurn(
    topic: string,
    payload: unknown,
    options: PublishOptions,
    timeoutMs: number,
    key: string | undefined,
  ): Promise<PublishResult> {
    let fields: Promise<{ payload: unknown } | { jws: string }>;
    if (options.sign === undefined) {
      fields = Promise.resolve({ payload });
    } else {
      try {
        JSON.stringify(payload);
      } catch (error) {
        return Promise.reject(
          new TypeError(`Cannot publish to '${topic}': the payload is not JSON-serializable`, {
            cause: error,
          }),
        );
      }
      const { sign, signAlg } = options;
      this.#signers ??= import("./_signing.ts").then((m) => new m.Signers());
      fields = this.#signers.then((signers) => signers.get(sign, signAlg))
        .then((signer) => signer.sign(topic, payload))
        .then((jws) => ({ jws }));
    }
    const previous = this.#sendTail;
    const turn = deferred<void>();
    this.#sendTail = turn.promise;
    this.#sequenced++;
    return (async () => {
      try {
        let ready: { payload: unknown } | { jws: string };
        try {
          ready = await fields;
        } finally {
          await previous;
        }
        if (this.#state === "closed") throw this.#closedError();
        // Not awaited here: the turn passes once the frame is sent, not acknowledged.
        return this.#publishNow(topic, ready, options.ack !== false, timeoutMs, key);
      } finally {
        // Also after a signature failed: the publishes behind it go on.
        turn.resolve();
        this.#sequenced--;
      }
    })();
  }

  /** Sends (or queues) one publish frame with a payload or a JWS. */
  #publishNow(
    topic: string,
    fields: { payload: unknown } | { jws: string },
    ack: boolean,
    timeoutMs: number,
    key: string | undefined,
  ): Promise<PublishResult> {
    const id = this.#requests.nextId();
    const keyed = key === undefined ? fields : { ...fields, idempotencyKey: key };
    let text: string;
    try {
      text = JSON.stringify(
        ack ? { type: "publish", id, topic, ...keyed } : { type: "publish", topic, ...keyed },
      );
    } catch (error) {
      return Promise.reject(
        new TypeError(`Cannot publish to '${topic}': the payload is not JSON-serializable`, {
          cause: error,
        }),
      );
    }
    const open = this.#state === "open";
    if (!open && this.#queue.full) {
      return Promise.reject(
        new RealtimeError(
          "QUEUE_FULL",
          `Cannot publish to '${topic}' while ${this.#state}: ${this.#o.maxQueued} publishes already wait`,
          { retry: true, topic },
        ),
      );
    }
    if (!ack) {
      // Queued under an id that no request holds: sent as it is on connect.
      if (open) this.#send(text);
      else this.#queue.add(id, text);
      return Promise.resolve({});
    }
    const answered = this.#requests.add(id, {
      timeoutMs,
      what: `Publish to '${topic}'`,
      topic,
      onSettle: () => this.#queue.delete(id),
      // With a key, a publish the connection lost before its ack is sent again;
      // not a signed one: the hub would refuse its JWS as a replay.
      resend: key === undefined || "jws" in fields ? undefined : text,
    });
    if (open) this.#sendRequest(id, text);
    else this.#queue.add(id, text);
    return answered.then(publishResult);
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
    const kit = this.#kit(this.#o.clock.now());
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
    const kit = this.#kit(this.#o.clock.now());
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
    const kit = this.#kit(this.#o.clock.now());
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
    const kit = this.#kit(this.#o.clock.now());
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
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    const { promise, resolve, reject } = deferred<void>();
    const off = this.on("state", (state) => {
      if (state === "open") resolve();
      else if (state === "closed") reject(this.#closedError());
      else return;
      off();
    });
    return promise;
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
    return this.#shutdown(undefined);
  }

  /** The same as {@linkcode RealtimeClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // Connecting.

  #connect(): void {
    const epoch = ++this.#epoch;
    this.#lastClose = undefined;
    this.#clearConnectTimer();
    this.#connectTimer = this.#o.clock.setTimer(() => {
      this.#connectTimer = undefined;
      if (this.#conn === undefined) this.#epoch++; // still waiting for getToken
      this.#abandon(`Connecting took longer than ${this.#o.connectTimeoutMs} ms`);
    }, this.#o.connectTimeoutMs);
    this.#tokens.forConnect().then(
      (token) => {
        if (epoch === this.#epoch && this.#state !== "closed") this.#open(token);
      },
      (error: RealtimeError) => {
        if (epoch !== this.#epoch || this.#state === "closed") return;
        // getToken could not answer now (a RealtimeError with retry): back off and ask again.
        if (error.retry) {
          this.#clearConnectTimer();
          this.#scheduleReconnect(undefined);
        } else void this.#shutdown(error);
      },
    );
  }

  #open(token: string): void {
    if (this.transport === "sse") return this.#openSse(token);
    let conn: Connection;
    try {
      conn = new Connection({
        url: this.#reconnect.url,
        token,
        tokenVia: this.#o.tokenVia,
        WebSocket: this.#o.WebSocket,
        clock: this.#o.clock,
        onFrame: (frame) => {
          if (this.#conn === conn) this.#onFrame(frame);
        },
        onClose: (info) => {
          if (this.#conn !== conn) return;
          this.#lastClose = info;
          // Lost before the welcome with no close frame: a WebSocket that never opened.
          if (info.code === 1006 && this.#state !== "open") this.#fallBack();
          this.#dropped(info.code, info.reason);
        },
      });
    } catch (error) {
      void this.#shutdown(error as RealtimeError);
      return;
    }
    this.#conn = conn;
  }

  /** A WebSocket did not open: the next attempt uses the next transport, if any. */
  #fallBack(): void {
    this.#transport = Math.min(this.#transport + 1, this.#o.transports.length - 1);
  }

  /** Loaded on first use, so a page that never falls back does not carry it. */
  #openSse(token: string): void {
    const epoch = this.#epoch;
    import("./_sse_connection.ts").then(({ SseConnection }) => {
      if (epoch !== this.#epoch || this.#state === "closed") return;
      const conn: SseConnection = new SseConnection({
        url: this.#o.sseUrl ?? this.#reconnect.url,
        token,
        credentials: this.#o.sseWithCredentials ? "include" : undefined,
        onFrame: (frame) => {
          if (this.#conn === conn) this.#onFrame(frame);
        },
        onClose: (info) => {
          if (this.#conn !== conn) return;
          this.#lastClose = info;
          this.#dropped(info.code, info.reason);
        },
      });
      this.#conn = conn;
    }, () => this.#dropped(1006, ""));
  }

  // Receiving.

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        if (this.#state !== "open") this.#welcomed(frame);
        return;
      case "message":
        return this.#deliver(frame);
      case "token_expiring":
        void this.#refresh();
        return;
      case "join":
      case "leave":
        if (this.#subs.has(frame.topic)) this.#emit("presence", presenceEvent(frame));
        return;
      case "insufficient_state": {
        const sub = this.#subs.get(frame.topic);
        if (sub !== undefined) this.#resubscribe(sub);
        return;
      }
      case "unsubscribed": {
        const sub = this.#subs.get(frame.topic);
        if (sub === undefined) return;
        this.#subs.delete(frame.topic);
        const ended = new RealtimeError(
          frame.code,
          `The hub ended the subscription to '${frame.topic}' (${frame.code})`,
          { topic: frame.topic },
        );
        this.#noteSubState(frame.topic, ended);
        this.#failSubscription(sub, ended);
        return;
      }
      case "error":
        if (this.#requests.answer(frame)) return;
        this.#lastServerError = frame;
        // Authentication errors are always followed by close 4001, handled there.
        if (frame.code !== "AUTH_FAILED" && frame.code !== "TOKEN_EXPIRED") {
          this.#emit("error", new RealtimeError(frame.code, frame.message, { retry: frame.retry }));
        }
        return;
      case "ack": {
        const sub = typeof frame.id === "number" ? this.#subscribing.get(frame.id) : undefined;
        if (sub !== undefined && this.#requests.answer(frame)) this.#subscribeAnswered(sub, frame);
        else this.#requests.answer(frame);
        return;
      }
      default:
        this.#requests.answer(frame);
    }
  }

  #welcomed(frame: WelcomeFrame): void {
    this.#clearConnectTimer();
    this.#reconnect.reset();
    this.#authRetried = false;
    this.#lastServerError = undefined;
    this.#user = frame.user;
    this.#connectionId = frame.connectionId;
    this.#expiresAt = frame.expiresAt;
    // Subscriptions first, then queued publishes, then listeners: a listener
    // that publishes on `open` goes after what already waited.
    for (const sub of this.#subs.values()) this.#sendSubscribe(sub);
    for (const [id, text] of this.#queue.take()) {
      // A request settled while queued left the queue, so an id without a
      // request is a fire-and-forget publish.
      if (this.#requests.has(id)) this.#sendRequest(id, text);
      else this.#send(text);
    }
    this.#heartbeat.start();
    this.#setState("open", {});
  }

  #deliver(frame: MessageFrame): void {
    const message: { -readonly [K in keyof RealtimeMessage]: RealtimeMessage[K] } = {
      topic: frame.topic,
      payload: frame.payload,
      from: frame.from,
      ts: frame.ts,
    };
    if (frame.event !== undefined) message.event = frame.event;
    if (typeof frame.offset === "number") message.offset = frame.offset;
    if (typeof frame.jws === "string") message.jws = frame.jws;
    const topic = frame.topic;
    if (topic !== null) {
      for (const sub of [...this.#subs.values()]) {
        if (sub.matches(topic) && sub.deliver(message) === "gap") this.#resubscribe(sub);
      }
    }
    if (message.event !== undefined) this.#emit("notification", message);
  }

  #sendSubscribe(sub: Subscription): void {
    sub.unconfirm();
    this.#noteSubState(sub.topic);
    const frame = sub.frame();
    // The ack is handled as it is read (#onFrame), not when this promise
    // settles: the replay follows it in the same batch, and must meet the
    // position the ack set.
    const { id, answered } = this.#prepare(frame, "Subscribe", this.#o.requestTimeoutMs);
    this.#subscribing.set(id, sub);
    this.#sendRequest(id, JSON.stringify({ ...frame, id }));
    answered.then(
      () => {},
      (error: RealtimeError) => {
        if (this.#subs.get(sub.topic) !== sub) return;
        // After a drop the subscription is sent again on reconnect; on close
        // the waiters were already told.
        if (error.code === "DISCONNECTED" || error.code === "CLOSED") return;
        if (error.code === "NO_HISTORY" && frame.since !== undefined) {
          // The topic no longer keeps history: subscribe without recovering.
          sub.abandonRecovery();
          if (this.#state === "open") this.#sendSubscribe(sub);
          return;
        }
        if (error.code !== "TIMEOUT") {
          this.#subs.delete(sub.topic);
          this.#noteSubState(sub.topic, error);
        }
        this.#failSubscription(sub, error);
      },
    );
  }

  #subscribeAnswered(sub: Subscription, reply: AckFrame): void {
    if (this.#subs.get(sub.topic) !== sub) return;
    const { offset, epoch, recovered } = reply;
    const confirmation = sub.confirm({ offset, epoch, recovered });
    this.#noteSubState(sub.topic);
    const resubscribed = this.#confirmedOnce.has(sub);
    this.#confirmedOnce.add(sub);
    this.#emit("subscribed", { topic: sub.topic, resubscribed, ...confirmation });
  }

  /**
   * The topic's stream has a gap (seen here or told by the hub): subscribe
   * again from the position, unsubscribing first so the hub starts afresh.
   * Both frames leave back to back; a resubscribe already pending is enough.
   */
  #resubscribe(sub: Subscription): void {
    if (this.#state !== "open" || !sub.confirmed) return;
    sub.unconfirm();
    this.#request({ type: "unsubscribe", topic: sub.topic }, "Unsubscribe");
    this.#sendSubscribe(sub);
  }

  #failSubscription(sub: Subscription, error: RealtimeError): void {
    sub.fail(error);
    this.#emit("error", error);
  }

  async #refresh(): Promise<void> {
    if (!this.#tokens.beginRefresh()) return;
    const conn = this.#conn;
    try {
      const token = await this.#tokens.fetch();
      if (this.#conn !== conn || this.#state !== "open") return;
      const ack = await this.#request({ type: "auth", token }, "Token refresh");
      if (this.#conn !== conn) return;
      const expiresAt = ack.type === "ack" && ack.expiresAt !== undefined
        ? ack.expiresAt
        : tokenExpiresAt(token) ?? null;
      this.#expiresAt = expiresAt;
      this.#tokens.endRefresh(token);
      this.#emit("refresh", { expiresAt });
    } catch (error) {
      const failure = error as RealtimeError;
      // getToken says no token will come (signed out): stop now, not at exp.
      if (this.#tokens.isFinal(failure)) {
        void this.#shutdown(failure);
      } else if (failure.code !== "DISCONNECTED" && failure.code !== "CLOSED") {
        this.#emit("error", failure);
      }
    } finally {
      this.#tokens.endRefresh(undefined);
    }
  }

  // Sending.

  #request(
    frame: OutgoingRequest,
    what: string,
    timeoutMs: number = this.#o.requestTimeoutMs,
  ): Promise<Reply> {
    const { id, answered } = this.#prepare(frame, what, timeoutMs);
    this.#sendRequest(id, JSON.stringify({ ...frame, id }));
    return answered;
  }

  #prepare(
    frame: OutgoingRequest,
    what: string,
    timeoutMs: number,
  ): { id: number; answered: Promise<Reply> } {
    const id = this.#requests.nextId();
    const topic = frame.topic;
    const answered = this.#requests.add(id, {
      timeoutMs,
      what: topic === undefined ? what : requestOn(what, topic),
      topic,
      onSettle: () => this.#subscribing.delete(id),
    });
    answered.catch(() => {});
    return { id, answered };
  }

  /**
   * What the lazily loaded one-off requests (`_queries.ts`) use of the
   * client; their timeouts count from `started`, the call.
   */
  #kit(started: number): QueryKit {
    return {
      ask: (frame, what, timeoutMs) => this.#ask(frame, what, timeoutMs, started),
      RealtimeError,
      historyResult,
      presenceMembers,
      validateTopic,
    };
  }

  /** A request sent once open (waiting for the connection within the timeout). */
  async #ask(
    frame: OutgoingRequest,
    what: string,
    timeoutMs?: number,
    started: number = this.#o.clock.now(),
  ): Promise<Reply> {
    const timeout = timeoutMs ?? this.#o.requestTimeoutMs;
    if (!(timeout > 0)) {
      throw new RangeError(`Cannot send with timeoutMs ${timeout}: a positive number is required`);
    }
    if (this.#state !== "open") {
      const late = () =>
        new RealtimeError(
          "TIMEOUT",
          `${requestOn(what, frame.topic)} was not answered within ${timeout} ms (not connected)`,
          { retry: true, topic: frame.topic },
        );
      // Counted from the call: the request's code may have loaded since.
      const wait = timeout - (this.#o.clock.now() - started);
      if (wait <= 0) throw late();
      let timer: unknown;
      const timedOut = new Promise<never>((_, reject) => {
        timer = this.#o.clock.setTimer(() => reject(late()), wait);
      });
      try {
        await Promise.race([this.opened(), timedOut]);
      } finally {
        this.#o.clock.clearTimer(timer);
      }
    }
    const left = Math.max(1, timeout - (this.#o.clock.now() - started));
    return await this.#request(frame, what, left);
  }

  #sendRequest(id: number, text: string): void {
    if (!this.#requests.has(id)) return;
    this.#requests.markSent(id);
    this.#send(text);
  }

  #send(text: string): void {
    this.#conn?.send(text);
  }

  // Losing the connection.

  /** Gives up on the current socket (a client-side timeout) and reconnects. */
  #abandon(reason: string): void {
    const conn = this.#conn;
    if (this.#state !== "open") this.#fallBack();
    if (conn !== undefined) this.#release(conn);
    this.#dropped(1006, reason);
  }

  /** Stops listening to a connection and closes it, remembering it until closed. */
  #release(conn: Connection | SseConnection): void {
    conn.detach();
    this.#conn = undefined;
    if (conn.closeInfo !== undefined) return;
    const promise = conn.close(CloseCode.Normal).then(() => {});
    this.#dying.add(promise);
    void promise.then(() => this.#dying.delete(promise));
  }

  #dropped(code: number, reason: string): void {
    if (this.#conn !== undefined) {
      this.#conn.detach();
      this.#conn = undefined;
    }
    this.#clearConnectTimer();
    this.#heartbeat.stop();
    const lost = new RealtimeError(
      "DISCONNECTED",
      `The connection closed (${code}) before the hub answered`,
      { retry: true, closeCode: code },
    );
    // A publish with an idempotency key waits to be sent again (the hub
    // publishes it once); any other request sent on the lost socket fails.
    this.#requests.rejectWhere((sent, o) => sent && o.resend === undefined ? lost : undefined);
    this.#queue.requeue(this.#requests.takeResends());
    for (const sub of this.#subs.values()) {
      sub.unconfirm();
      this.#noteSubState(sub.topic);
    }
    if (this.#state === "closed") return;
    const detail = reason === "" ? `${code}` : `${code}: ${reason}`;
    const { action, errorCode } = closePolicy(code);
    if (action === "stop") {
      void this.#shutdown(
        new RealtimeError(
          errorCode ?? "CLOSED",
          code === CloseCode.Revoked
            ? `The hub revoked access (${detail})`
            : `The hub closed the connection (${detail})`,
          { closeCode: code },
        ),
      );
    } else if (action === "refresh") {
      this.#authRefused(code, reason, detail);
    } else {
      // The hub failed or went away: the next attempt goes to the next URL.
      this.#reconnect.moveOn();
      this.#scheduleReconnect(
        undefined,
        new RealtimeError(
          "DISCONNECTED",
          `The connection closed (${detail})`,
          { retry: true, closeCode: code },
        ),
      );
    }
  }

  /**
   * After 4001: stop when the hub's reason says no token from the same
   * issuer can pass, back off when it could not check the token now, else
   * ask getToken once for a new one.
   */
  #authRefused(code: number, reason: string, detail: string): void {
    const said = this.#lastServerError;
    this.#lastServerError = undefined;
    const policy = authClosePolicy(reason, said?.message);
    const authReason = policy.reason;
    // The hub's own words, when its close reason only says "Authentication failed".
    const why = said !== undefined && said.message !== reason
      ? `${detail}; ${said.message}`
      : detail;
    if (policy.action === "reconnect") {
      this.#scheduleReconnect(
        undefined,
        new RealtimeError("AUTH_FAILED", `The hub could not check the token now (${why})`, {
          retry: true,
          closeCode: code,
          authReason,
        }),
      );
      return;
    }
    if (policy.action === "stop") {
      void this.#shutdown(
        new RealtimeError(
          "AUTH_FAILED",
          `The hub refused the token (${why}): a new one from the same issuer would be refused too`,
          { closeCode: code, authReason },
        ),
      );
      return;
    }
    if (this.#o.getToken === undefined || this.#authRetried) {
      const expired = authReason === "expired" || said?.code === "TOKEN_EXPIRED" ||
        reason.toLowerCase().includes("expired");
      void this.#shutdown(
        new RealtimeError(
          expired ? "TOKEN_EXPIRED" : "AUTH_FAILED",
          this.#o.getToken === undefined
            ? `The hub refused the token (${why}) and no getToken was given`
            : `The hub refused the token (${why}), also after getToken() gave a new one`,
          { closeCode: code, authReason },
        ),
      );
      return;
    }
    this.#authRetried = true;
    this.#tokens.markStale();
    this.#scheduleReconnect(
      0,
      new RealtimeError("AUTH_FAILED", `The hub refused the token (${why}): getting a new one`, {
        retry: true,
        closeCode: code,
        authReason,
      }),
    );
  }

  /** Waits out the back-off (or `delay`) and connects again; `error` says why. */
  #scheduleReconnect(delay: number | undefined, error?: RealtimeError): void {
    const reconnect = this.#reconnect;
    if (reconnect.exhausted) {
      void this.#shutdown(
        new RealtimeError(
          "CLOSED",
          `Gave up after ${reconnect.attempt} failed reconnect attempts`,
          { retry: true },
        ),
      );
      return;
    }
    const { attempt, retryInMs } = reconnect.schedule(() => this.#connect(), delay);
    // Browsers see a hub's HTTP 401 as a plain network failure: after a few,
    // also try a fresh token.
    if (reconnect.attempt >= REFRESH_AFTER_FAILURES) this.#tokens.markStale();
    this.#setState(
      "reconnecting",
      error === undefined ? { retryInMs, attempt } : {
        retryInMs,
        attempt,
        error,
      },
    );
  }

  #listenOnline(): void {
    const target = globalThis as unknown as Partial<EventTarget>;
    if (
      typeof target.addEventListener !== "function" || typeof navigator === "undefined" ||
      !("onLine" in navigator)
    ) {
      return;
    }
    // Back online: skip the rest of the back-off.
    const online = () => {
      if (this.#state === "reconnecting" && this.#reconnect.pending) {
        this.#reconnect.cancel();
        this.#connect();
      }
    };
    target.addEventListener("online", online);
    this.#offOnline = () => target.removeEventListener!("online", online);
  }

  // Closing.

  #shutdown(error: RealtimeError | undefined): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#epoch++;
    this.#error = error;
    this.#reconnect.cancel();
    this.#clearConnectTimer();
    this.#heartbeat.stop();
    this.#offOnline?.();
    this.#offOnline = undefined;
    const conn = this.#conn;
    if (conn !== undefined) this.#release(conn);
    const closed = this.#closedError();
    this.#requests.rejectWhere(() => closed);
    this.#queue.take();
    for (const sub of this.#subs.values()) sub.close(closed);
    this.#subs.clear();
    for (const topic of [...this.#subStates.keys()]) this.#noteSubState(topic);
    for (const verifying of this.#verifying) verifying.cancel();
    this.#verifying.clear();
    this.#setState("closed", error === undefined ? {} : { error });
    this.#events.close();
    this.#closed = this.#waitForSockets();
    return this.#closed;
  }

  async #waitForSockets(): Promise<void> {
    if (this.#dying.size === 0) return;
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = this.#o.clock.setTimer(resolve, CLOSE_WAIT_MS);
    });
    await Promise.race([Promise.all([...this.#dying]), bound]);
    this.#o.clock.clearTimer(timer);
  }

  #closedError(): RealtimeError {
    const error = this.#error;
    return error === undefined
      ? new RealtimeError("CLOSED", "The client is closed")
      : new RealtimeError("CLOSED", `The client stopped: ${error.message}`, {
        cause: error,
        closeCode: error.closeCode,
      });
  }

  // Helpers.

  /**
   * Reports a topic's subscription state when it differs from the last one
   * reported, and renews the `subscriptions` snapshot when it ended.
   */
  #noteSubState(topic: string, error?: RealtimeError): void {
    const state = this.subscriptionState(topic);
    const previous = this.#subStates.get(topic) ?? "unsubscribed";
    if (state === "unsubscribed") {
      this.#subStates.delete(topic);
      this.#topics = undefined;
    } else this.#subStates.set(topic, state);
    if (state === previous) return;
    this.#emit("subscription_state", topic, state, error === undefined ? {} : { error });
  }

  #setState(state: ConnectionState, change: Omit<StateChange, "previous" | "url">): void {
    const previous = this.#state;
    if (state === previous && state !== "reconnecting") return;
    this.#state = state;
    const close = this.#lastClose;
    this.#lastClose = undefined;
    this.#emit("state", state, {
      previous,
      url: this.url,
      ...change,
      ...(close !== undefined && state !== "open" ? { close } : {}),
    });
  }

  #emit<K extends keyof RealtimeEvents>(event: K, ...args: Parameters<RealtimeEvents[K]>): void {
    this.#events.emit(event, ...args);
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) {
      this.#o.clock.clearTimer(this.#connectTimer);
      this.#connectTimer = undefined;
    }
  }
}

/** The position an `ack` of a publish carries, when it carries one. */
function publishResult(reply: Reply): PublishResult {
  // A publish is answered by an `ack` (or an error, which rejected it).
  const { offset, epoch } = reply as AckFrame;
  return offset === undefined ? {} : { offset, epoch };
}

/**
 * Names a request on a topic for messages: "Subscribe to 'a'", "Unsubscribe
 * from 'a'", "History request for 'a'".
 */
function requestOn(what: string, topic: string | undefined): string {
  const preposition = what === "Unsubscribe"
    ? "from"
    : what === "Subscribe" || what === "Publish"
    ? "to"
    : "for";
  return `${what} ${preposition} '${topic}'`;
}
