/**
 * The protocol-neutral session of one client: authentication and refresh,
 * subscriptions with recovery, publish, history, presence, limits, token
 * lifetime, the order of requests and protocol-violation accounting. It
 * takes typed requests and answers with typed replies and events, through
 * its {@linkcode Door} (protocol v1's JSON frames today), which alone knows
 * the wire.
 *
 * @module
 */

import {
  fewHas,
  fewSize,
  type FewStrings,
  fewToArray,
  fewWith,
  fewWithout,
  SmallSet,
} from "./_small_set.ts";
import { SessionRare, WaitingFrames } from "./_session_rare.ts";
import { smallInteger } from "./_small_integer.ts";
import { isPattern } from "../topic/topic.ts";
import type { Principal } from "../auth/principal.ts";
import { CloseCode, type ErrorCode } from "../protocol/codes.ts";
import { HubError } from "../protocol/errors.ts";
import type { ClientFrame, RequestId, ServerFrame, TopicPosition } from "../protocol/frames.ts";
import type { PresenceEntry, PresenceEvent, StreamPosition } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import { PUBLISHED } from "../engine/engine.ts";
import { matchPattern } from "../topic/pattern.ts";
import type { Deadline } from "./_deadlines.ts";
import type { Peer } from "./admission.ts";
import type { HubContext } from "./context.ts";
import { increment } from "./metrics.ts";
import { errorDetail } from "./log.ts";
import { takeToken } from "./token_bucket.ts";
import { REQUESTS, type RequestType } from "../protocol/requests.ts";
import type { Door, DoorOwner } from "./codec/door.ts";
import type { Outgoing } from "./codec/outgoing.ts";
import type { Verdict } from "./permissions.ts";
import type { AppHandlers, HandlerConnection, HandlerContext, PublishResult } from "./handlers.ts";
import { CallSlot, type HandlerCall } from "./_handler_calls.ts";
import { serverSubscribe, subscribe, type SubscribePort } from "./_session_subscribe.ts";
import {
  auth,
  authenticated,
  type AuthPort,
  deadline,
  type DeadlineKind,
  type SessionState,
} from "./_session_auth.ts";
import { handlerConnection, handlerContext } from "./_session_handler_context.ts";
import { history, presenceClient, presenceQuery, type QueryPort, rpc } from "./_session_queries.ts";
import { auditsRefusal, recordViolation } from "./_session_limits.ts";

/**
 * Handles one typed request: the principal is the session's (for a request
 * the table does not mark `authenticated`, possibly none, and unread).
 */
type Handler<K extends RequestType> = (
  session: Session,
  principal: Principal,
  request: Extract<ClientFrame, { type: K }>,
) => Promise<void> | void;

/** One client's session. Created by the hub; its door feeds it requests. */
export class Session implements DoorOwner {
  /** Server-assigned id. */
  readonly id: string;
  /**
   * When the connection was accepted, in ms after the hub was created: a
   * small integer V8 keeps in the session (`smallInteger`), where an epoch
   * time is a 16-byte number object of its own.
   */
  #since: number;
  #door: Door;
  #ctx: HubContext;
  #state: SessionState = "awaiting_auth";
  #principal: Principal | undefined;
  /** Its topics and patterns (one field, no object of its own until a second one). */
  #subscriptions: FewStrings;
  /** The first-message deadline, then the token's (`token_expiring`, then expiry). */
  #deadline: Deadline | undefined;
  /** Frames waiting for an asynchronous check; `undefined` when none is pending (the hot path). */
  #waiting: WaitingFrames | undefined;
  /**
   * The message-rate bucket: when it is full again (`takeToken`), in ms
   * after `#since`, so that it is a small integer V8 keeps in the session
   * (`smallInteger`) rather than an epoch time of 16 bytes of its own; 0
   * while it was never used.
   */
  #bucketFullAt = 0;
  /** Strikes, violations, patterns, refusals, the close code: made when one is set. */
  #rare: SessionRare | undefined;
  /** Where it comes from (`peer`), kept as its two strings rather than an object. */
  #remoteAddr: string | undefined;
  #transport: string | undefined;
  /**
   * Topics whose position is being read (subscribe on a topic with
   * history): their live publications wait here, with offsets, until the
   * reply and the replay are out. `undefined` when none is (the hot path).
   */
  #recovering: Map<string, Outgoing[]> | undefined;
  /** Concrete topics whose `join`/`leave` it receives. */
  #following: SmallSet<string> | undefined;
  /**
   * Per topic with history, the position of the last subscribe reply this
   * connection was given: a `since` at or after it resumes what this
   * connection was already entitled to, so it needs no `history` permission
   * (see `#mayReplay`). Made at the first such reply; kept after an
   * unsubscribe, since a recovery unsubscribes first; bounded (`#given`).
   */
  #positions: Map<string, TopicPosition> | undefined;

