/**
 * The STOMP 1.2 door (also 1.1 and 1.0) over WebSocket, `docs/stomp.md`:
 * it reads a client's frames into the session's typed requests (`CONNECT`
 * into `auth`, `SUBSCRIBE` into `subscribe`, `SEND` into `publish` or, to an
 * application destination, `rpc`) and writes the session's replies as
 * `CONNECTED`, `RECEIPT`, `MESSAGE` and `ERROR` frames. What the session
 * does not know of, it keeps: subscription ids, receipts, user queues, the
 * heart-beat. The session still checks, limits and counts every frame.
 *
 * A frame the door answers by itself (a heart-beat, an `ACK`, a second
 * subscription to a topic) still goes through the session, as a `ping`
 * without id, so the rate limit counts it; its `pong` is not written.
 *
 * @module
 */

import { CloseCode, type ErrorCode } from "../../protocol/codes.ts";
import type { RequestId, ServerFrame } from "../../protocol/frames.ts";
import { type FrameLimits, parseClientRequest, type ParseResult } from "../../protocol/parse.ts";
import {
  encodeStompFrame,
  escapeHeader,
  parseStompFrame,
  type StompFrame,
  type StompLimits,
} from "../../protocol/stomp/frame.ts";
import {
  resolveStompDestination,
  type StompDestinationRule,
} from "../../protocol/stomp/destination.ts";
import { matchPattern } from "../../topic/pattern.ts";
import { isPattern } from "../../topic/topic.ts";
import type { Door, DoorOwner, TextSocket } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { frameExceeds, Outbox, writeFrames } from "./_outbox.ts";
import { messageIdOf, STOMP_JSON_TYPE, type StompPublicationCodec } from "./stomp_publication.ts";
import { messageBytes } from "./utf8.ts";
import { type PlainSend, readPlainSend, type StompSendTopics } from "./stomp_send.ts";
import type { SharedBatch } from "./shared_batch.ts";
import { openersExceed } from "../../protocol/json_openers.ts";

/** The deadlines a door arms for its heart-beats (the hub's). */
export interface StompTimers {
  /** The current time, epoch ms. */
  now(): number;
  /** Calls `fn` on `self` at `at`. */
  add(at: number, fn: (this: StompDoor) => void, self: StompDoor): object;
  /** Cancels what `add` returned. */
  cancel(handle: object): void;
}

/** What a STOMP door needs of its hub: one host for every STOMP door. */
export interface StompDoorHost {
  /** Frame, header and body bounds, JSON depth, subscriptions, and the slow-consumer bound. */
  readonly limits:
    & StompLimits
    & FrameLimits
    & { readonly maxBufferedBytes: number; readonly maxSubscriptions: number };
  /** How destinations name topics, methods and user queues. */
  readonly rule: StompDestinationRule;
  /** Encodes each publication once for every STOMP door. */
  readonly codec: StompPublicationCodec;
  /** The topics of the destinations `SEND` frames name, mapped once for every STOMP door. */
  readonly sendTopics: StompSendTopics;
  /** The heart-beat the hub offers both ways, ms; 0 for none. */
  readonly heartbeatMs: number;
  /** Whether frames written in one turn share a WebSocket message (each still ends with its NUL). */
  readonly batch: boolean;
  /** Writes queued frames at the end of the turn. */
  readonly flushQueue: { add(item: { flush(): number }): void };
  /** Counts the WebSocket messages written. */
  readonly metrics: { socketWrites: number };
  /** Arms the heart-beats. */
  readonly timers: StompTimers;
  /**
   * The last batch the hub's STOMP doors wrote: doors written the same
   * frames in a turn (a fan-out to subscriptions of the same id) share it.
   */
  readonly shared?: SharedBatch;
}

/** What a STOMP door tells its session: it also ends it, after an `ERROR` or `DISCONNECT`. */
export interface StompDoorOwner extends DoorOwner {
  /** Closes the session (and, through this door, the socket). */
  close(code: number, reason: string): void;
}