  /**
   * @param id Server-assigned id.
   * @param door The door the client came in by.
   * @param ctx The hub.
   * @param peer Its address and transport, when the adapter said.
   */
  constructor(id: string, door: Door, ctx: HubContext, peer?: Peer) {
    this.id = id;
    this.#remoteAddr = peer?.remoteAddr;
    this.#transport = peer?.transport;
    this.#door = door;
    this.#ctx = ctx;
    this.#since = smallInteger(ctx.clock.now() - ctx.createdAt);
  }

  /** When the connection was accepted, epoch ms. */
  get since(): number {
    return this.#ctx.createdAt + this.#since;
  }

  /** Where it comes from, for the admin API's listing (made when asked). */
  get peer(): Peer | undefined {
    const remoteAddr = this.#remoteAddr;
    const transport = this.#transport;
    if (remoteAddr === undefined && transport === undefined) return undefined;
    return { remoteAddr, transport };
  }

  /** The authenticated principal, once there is one. */
  get principal(): Principal | undefined {
    return this.#principal;
  }

  /** How many topics and patterns it is subscribed to. */
  get subscriptionCount(): number {
    return fewSize(this.#subscriptions);
  }

  /** Bytes queued for the client and not yet written. */
  get queuedBytes(): number {
    return this.#door.queuedBytes;
  }

  /** Whether the connection is authenticated and not closed. */
  get isOpen(): boolean {
    return this.#state === "open";
  }

  /**
   * Called by the adapter once the socket is open.
   *
   * @param principal Identity established at the upgrade, if any.
   */
  start(principal: Principal | undefined): void {
    if (principal !== undefined) {
      const pending = authenticated(Session.#port, this, principal, undefined);
      // The application's connect handler is deciding: frames wait their turn.
      if (pending !== undefined) {
        this.#waitFor(pending.catch((error) => this.#failed("connect", error, undefined)));
      }
      return;
    }
    this.#at(this.#ctx.clock.now() + this.#ctx.firstMessageTimeoutMs, "first_message");
  }

  /**
   * Receives a publication from the fan-out, encoded once per codec. While
   * the topic's position is being read it waits (see `#recovering`);
   * otherwise it is queued at once.
   */
  deliver(publication: Outgoing): void {
    if (this.#state === "closed") return;
    if (this.#recovering !== undefined) {
      const waiting = this.#recovering.get(publication.topic!);
      if (waiting !== undefined) {
        waiting.push(publication);
        return;
      }
    }
    this.#door.publication(publication);
  }

  /** A message sent directly to the user, outside topics (once welcomed). */
  direct(message: Outgoing): void {
    if (this.#state !== "open") return;
    this.#door.publication(message);
  }

  /**
   * Whether it takes `topic`'s publications through `pattern` (and not
   * through its exact subscription or an earlier pattern): once each.
   */
  takesThrough(pattern: string, topic: string): boolean {
    if (fewHas(this.#subscriptions, topic)) return false;
    if (this.#rare?.patterns === 1) return true;
    for (const other of fewToArray(this.#subscriptions)) {
      if (other < pattern && isPattern(other) && matchPattern(other, topic)) return false;
    }
    return true;
  }

  /** A join or leave on one of its topics: sent when it follows that topic's presence. */
  presence(event: PresenceEvent): void {
    if (this.#following === undefined || !this.#following.has(event.topic)) return;
    this.#reply({ type: event.type, topic: event.topic, ...presenceClient(event.entry) });
  }

  /** The engine may have missed publications of `topic`: the client is told to recover. */
  lost(topic: string): void {
    if (this.#state !== "open") return;
    this.#reply({ type: "insufficient_state", topic });
  }

  /** Its door found the client reading too slowly (see {@linkcode DoorOwner}). */
  overflow(): void {
    this.#ctx.metrics.slowConsumerDrops++;
    this.#ctx.audit({
      level: "warn",
      event: "slow_consumer",
      connection: this.id,
      user: this.#principal?.sub,
    });
    this.close(CloseCode.Overloaded, "Slow consumer");
  }

  /** Closes the connection and releases everything it holds. */
  close(code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#rareState().closeCode = code;
    this.#door.close(code, reason);
    this.closed();
  }

  /**
   * Called by the adapter when the socket closed; idempotent.
   *
   * @param code The close code seen by the transport, if any.
   */
  closed(code?: number): void {
    if (this.#state === "closed") return;
    // Only a welcomed connection was ever the application's to be told of.
    const welcomed = this.#state === "open";
    this.#state = "closed";
    const closeCode = this.#rare?.closeCode ?? code;
    this.#at(undefined);
    for (const topic of fewToArray(this.#subscriptions)) this.#unsubscribed(topic);
    this.#waiting?.frames.splice(0);
    this.#door.discard();
    this.#positions = undefined;
    this.#ctx.cache.delete(this);
    this.#ctx.onClosed(this, closeCode);
    this.#ctx.calls.abort(this);
    if (welcomed && this.#principal !== undefined) {
      this.#ctx.events?.({
        type: "disconnect",
        at: this.#ctx.clock.now(),
        connection: this.id,
        user: this.#principal.sub,
        code: closeCode ?? null,
      });
    }
    const disconnect = this.#ctx.handlers?.disconnect;
    if (disconnect !== undefined && welcomed && this.#principal !== undefined) {
      const notice = {
        principal: this.#principal,
        connection: this.#handlerConnection(),
        code: closeCode,
      };
      // Its own slot: this connection's is aborted, and nothing waits for the answer.
      this.#ctx.calls.call("disconnect", new CallSlot(), () => disconnect(notice)).catch(() => {});
    }
  }

  #call<T>(kind: string, fn: (call: HandlerCall) => T | Promise<T>): Promise<T> {
    return this.#ctx.calls.call(kind, this.#ctx.calls.slotOf(this), fn);
  }

  /** {@linkcode Session.#call} answered synchronously when the handler is: a value, or a thrown `HubError`. */
  #invoke<T>(kind: string, fn: (call: HandlerCall) => T | Promise<T>): T | Promise<T> {
    return this.#ctx.calls.invoke(kind, this.#ctx.calls.slotOf(this), fn);
  }

  #handlerConnection(): HandlerConnection {
    return handlerConnection(this.id, this.#remoteAddr, this.#transport);
  }

  /** A handler's context, with the request's own fields (see {@linkcode handlerContext}). */
  #handlerContext<E extends object = Record<never, never>>(
    principal: Principal,
    call: HandlerCall,
    extra?: E,
  ): HandlerContext & E {
    return handlerContext(principal, this.#handlerConnection(), call, extra);
  }

  /**
   * Called by the adapter for every received message. Frames are handled in
   * order: while an asynchronous check is pending, later frames wait in a
   * bounded queue.
   */
  receive(data: unknown): void {
    if (this.#state === "closed") return;
    const limits = this.#ctx.limits;
    const now = this.#ctx.clock.now();
    const fullAt = takeToken(
      this.#bucketFullAt,
      now - this.#ctx.createdAt - this.#since,
      limits.messageRate,
      limits.messageBurst,
    );
    if (fullAt === undefined) {
      this.#rateLimited("message_rate", "Too many frames: slow down");
      if (++this.#rareState().strikes > this.#ctx.limits.maxRateLimitStrikes) {
        this.close(CloseCode.Overloaded, "Rate limit exceeded");
      }
      return;
    }
    this.#bucketFullAt = smallInteger(fullAt);
    if (this.#rare !== undefined) this.#rare.strikes = 0;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      if (waiting.frames.length >= limits.maxQueuedFrames) {
        this.#rateLimited("queue", "Too many frames waiting for a permission check");
        return;
      }
      // Sized only here, off the hot path: nothing is queued while checks are synchronous.
      const bytes = this.#door.bytes(data);
      if (waiting.bytes + bytes > limits.maxQueuedBytes) {
        this.#rateLimited(
          "queue_bytes",
          `Too many bytes waiting for a permission check: at most ${limits.maxQueuedBytes} are held`,
        );
        return;
      }
      waiting.frames.push(data);
      (waiting.sizes ??= []).push(bytes);
      waiting.bytes += bytes;
      return;
    }
    // What the frame does now reads this one time (`_frame_clock.ts`); what it leaves for later reads the clock.
    const frameClock = this.#ctx.frameClock;
    frameClock.hold(now);
    let pending: Promise<void> | undefined;
    try {
      pending = this.#handle(data);
    } finally {
      frameClock.release();
    }
    if (pending !== undefined) this.#waitFor(pending);
  }

  /** Its rarely set state, made now if it was not yet. */
  #rareState(): SessionRare {
    return this.#rare ??= new SessionRare();
  }

  /** Later frames wait in the bounded queue until `pending` settles. */
  #waitFor(pending: Promise<void>): void {
    const waiting = this.#waiting = new WaitingFrames();
    waiting.draining = this.#drain(waiting, pending);
  }

  /** Resolves once no frame is being handled (for graceful shutdown). */
  drained(): Promise<void> {
    return this.#waiting?.draining ?? Promise.resolve();
  }

  /**
   * Re-checks every live subscription, ending the ones no longer allowed
   * with an `unsubscribed` frame.
   */
  async recheck(): Promise<void> {
    const principal = this.#principal;
    if (principal === undefined) return;
    this.#ctx.cache.delete(this);
    for (const topic of fewToArray(this.#subscriptions)) {
      const verdict = await this.#ctx.check(this, principal, "subscribe", topic);
      if (!verdict.allowed && fewHas(this.#subscriptions, topic) && this.#state === "open") {
        // No longer allowed: what is published from now on is not this connection's to recover.
        this.#positions?.delete(topic);
        this.#unsubscribed(topic);
        this.#reply({ type: "unsubscribed", topic, code: "FORBIDDEN" });
      }
    }
  }

  async #drain(waiting: WaitingFrames, first: Promise<void>): Promise<void> {
    await first;
    // A close empties the queue: the frames left are not handled.
    while (waiting.frames.length > 0) {
      const data = waiting.frames.shift();
      waiting.bytes -= waiting.sizes?.shift() ?? 0;
      const pending = this.#handle(data);
      if (pending !== undefined) await pending;
    }
    this.#waiting = undefined;
  }

  /** Handles one frame; returns a promise only when work went asynchronous. */
  #handle(data: unknown): Promise<void> | undefined {
    const parsed = this.#door.decode(data);
    increment(this.#ctx.metrics.messagesIn, parsed.ok ? parsed.frame.type : "invalid");
    if (!parsed.ok) {
      this.#error(parsed.code, parsed.message, parsed.id);
      this.#violation();
      return undefined;
    }
    try {
      const result = this.#dispatch(parsed.frame);
      return result instanceof Promise
        ? result.catch((error) => this.#internal(parsed.frame, error))
        : undefined;
    } catch (error) {
      this.#internal(parsed.frame, error);
      return undefined;
    }
  }

  /**
   * How the queries (`_session_queries.ts`), authentication
   * (`_session_auth.ts`) and subscribe (`_session_subscribe.ts`) reach a
   * session: one table for every session.
   */
  static readonly #port: QueryPort<Session> & AuthPort<Session> & SubscribePort<Session> = {
    hub: (session) => session.#ctx,
    open: (session) => session.#state === "open",
    state: (session) => session.#state,
    principal: (session) => session.#principal,
    authenticate: (session, principal, welcome) => {
      if (welcome) session.#state = "open";
      session.#principal = principal;
    },
    at: (session, at, kind) => session.#at(at, kind),
    call: (session, kind, fn) => session.#call(kind, fn),
    transport: (session) => session.#transport,
    serverSubscribe: (session, topic) => serverSubscribe(Session.#port, session, topic),
    subscribed: (session, topic) => fewHas(session.#subscriptions, topic),
    subscriptionCount: (session) => fewSize(session.#subscriptions),
    addSubscription: (session, topic) => {
      session.#subscriptions = fewWith(session.#subscriptions, topic);
    },
    dropSubscription: (session, topic) => {
      session.#subscriptions = fewWithout(session.#subscriptions, topic);
    },
    patterns: (session) => session.#rare?.patterns ?? 0,
    countPattern: (session) => {
      session.#rareState().patterns++;
    },
    recovering: (session) => session.#recovering,
    startRecovery: (session, topic, waiting) => {
      (session.#recovering ??= new Map()).set(topic, waiting);
    },
    endRecovery: (session, topic) => {
      session.#recovering!.delete(topic);
      if (session.#recovering!.size === 0) session.#recovering = undefined;
    },
    follow: (session, topic) => {
      (session.#following ??= new SmallSet()).add(topic);
    },
    positions: (session) => session.#positions,
    givenPositions: (session) => session.#positions ??= new Map(),
    publication: (session, publication) => session.#door.publication(publication),
    ack: (session, id) => session.#ack(id),
    subscribedAck: (session, id, data) => session.#subscribedAck(id, data),
    rateLimited: (session, limit, message, id) => session.#rateLimited(limit, message, id),
    enter: (session, topic) => session.#enter(topic),
    unsubscribed: (session, topic) => session.#unsubscribed(topic),
    notHeld: (session, topic, id, error) => session.#notHeld(topic, id, error),
    reply: (session, frame) => session.#reply(frame),
    error: (session, code, message, id) => session.#error(code, message, id),
    failed: (session, request, error, id) => session.#failed(request, error, id),
    engineFailed: (session, operation, topic, error) =>
      session.#engineFailed(operation, topic, error),
    connection: (session) => session.#handlerConnection(),
    invoke: (session, kind, fn) => session.#invoke(kind, fn),
  };

  /**
   * The handler of each request in the request table (`src/protocol/requests.ts`),
   * by name: a request the table names without a handler here does not
   * compile. Requests the table marks `authenticated` reach their handler
   * only once the session has a principal.
   */
  static readonly #handlers: { readonly [K in RequestType]: Handler<K> } = {
    ping: (session, _principal, r) => session.#reply({ type: "pong", id: r.id }),
    auth: (session, _principal, r) => auth(Session.#port, session, r.token, r.id),
    subscribe: (session, principal, r) =>
      r.since === undefined && r.presence === undefined
        ? subscribe(Session.#port, session, principal, r.topic, r.id)
        : subscribe(Session.#port, session, principal, r.topic, r.id, r.since, r.presence),
    unsubscribe: (session, _principal, r) => {
      session.#unsubscribed(r.topic);
      session.#ack(r.id);
    },
    publish: (session, principal, r) =>
      session.#publish(principal, r.topic, r.payload, r.jws, r.id, r.idempotencyKey),
    history: (session, principal, r) => history(Session.#port, session, principal, r),
    presence: (session, principal, r) =>
      presenceQuery(Session.#port, session, principal, r.type, r.topic, r.id),
    presence_stats: (session, principal, r) =>
      presenceQuery(Session.#port, session, principal, r.type, r.topic, r.id),
    rpc: (session, principal, r) => rpc(Session.#port, session, principal, r.method, r.data, r.id),
  };

  #dispatch(frame: ClientFrame): Promise<void> | void {
    const principal = this.#principal;
    if (principal === undefined && REQUESTS[frame.type].authenticated) {
      return this.#error("AUTH_FAILED", "Authenticate first with an 'auth' frame", frame.id);
    }
    const handler = Session.#handlers[frame.type] as Handler<RequestType>;
    // An unauthenticated request's handler does not read the principal.
    return handler(this, principal!, frame);
  }

  /** Marks this connection present on a concrete topic. */
  #enter(topic: string): void {
    const principal = this.#principal!;
    const entry: PresenceEntry = { connection: this.id, user: principal.sub };
    const info = this.#ctx.presenceInfo(principal);
    this.#ctx.engine.presenceAdd(
      topic,
      info === undefined ? entry : { ...entry, info },
    ).catch((error) => this.#engineFailed("presence_add", topic, error));
    this.#presenceEvent("join", topic);
  }

  #presenceEvent(type: "join" | "leave", topic: string): void {
    this.#ctx.events?.({
      type,
      at: this.#ctx.clock.now(),
      topic,
      connection: this.id,
      user: this.#principal!.sub,
    });
  }

  /**
   * Removes this connection from a topic's presence. Every concrete
   * subscription enters presence once held, so the subscriptions are the
   * record of it: no set of its own per connection. A removal for a
   * subscription that was never held (unsubscribed while the engine was
   * still subscribing) finds nothing to remove.
   */
  #leave(topic: string): void {
    if (!this.#ctx.presence || isPattern(topic)) return;
    this.#ctx.engine.presenceRemove(topic, this.id).catch((error) =>
      this.#engineFailed("presence_remove", topic, error)
    );
    this.#presenceEvent("leave", topic);
  }

  #engineFailed(operation: string, topic: string, error: unknown): void {
    this.#ctx.log({
      level: "error",
      event: `engine.${operation}_failed`,
      connection: this.id,
      topic,
      error: error instanceof Error ? error.name : typeof error,
    });
  }

  /** The engine could not subscribe: the reservation is undone and the client may retry. */
  #notHeld(topic: string, id: RequestId | undefined, error: unknown): void {
    this.#ctx.log({
      level: "error",
      event: "engine.subscribe_failed",
      connection: this.id,
      topic,
      error: error instanceof Error ? error.name : typeof error,
    });
    this.#unsubscribed(topic);
    if (this.#state !== "open") return;
    this.#error("INTERNAL", `Cannot subscribe to '${topic}' now: the engine is unavailable`, id);
  }

  #publish(
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): Promise<void> | void {
    const verdict = this.#ctx.check(this, principal, "publish", topic);
    // The decision is almost always cached and synchronous: no closure is
    // made for it then, as this runs for every publish frame.
    return verdict instanceof Promise
      ? verdict.then((v) => this.#publishAllowed(v, principal, topic, payload, jws, id, key))
      : this.#publishAllowed(verdict, principal, topic, payload, jws, id, key);
  }

  #publishAllowed(
    verdict: Verdict,
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): Promise<void> | void {
    if (this.#state !== "open") return;
    if (!verdict.allowed) return this.#error(verdict.code, verdict.message, id);
    // Signed topics: verified once here, before fan-out; plain ones pass at no cost.
    const admission = this.#ctx.signed.admit(this, topic, payload, jws);
    if (admission === undefined) {
      return this.#publishAdmitted(principal, topic, payload, jws, id, key);
    }
    return admission.then((a) => {
      if (this.#state !== "open") return;
      if (!a.ok) return this.#error(a.code, a.message, id);
      return this.#publishAdmitted(principal, topic, a.payload, a.jws, id, key);
    });
  }

  #publishAdmitted(
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): Promise<void> | void {
    const hook = this.#ctx.handlers?.publish;
    if (hook !== undefined) {
      return this.#publishHooked(hook, principal, topic, payload, jws, id, key);
    }
    this.#publishCommitted(principal, topic, payload, jws, id, key);
  }

  /**
   * The application's publish handler allows, refuses or replaces the
   * payload. Later frames wait for an answer given by a promise, so
   * publications keep their order; one given synchronously is acted on at
   * once.
   */
  #publishHooked(
    hook: NonNullable<AppHandlers["publish"]>,
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): Promise<void> | void {
    const signed = jws !== undefined;
    let answer: PublishResult | void | Promise<PublishResult | void>;
    try {
      answer = this.#invoke(
        "publish",
        (call) => hook(this.#handlerContext(principal, call, { topic, payload, signed })),
      );
    } catch (error) {
      return this.#publishNotAllowed(error as HubError, id);
    }
    if (!(answer instanceof Promise)) {
      return this.#publishDecided(answer, principal, topic, payload, jws, id, key);
    }
    return answer.then(
      (result) => this.#publishDecided(result, principal, topic, payload, jws, id, key),
      (error: HubError) => this.#publishNotAllowed(error, id),
    );
  }

  #publishNotAllowed(error: HubError, id: RequestId | undefined): void {
    if (this.#state === "open") this.#error(error.code, error.message, id);
  }

  /** The publish handler's answer: publish as is, or its payload, or refuse altering a signed one. */
  #publishDecided(
    result: PublishResult | void,
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): void {
    if (this.#state !== "open") return;
    if (result === undefined || result === null) {
      return this.#publishCommitted(principal, topic, payload, jws, id, key);
    }
    if (jws !== undefined) {
      this.#ctx.log({
        level: "error",
        event: "handler.altered_signed",
        connection: this.id,
        topic,
      });
      return this.#error(
        "FORBIDDEN",
        `Cannot publish the signed publication on '${topic}': the application replaced its payload, and a signed publication is never altered`,
        id,
      );
    }
    return this.#publishCommitted(principal, topic, result.payload, undefined, id, key);
  }

  #publishCommitted(
    principal: Principal,
    topic: string,
    payload: unknown,
    jws: string | undefined,
    id: RequestId | undefined,
    key: string | undefined,
  ): void {
    const sent = this.#ctx.publish(topic, payload, principal.sub, jws, key);
    // Not awaited: the engine keeps the order of publications, and later
    // frames need not wait for this one. Acked once the engine confirmed;
    // without an id, nothing is sent unless it failed, and a publication the
    // engine already delivered (`PUBLISHED`) cannot fail: no reaction is
    // added for it, as this runs for every fire-and-forget publish.
    if (id === undefined) {
      if (sent !== PUBLISHED) {
        sent.catch(this.#publishFailed ??= (error) => this.#publishFailedWith(error, undefined));
      }
    } else if (key === undefined && this.#door.published === undefined) {
      sent.then(() => this.#ack(id), (error) => this.#publishFailedWith(error, id));
    } else sent.then((at) => this.#ackPublished(id, at), (e) => this.#publishFailedWith(e, id));
  }

  /**
   * A fire-and-forget publication failed: reported without an id. Made at
   * the first such publication, then reused: an idle connection holds none.
   */
  #publishFailed: ((error: unknown) => void) | undefined;

  #publishFailedWith(error: unknown, id: RequestId | undefined): void {
    // The engine's bounds refuse a publication for a reason the publisher can act on.
    if (
      error instanceof EngineError &&
      (error.code === "TOO_LARGE" || error.code === "QUOTA_EXCEEDED")
    ) {
      return this.#publishRefused(error.code, error.message, id);
    }
    this.#ctx.log({
      level: "error",
      event: "engine.publish_failed",
      connection: this.id,
      error: error instanceof Error ? error.name : typeof error,
    });
    if (this.#state !== "open") return;
    this.#error("INTERNAL", "Cannot publish now: the engine is unavailable", id);
  }

  #publishRefused(
    code: "TOO_LARGE" | "QUOTA_EXCEEDED",
    message: string,
    id: RequestId | undefined,
  ): void {
    increment(
      this.#ctx.metrics.rateLimitHits,
      code === "TOO_LARGE" ? "publication_bytes" : "new_streams",
    );
    // Audited at the 1st, 10th, 100th... refusal of a connection, so a flood cannot flood the log too.
    const refused = ++this.#rareState().refusedPublishes;
    if (auditsRefusal(refused)) {
      this.#ctx.audit({
        level: "warn",
        event: "publish.refused",
        code,
        refused,
        connection: this.id,
        user: this.#principal?.sub,
      });
    }
    if (this.#state === "open") this.#error(code, message, id);
  }

  /**
   * Replaces the connection's deadline (`at` undefined: clears it). The
   * deadline calls the shared function of its kind with the connection as
   * `this`, so a connection holds no closure for it, nor a field for its kind.
   */
  #at(at: number | undefined, kind?: DeadlineKind): void {
    if (this.#deadline !== undefined) this.#ctx.deadlines.cancel(this.#deadline);
    // A time without a kind is acted on as the token's expiry, as `deadline` does.
    this.#deadline = at === undefined
      ? undefined
      : this.#ctx.deadlines.add(at, Session.#onDeadline[kind ?? "token_expired"], this);
  }

  /** The deadline of each kind is due: cleared, then acted on (`_session_auth.ts`). */
  static readonly #onDeadline: { readonly [K in DeadlineKind]: (this: Session) => void } = {
    first_message(this: Session) {
      this.#deadline = undefined;
      deadline(Session.#port, this, "first_message");
    },
    token_expiring(this: Session) {
      this.#deadline = undefined;
      deadline(Session.#port, this, "token_expiring");
    },
    token_expired(this: Session) {
      this.#deadline = undefined;
      deadline(Session.#port, this, "token_expired");
    },
  };

  #violation(): void {
    const limits = this.#ctx.limits;
    const violations = this.#rareState().violations ??= [];
    if (
      recordViolation(violations, this.#ctx.clock.now(), limits.violationWindowMs) >
        limits.maxViolations
    ) {
      this.#ctx.audit({ level: "warn", event: "protocol.violations", connection: this.id });
      this.close(CloseCode.ProtocolViolation, "Too many protocol violations");
    }
  }

  #internal(frame: ClientFrame, error: unknown): void {
    this.#failed(frame.type, error, frame.id);
  }

  /**
   * Handling a request threw: a {@linkcode HubError} is the client's answer,
   * with its code and message; anything else is the server's fault, logged
   * with its detail and answered `INTERNAL` with a generic message, so no
   * internal text reaches the client.
   */
  #failed(request: string, error: unknown, id: RequestId | undefined): void {
    if (this.#state === "closed") return;
    if (error instanceof HubError) return this.#error(error.code, error.message, id);
    this.#ctx.log({
      level: "error",
      event: "internal",
      connection: this.id,
      frame: request,
      ...errorDetail(error),
    });
    this.#error("INTERNAL", "Internal error", id);
  }

  /** Ends one subscription and releases what it counted against; nothing when there was none. */
  #unsubscribed(topic: string): void {
    if (!fewHas(this.#subscriptions, topic)) return;
    this.#subscriptions = fewWithout(this.#subscriptions, topic);
    this.#ctx.fanout.remove(topic, this);
    if (this.#recovering?.delete(topic) && this.#recovering.size === 0) {
      this.#recovering = undefined;
    }
    if (this.#following?.delete(topic)) this.#ctx.fanout.unfollow(topic, this);
    this.#leave(topic);
    if (isPattern(topic)) {
      this.#rare!.patterns--;
      this.#ctx.patternQuota.release(this.#principal!.sub);
    }
  }

  #rateLimited(limit: string, message: string, id?: RequestId): void {
    increment(this.#ctx.metrics.rateLimitHits, limit);
    // One audit line per streak, so a flood cannot flood the log too.
    if ((this.#rare?.strikes ?? 0) === 0) {
      this.#ctx.audit({
        level: "warn",
        event: "rate_limited",
        limit,
        connection: this.id,
        user: this.#principal?.sub,
      });
    }
    this.#error("RATE_LIMITED", message, id);
  }

  /** A subscribe's plain reply, with the application's initial data when it gave some. */
  #subscribedAck(id: RequestId | undefined, data: unknown): void {
    if (data === undefined) return this.#ack(id);
    this.#reply(id === undefined ? { type: "ack", data } : { type: "ack", id, data });
  }

  /**
   * The `ack` of a publish with the position it was published at: for a
   * publish that carried an idempotency key (the first one's, for a
   * repeat), so a client that retried learns where its publication is, and
   * to a door that answers every publish with its position (HTTP publish).
   */
  #ackPublished(id: RequestId, at: StreamPosition | undefined): void {
    const door = this.#door;
    if (door.published !== undefined) {
      increment(this.#ctx.metrics.messagesOut, "ack");
      return door.published(id, at);
    }
    if (at === undefined) return this.#ack(id);
    increment(this.#ctx.metrics.messagesOut, "ack");
    this.#door.reply({ type: "ack", id, offset: at.offset, epoch: at.epoch });
  }

  #ack(id: RequestId | undefined): void {
    increment(this.#ctx.metrics.messagesOut, "ack");
    this.#door.ack(id);
  }

  /** Sends an error reply; `retry` follows from the code. */
  #error(code: ErrorCode, message: string, id?: RequestId): void {
    increment(this.#ctx.metrics.messagesOut, "error");
    this.#door.error(code, message, id);
  }

  /** Sends a reply or event; an `id` that is `undefined` is left out of it. */
  #reply(frame: ServerFrame): void {
    increment(this.#ctx.metrics.messagesOut, frame.type);
    this.#door.reply(frame);
  }
}