/** A subscription as the client named it. */
interface Subscription {
  /** Its id, escaped for the `subscription` header. */
  readonly header: string;
  /** The topic or pattern, or `undefined` for a user queue. */
  readonly topic: string | undefined;
  /** The user queue's name. */
  readonly queue: string | undefined;
  /** Whether MESSAGE frames carry an `ack` header (`client`, `client-individual`). */
  readonly acks: boolean;
}

/** What a request the door sent the session waits for. */
type Pending =
  | { kind: "connect" }
  | { kind: "receipt"; receipt: string | undefined; subscription?: string }
  | { kind: "rpc"; receipt: string | undefined; replyTo: string; correlation: string | undefined };

/** A frame the door answered itself: still counted by the session, its `pong` dropped. */
const NOTHING: ParseResult = { ok: true, frame: { type: "ping" } };

const VERSIONS = ["1.2", "1.1", "1.0"] as const;

/** A JSON content type: `application/json`, or a `+json` suffix, parameters allowed. */
const JSON_TYPE_RE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** One client's STOMP door. */
export class StompDoor implements Door {
  #socket: TextSocket;
  #host: StompDoorHost;
  /** The highest version the subprotocol allows. */
  #offered: string;
  #owner: StompDoorOwner | undefined;
  /**
   * What is queued this turn: its one frame as it is (the common turn, which
   * allocates nothing more), else an outbox made by the second frame;
   * dropped once flushed.
   */
  #pending: string | Outbox | undefined;
  /** `new` until CONNECT, `connecting` until the session answers it, then `connected`. */
  #state: "new" | "connecting" | "connected" = "new";
  /** The version agreed in CONNECTED. */
  #version = "1.2";
  /** The session welcomed a principal (at the upgrade or after CONNECT's token). */
  #welcome: { user: string; connectionId: string } | undefined;
  /** An ERROR went out: nothing more is written, and the session is closing. */
  #errored = false;
  #nextId = 0;
  #requests = new Map<RequestId, Pending>();
  #subscriptions = new Map<string, Subscription>();
  /** Subscription ids per exact topic, and the pattern subscriptions. */
  #byTopic = new Map<string, Subscription[]>();
  /**
   * The topic of the last publication and its entry in `#byTopic`: a
   * publisher's frames to a topic carry one topic string (STOMP's `SEND`
   * destinations map to it once per hub), so the next publication to it
   * finds its subscriptions without the map. Forgotten whenever
   * `#byTopic` changes.
   */
  #lastTopic: string | undefined;
  #lastExact: Subscription[] | undefined;
  #patterns: Subscription[] | undefined;
  /** User-queue subscriptions per queue name. */
  #queues: Map<string, Subscription[]> | undefined;
  /** Negotiated intervals (0: none), and the heart-beat state. */
  #sendEveryMs = 0;
  #expectEveryMs = 0;
  #heardAt = 0;
  #wrote = false;
  #sendTimer: object | undefined;
  #expectTimer: object | undefined;

  /**
   * @param socket The WebSocket.
   * @param host The hub's limits, mapping, codec and timers.
   * @param version The version the subprotocol names (`1.2`, `1.1`, `1.0`).
   */
  constructor(socket: TextSocket, host: StompDoorHost, version: string) {
    this.#socket = socket;
    this.#host = host;
    this.#offered = version;
  }

  /** Names the session; the door writes nothing before. */
  bind(owner: StompDoorOwner): void {
    this.#owner = owner;
  }

  bytes(data: unknown): number {
    return messageBytes(data);
  }

  decode(data: unknown): ParseResult {
    if (this.#expectEveryMs > 0) this.#heardAt = this.#host.timers.now();
    // The common SEND, to a topic, read without the full parser.
    if (typeof data === "string" && this.#state === "connected") {
      const send = readPlainSend(data, this.#host.limits);
      const published = send === undefined ? undefined : this.#plainSend(send);
      if (published !== undefined) return published;
    }
    const parsed = parseStompFrame(data, this.#host.limits);
    if (!parsed.ok) {
      return this.#refuse(parsed.code, parsed.message, parsed.headers?.get("receipt"));
    }
    const frame = parsed.frame;
    if (frame === undefined) return NOTHING;
    const receipt = frame.headers.get("receipt");
    const command = frame.command;
    if (command === "CONNECT" || command === "STOMP") {
      if (this.#state !== "new") return this.#refuse("BAD_REQUEST", "Already connected", receipt);
      return this.#connect(frame);
    }
    if (this.#state !== "connected") {
      return this.#refuse(
        "AUTH_FAILED",
        `Cannot handle ${command} before CONNECTED: send CONNECT first`,
        receipt,
      );
    }
    switch (command) {
      case "SUBSCRIBE":
        return this.#subscribe(frame, receipt);
      case "UNSUBSCRIBE":
        return this.#unsubscribe(frame, receipt);
      case "SEND":
        return this.#send(frame, receipt);
      case "ACK":
      case "NACK": {
        const id = frame.headers.get(this.#version === "1.2" ? "id" : "message-id");
        if (id === undefined) {
          return this.#refuse("BAD_REQUEST", `${command} needs an 'id' header`, receipt);
        }
        // No queues: nothing waits for an acknowledgement, nothing is redelivered.
        return this.#receipted(receipt);
      }
      case "DISCONNECT":
        if (receipt !== undefined) {
          this.#queue(encodeStompFrame("RECEIPT", [["receipt-id", receipt]], ""));
        }
        queueMicrotask(() => this.#owner?.close(CloseCode.Normal, "Disconnected"));
        return NOTHING;
      default:
        return this.#refuse(
          "BAD_REQUEST",
          `Cannot handle ${command}: transactions are not supported`,
          receipt,
        );
    }
  }

  reply(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        this.#welcome = { user: frame.user, connectionId: frame.connectionId };
        if (frame.id !== undefined) this.#settled(frame.id);
        return;
      case "ack":
      case "pong":
        if (frame.id !== undefined) this.#settled(frame.id);
        return;
      case "rpc":
        if (frame.id !== undefined) this.#answered(frame.id, frame.data, undefined);
        return;
      case "error":
        return this.error(frame.code, frame.message, frame.id);
      case "unsubscribed":
        return this.error(
          frame.code ?? "FORBIDDEN",
          `Subscription to '${frame.topic}' ended: it is no longer allowed`,
        );
      default:
        // token_expiring, insufficient_state, presence: STOMP has no word for them.
        return;
    }
  }

  ack(id: RequestId | undefined): void {
    if (id !== undefined) this.#settled(id);
  }

  error(code: ErrorCode, message: string, id?: RequestId): void {
    const pending = id === undefined ? undefined : this.#requests.get(id);
    if (pending?.kind === "rpc") return this.#answered(id!, undefined, { code, message });
    if (id !== undefined) this.#requests.delete(id);
    if (pending?.kind === "receipt" && pending.subscription !== undefined) {
      this.#forget(pending.subscription);
    }
    this.#fail(code, message, pending?.kind === "receipt" ? pending.receipt : undefined);
  }

  publication(publication: Outgoing): void {
    if (this.#errored || this.#state !== "connected") return;
    const topic = publication.topic;
    if (topic === null) {
      const subscriptions = this.#queues?.get(publication.event ?? "messages");
      if (subscriptions !== undefined) this.#deliver(subscriptions, publication);
      return;
    }
    let exact = this.#lastExact;
    if (topic !== this.#lastTopic) {
      exact = this.#lastExact = this.#byTopic.get(topic);
      this.#lastTopic = topic;
    }
    if (exact !== undefined) this.#deliver(exact, publication);
    const patterns = this.#patterns;
    if (patterns === undefined) return;
    for (const subscription of patterns) {
      if (matchPattern(subscription.topic!, topic)) this.#deliver([subscription], publication);
    }
  }

  get queuedBytes(): number {
    const pending = this.#pending;
    return (typeof pending === "string" ? pending.length : pending?.chars ?? 0) +
      (this.#owner === undefined ? 0 : this.#socket.bufferedAmount);
  }

  /**
   * Writes the queued frames; called by the hub's flush queue.
   *
   * @returns How many WebSocket messages were written.
   */
  flush(): number {
    const pending = this.#pending;
    if (pending === undefined) return 0;
    this.#pending = undefined;
    if (this.#owner === undefined) return 0;
    const limit = this.#host.limits.maxBufferedBytes;
    // At most three UTF-8 bytes per UTF-16 unit: a socket that knows it holds
    // no more than the rest of the limit needs no reading (Deno's is a call
    // into the runtime per write), as in the v1 door; the check decides the same.
    const most = 3 * (typeof pending === "string" ? pending.length : pending.chars);
    if (this.#socket.bufferedAtMost?.(limit - most) !== true) {
      const held = this.#socket.bufferedAmount;
      if (
        typeof pending === "string"
          ? frameExceeds(held, pending, limit)
          : pending.exceeds(held, limit)
      ) {
        this.#owner.overflow();
        return 0;
      }
    }
    return this.#flushFrames(typeof pending === "string" ? [pending] : pending.take()!);
  }

  close(code: number, reason: string): void {
    const owner = this.#owner;
    if (owner === undefined) return;
    // Every end but a DISCONNECT or the client's own close is an ERROR first.
    if (code !== CloseCode.Normal && !this.#errored && this.#state !== "new") {
      this.#queue(encodeStompFrame("ERROR", [["message", reason]], ""));
      this.#errored = true;
    }
    const pending = this.#pending;
    const frames = typeof pending === "string" ? [pending] : pending?.take();
    this.#pending = undefined;
    if (frames !== undefined) this.#flushFrames(frames);
    this.discard();
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  discard(): void {
    this.#owner = undefined;
    this.#pending = undefined;
    this.#requests.clear();
    this.#subscriptions.clear();
    this.#byTopic.clear();
    this.#lastTopic = this.#lastExact = undefined;
    this.#patterns = undefined;
    this.#queues = undefined;
    if (this.#sendTimer !== undefined) this.#host.timers.cancel(this.#sendTimer);
    if (this.#expectTimer !== undefined) this.#host.timers.cancel(this.#expectTimer);
    this.#sendTimer = undefined;
    this.#expectTimer = undefined;
  }

  /** CONNECT: the version, the heart-beat, and the token (passcode, then Authorization). */
  #connect(frame: StompFrame): ParseResult {
    const headers = frame.headers;
    const receipt = headers.get("receipt");
    const accepted = (headers.get("accept-version") ?? "1.0").split(",").map((v) => v.trim());
    const allowed = VERSIONS.slice(VERSIONS.indexOf(this.#offered as typeof VERSIONS[number]));
    const version = allowed.find((v) => accepted.includes(v));
    if (version === undefined) {
      return this.#refuse(
        "BAD_REQUEST",
        `Cannot agree on a version: the client accepts '${accepted.join(",")}', this hub speaks ${
          allowed.join(",")
        } under this subprotocol`,
        receipt,
        [["version", allowed.join(",")]],
      );
    }
    this.#version = version;
    const beat = headers.get("heart-beat") ?? "0,0";
    const match = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(beat);
    if (match === null) {
      return this.#refuse(
        "BAD_REQUEST",
        `Header 'heart-beat' must be two non-negative integers 'cx,cy', got '${beat.slice(0, 32)}'`,
        receipt,
      );
    }
    const ours = this.#host.heartbeatMs;
    const cx = Number(match[1]);
    const cy = Number(match[2]);
    this.#sendEveryMs = ours === 0 || cy === 0 ? 0 : Math.max(ours, cy);
    this.#expectEveryMs = ours === 0 || cx === 0 ? 0 : Math.max(ours, cx);
    this.#state = "connecting";
    const id = ++this.#nextId;
    this.#requests.set(id, { kind: "connect" });
    const token = headers.get("passcode") ||
      bearer(headers.get("Authorization") ?? headers.get("authorization"));
    // Without a token, the upgrade's principal (if any) is the session's: a
    // `ping` waits its turn behind the session's welcome, and its `pong` says
    // whether one came.
    return token === undefined || token === ""
      ? { ok: true, frame: { type: "ping", id } }
      : { ok: true, frame: { type: "auth", id, token } };
  }

  #subscribe(frame: StompFrame, receipt: string | undefined): ParseResult {
    const destination = frame.headers.get("destination");
    // STOMP 1.0 makes the id optional: the destination names the subscription then.
    const id = frame.headers.get("id") ?? (this.#version === "1.0" ? destination : undefined);
    if (id === undefined || destination === undefined) {
      return this.#refuse("BAD_REQUEST", "SUBSCRIBE needs 'id' and 'destination' headers", receipt);
    }
    // Ids on a topic already held and user queues never reach the session: bounded here.
    if (this.#subscriptions.size >= this.#host.limits.maxSubscriptions) {
      return this.#refuse(
        "RATE_LIMITED",
        `Cannot subscribe to more than ${this.#host.limits.maxSubscriptions} destinations on one connection`,
        receipt,
      );
    }
    if (this.#subscriptions.has(id)) {
      return this.#refuse(
        "BAD_REQUEST",
        `Subscription id '${id.slice(0, 64)}' is in use on this connection`,
        receipt,
      );
    }
    const ack = frame.headers.get("ack") ?? "auto";
    if (ack !== "auto" && ack !== "client" && ack !== "client-individual") {
      return this.#refuse(
        "BAD_REQUEST",
        `Header 'ack' must be auto, client or client-individual, got '${ack.slice(0, 32)}'`,
        receipt,
      );
    }
    const target = resolveStompDestination(destination, this.#host.rule);
    if (target.kind === "invalid") return this.#refuse("BAD_REQUEST", target.message, receipt);
    if (target.kind === "app") {
      return this.#refuse(
        "BAD_REQUEST",
        `Cannot subscribe to the application destination '${destination.slice(0, 64)}'`,
        receipt,
      );
    }
    const topic = target.kind === "topic" ? target.topic : undefined;
    const subscription: Subscription = {
      header: escapeHeader(id),
      topic,
      queue: target.kind === "user" ? target.name : undefined,
      acks: ack !== "auto",
    };
    this.#subscriptions.set(id, subscription);
    if (topic === undefined) {
      const queues = this.#queues ??= new Map();
      queues.set(subscription.queue!, [...(queues.get(subscription.queue!) ?? []), subscription]);
      return this.#receipted(receipt);
    }
    const pattern = isPattern(topic);
    const first = !this.#topicHeld(topic);
    if (pattern) (this.#patterns ??= []).push(subscription);
    else {
      this.#byTopic.set(topic, [...(this.#byTopic.get(topic) ?? []), subscription]);
      this.#lastTopic = this.#lastExact = undefined;
    }
    if (!first) return this.#receipted(receipt);
    const request = ++this.#nextId;
    this.#requests.set(request, { kind: "receipt", receipt, subscription: id });
    return { ok: true, frame: { type: "subscribe", id: request, topic } };
  }

  #unsubscribe(frame: StompFrame, receipt: string | undefined): ParseResult {
    const id = frame.headers.get("id") ??
      (this.#version === "1.0" ? frame.headers.get("destination") : undefined);
    if (id === undefined) {
      return this.#refuse("BAD_REQUEST", "UNSUBSCRIBE needs an 'id' header", receipt);
    }
    const topic = this.#subscriptions.get(id)?.topic;
    this.#forget(id);
    if (topic === undefined || this.#topicHeld(topic)) return this.#receipted(receipt);
    const request = ++this.#nextId;
    this.#requests.set(request, { kind: "receipt", receipt });
    return { ok: true, frame: { type: "unsubscribe", id: request, topic } };
  }

  #send(frame: StompFrame, receipt: string | undefined): ParseResult {
    const headers = frame.headers;
    const destination = headers.get("destination");
    if (destination === undefined) {
      return this.#refuse("BAD_REQUEST", "SEND needs a 'destination' header", receipt);
    }
    if (headers.has("transaction")) {
      return this.#refuse(
        "BAD_REQUEST",
        "Cannot SEND in a transaction: transactions are not supported",
        receipt,
      );
    }
    const target = resolveStompDestination(destination, this.#host.rule);
    if (target.kind === "invalid") return this.#refuse("BAD_REQUEST", target.message, receipt);
    if (target.kind === "user") {
      return this.#refuse(
        "FORBIDDEN",
        `Cannot SEND to the user destination '${destination.slice(0, 64)}': the server sends there`,
        receipt,
      );
    }
    const type = headers.get("content-type");
    let payload: unknown = frame.body;
    if (type !== undefined && (type === "application/json" || JSON_TYPE_RE.test(type))) {
      try {
        payload = JSON.parse(frame.body);
      } catch {
        return this.#refuse(
          "BAD_REQUEST",
          `Body is not valid JSON, as its content-type '${type.slice(0, 64)}' says`,
          receipt,
        );
      }
    }
    const jws = headers.get("jws");
    let raw: Record<string, unknown>;
    if (target.kind === "app") {
      const id = ++this.#nextId;
      this.#requests.set(id, {
        kind: "rpc",
        receipt,
        replyTo: headers.get("reply-to") ?? `${this.#host.rule.userPrefix}reply`,
        correlation: headers.get("correlation-id"),
      });
      raw = { type: "rpc", id, method: target.method, data: payload };
    } else {
      // parseClientRequest checks the topic (a concrete one, not a pattern).
      const id = receipt === undefined ? undefined : ++this.#nextId;
      if (id !== undefined) this.#requests.set(id, { kind: "receipt", receipt });
      raw = jws === undefined
        ? { type: "publish", id, topic: target.topic, payload }
        : { type: "publish", id, topic: target.topic, jws };
    }
    const parsed = parseClientRequest(raw, this.#host.limits, frame.body.length);
    if (!parsed.ok && raw.id !== undefined) this.#requests.delete(raw.id as number);
    return parsed.ok ? parsed : this.#refuse(parsed.code, parsed.message, receipt);
  }

  /**
   * A plain SEND to a topic, as `#send` reads it, without its rarer checks:
   * the destination was mapped and checked before, and a body with fewer
   * `{` and `[` than `maxDepth` cannot be too deep. `undefined` for any
   * other (an application or user destination, a pattern, a body that is not
   * the JSON its content-type says, a body that might be too deep): the
   * full path reads it then, and answers it as it always did.
   */
  #plainSend(send: PlainSend): ParseResult | undefined {
    const topic = this.#host.sendTopics.topic(send.destination);
    if (topic === undefined) return undefined;
    const type = send.contentType;
    const body = send.body;
    let payload: unknown = body;
    if (type !== undefined && (type === "application/json" || JSON_TYPE_RE.test(type))) {
      try {
        payload = JSON.parse(body);
      } catch {
        return undefined;
      }
      // As parseClientRequest checks it: the payload is one level below the request.
      const maxDepth = this.#host.limits.maxDepth;
      if (
        typeof payload === "object" && payload !== null && body.length > 2 * maxDepth &&
        openersExceed(body, maxDepth - 1)
      ) return undefined;
    }
    const receipt = send.receipt;
    if (receipt === undefined) return { ok: true, frame: { type: "publish", topic, payload } };
    const id = ++this.#nextId;
    this.#requests.set(id, { kind: "receipt", receipt });
    return { ok: true, frame: { type: "publish", id, topic, payload } };
  }

  /** Whether some subscription of this client still takes `topic`. */
  #topicHeld(topic: string): boolean {
    return isPattern(topic)
      ? this.#patterns?.some((s) => s.topic === topic) ?? false
      : this.#byTopic.has(topic);
  }

  /** Drops a subscription the client named (UNSUBSCRIBE, or a refused SUBSCRIBE). */
  #forget(id: string): void {
    const subscription = this.#subscriptions.get(id);
    if (subscription === undefined) return;
    this.#subscriptions.delete(id);
    const { topic, queue } = subscription;
    if (queue !== undefined) {
      const rest = this.#queues?.get(queue)?.filter((s) => s !== subscription) ?? [];
      if (rest.length === 0) this.#queues?.delete(queue);
      else this.#queues?.set(queue, rest);
      return;
    }
    if (isPattern(topic!)) {
      const rest = this.#patterns?.filter((s) => s !== subscription) ?? [];
      this.#patterns = rest.length === 0 ? undefined : rest;
      return;
    }
    const rest = this.#byTopic.get(topic!)?.filter((s) => s !== subscription) ?? [];
    if (rest.length === 0) this.#byTopic.delete(topic!);
    else this.#byTopic.set(topic!, rest);
    this.#lastTopic = this.#lastExact = undefined;
  }

  /** A request the session answered plainly (ack, welcome, pong). */
  #settled(id: RequestId): void {
    const pending = this.#requests.get(id);
    if (pending === undefined) return;
    this.#requests.delete(id);
    if (pending.kind === "connect") return this.#connected();
    if (pending.kind === "receipt" && pending.receipt !== undefined) {
      this.#queue(encodeStompFrame("RECEIPT", [["receipt-id", pending.receipt]], ""));
    }
  }

  /** The session answered CONNECT: CONNECTED if it welcomed a principal, ERROR if not. */
  #connected(): void {
    const welcome = this.#welcome;
    if (welcome === undefined) {
      return this.#fail(
        "AUTH_FAILED",
        "Token is missing; put the JWT in the CONNECT frame's 'passcode' or 'Authorization' header, or in the upgrade request",
        undefined,
      );
    }
    this.#state = "connected";
    const ours = this.#host.heartbeatMs;
    this.#queue(encodeStompFrame("CONNECTED", [
      ["version", this.#version],
      ["heart-beat", `${ours},${ours}`],
      ["server", "realtime-hub"],
      ["session", welcome.connectionId],
      ["user-name", welcome.user],
    ], ""));
    const timers = this.#host.timers;
    if (this.#sendEveryMs > 0) {
      this.#sendTimer = timers.add(timers.now() + this.#sendEveryMs / 2, this.#beat, this);
    }
    if (this.#expectEveryMs > 0) {
      this.#heardAt = timers.now();
      this.#expectTimer = timers.add(this.#heardAt + 2 * this.#expectEveryMs, this.#listen, this);
    }
  }

  /** Sends an EOL when nothing was written for half the interval: no gap reaches it. */
  #beat(): void {
    if (this.#owner === undefined) return;
    if (!this.#wrote && this.#pending === undefined) {
      try {
        this.#socket.send("\n");
        this.#host.metrics.socketWrites++;
      } catch {
        // Closing.
      }
    }
    this.#wrote = false;
    const timers = this.#host.timers;
    this.#sendTimer = timers.add(timers.now() + this.#sendEveryMs / 2, this.#beat, this);
  }

  /** Closes a client silent for twice the interval it promised. */
  #listen(): void {
    this.#expectTimer = undefined;
    const owner = this.#owner;
    if (owner === undefined) return;
    const due = this.#heardAt + 2 * this.#expectEveryMs;
    const timers = this.#host.timers;
    if (timers.now() >= due) {
      owner.close(
        CloseCode.Overloaded,
        "Heart-beat missed: nothing received for twice the interval",
      );
      return;
    }
    this.#expectTimer = timers.add(due, this.#listen, this);
  }

  /** The answer of an `/app` SEND: a MESSAGE to its reply destination, if subscribed. */
  #answered(
    id: RequestId,
    data: unknown,
    failure: { code: ErrorCode; message: string } | undefined,
  ): void {
    const pending = this.#requests.get(id);
    if (pending?.kind !== "rpc") return;
    this.#requests.delete(id);
    const target = resolveStompDestination(pending.replyTo, this.#host.rule);
    const subscriptions = target.kind === "user"
      ? this.#queues?.get(target.name)
      : target.kind === "topic"
      ? this.#byTopic.get(target.topic)
      : undefined;
    if (subscriptions !== undefined && !this.#errored) {
      const headers: [string, string][] = [["destination", pending.replyTo]];
      if (pending.correlation !== undefined) headers.push(["correlation-id", pending.correlation]);
      if (failure !== undefined) headers.push(["error", failure.code]);
      const body = failure === undefined ? JSON.stringify(data ?? null) : failure.message;
      headers.push([
        "content-type",
        failure === undefined ? STOMP_JSON_TYPE : "text/plain;charset=utf-8",
      ]);
      for (const subscription of subscriptions) {
        this.#queue(encodeStompFrame("MESSAGE", [
          ["subscription", subscription.header],
          ["message-id", `${subscription.header}-r${id}`],
          ...headers,
        ], body));
      }
    }
    if (pending.receipt !== undefined) {
      this.#queue(encodeStompFrame("RECEIPT", [["receipt-id", pending.receipt]], ""));
    }
  }

  #deliver(subscriptions: readonly Subscription[], publication: Outgoing): void {
    const codec = this.#host.codec;
    for (const subscription of subscriptions) {
      if (!subscription.acks) this.#queue(codec.message(subscription.header, publication));
      else {
        const tail = publication.encoded(codec);
        this.#queue(
          `MESSAGE\nsubscription:${subscription.header}\nack:${messageIdOf(tail)}${tail}`,
        );
      }
    }
  }

  /** A frame answered by the door alone: its RECEIPT, if asked. */
  #receipted(receipt: string | undefined): ParseResult {
    if (receipt !== undefined) {
      this.#queue(encodeStompFrame("RECEIPT", [["receipt-id", receipt]], ""));
    }
    return NOTHING;
  }

  /**
   * A frame the door refuses: the session answers it (counting the
   * violation) and the door turns the answer into an ERROR.
   */
  #refuse(
    code: ErrorCode,
    message: string,
    receipt: string | undefined,
    extra?: [string, string][],
  ): ParseResult {
    const id = ++this.#nextId;
    this.#requests.set(id, { kind: "receipt", receipt });
    if (extra !== undefined) this.#extra = extra;
    return { ok: false, code, message, id };
  }

  /** Headers the next ERROR carries (the versions a refused CONNECT could have used). */
  #extra: [string, string][] | undefined;

  /** Writes an ERROR and ends the session, as STOMP requires after one. */
  #fail(code: ErrorCode, message: string, receipt: string | undefined): void {
    if (this.#errored || this.#owner === undefined) return;
    const headers: [string, string][] = [[
      "message",
      message.length <= 200 ? message : `${message.slice(0, 200)}...`,
    ], ["code", code]];
    if (receipt !== undefined) headers.push(["receipt-id", receipt]);
    if (this.#extra !== undefined) headers.push(...this.#extra);
    headers.push(["content-type", "text/plain;charset=utf-8"]);
    this.#queue(encodeStompFrame("ERROR", headers, message));
    this.#errored = true;
    const close = code === "AUTH_FAILED" || code === "TOKEN_EXPIRED"
      ? CloseCode.AuthFailed
      : code === "RATE_LIMITED"
      ? CloseCode.Overloaded
      : CloseCode.ProtocolViolation;
    // After the session's own handling of this answer, not inside it.
    queueMicrotask(() => this.#owner?.close(close, `STOMP ERROR: ${code}`));
  }

  /** Queues a frame, unless an ERROR went out: nothing follows it. */
  #queue(text: string): void {
    if (this.#owner === undefined || this.#errored) return;
    const pending = this.#pending;
    const limit = this.#host.limits.maxBufferedBytes;
    if (pending === undefined) {
      this.#pending = text;
      this.#host.flushQueue.add(this);
      if (frameExceeds(0, text, limit)) {
        this.#pending = undefined;
        this.#owner.overflow();
      }
      return;
    }
    let outbox: Outbox;
    if (typeof pending === "string") {
      outbox = this.#pending = new Outbox();
      outbox.add(pending);
    } else outbox = pending;
    outbox.add(text);
    if (outbox.exceeds(0, limit)) {
      this.#pending = undefined;
      this.#owner.overflow();
    }
  }

  #flushFrames(frames: string[]): number {
    this.#wrote = true;
    const writes = writeFrames(this.#socket, frames, this.#host.batch, "", this.#host.shared);
    this.#host.metrics.socketWrites += writes;
    return writes;
  }
}

function bearer(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value.trim());
  return match?.[1];
}
