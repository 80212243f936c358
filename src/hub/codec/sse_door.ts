/**
 * The SSE door: one `text/event-stream` response per session. It opens in
 * two steps. While the session authenticates and answers the stream's
 * subscribe requests, everything it says is held; once every topic is
 * answered the HTTP shell either refuses the request (one refusal refuses
 * the stream, before any byte of it) or attaches the response body, and the
 * door writes `retry:`, the `welcome` event (whose id is the position each
 * topic starts from) and what was held. From then on it writes like
 * protocol v1's door: queued for the end of the turn, and a reader whose
 * queue plus unread bytes outgrow `maxBufferedBytes` is a slow consumer.
 *
 * @module
 */

import type { ErrorCode } from "../../protocol/codes.ts";
import { encodeAck, encodeFrame, errorFrame } from "../../protocol/encode.ts";
import type { RequestId, ServerFrame, TopicPosition } from "../../protocol/frames.ts";
import { type FrameLimits, parseClientFrame, type ParseResult } from "../../protocol/parse.ts";
import type { Door, DoorOwner, TextSocket } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { Outbox } from "./_outbox.ts";
import type { SharedBatch } from "./shared_batch.ts";
import { messageBytes } from "./utf8.ts";
import {
  encodeEvent,
  encodeRetry,
  formatEventId,
  positionEntry,
  SSE_DATA,
  SSE_HEARTBEAT,
  SSE_SINGLE,
  topicListName,
} from "./sse.ts";

/** What an SSE door needs of its hub. */
export interface SseDoorHost {
  /** Frame bounds and the slow-consumer threshold. */
  readonly limits: FrameLimits & { readonly maxBufferedBytes: number };
  /** Writes queued events at the end of the turn. */
  readonly flushQueue: { add(item: { flush(): number }): void };
  /** The `retry:` sent first, in milliseconds. */
  readonly retryMs: number;
  /**
   * The last chunk the hub's streams were written: streams written the same
   * events in a turn (single-topic streams of a fan-out) share its text and
   * its UTF-8 bytes.
   */
  readonly shared?: SharedBatch;
}

/** What a stream resumes from, read from its `Last-Event-ID`. */
export interface SseResume {
  /** Per topic (sorted), where to resume, or `undefined` for none. */
  readonly positions: readonly (TopicPosition | undefined)[] | undefined;
  /** Why the id could not be used (`malformed`, `topics`), when one was sent and could not. */
  readonly unusable?: "malformed" | "topics";
}

/** How the opening of a stream ended. */
export type SseOpening =
  | { readonly ok: true }
  | {
    readonly ok: false;
    /** The code to answer with. */
    readonly code: ErrorCode;
    /** Why. */
    readonly message: string;
  };

/** What a topic's subscribe reply said, for the `welcome` event. */
interface TopicStart {
  topic: string;
  offset?: number;
  epoch?: string;
  recovered?: boolean;
}

/** One SSE stream's door. */
export class SseDoor implements Door {
  #host: SseDoorHost;
  #owner: DoorOwner | undefined;
  #socket: TextSocket | undefined;
  #outbox: Outbox | undefined;
  /** The stream's topics, sorted, and each one's index. */
  readonly topics: readonly string[];
  #index: Map<string, number>;
  #list: string;
  /** Per topic, the entry of the last position written. */
  #entries: string[];
  #resume: SseResume;
  /** While opening: subscribe requests not yet answered, by id; `undefined` once open. */
  #pending: Map<string, number> | undefined = new Map();
  #starts: TopicStart[];
  /** While opening: what the session said, in order, to write after the `welcome`. */
  #held: (Outgoing | string)[] = [];
  /** About how many UTF-16 units `#held` will take written: bounded as a written queue is. */
  #heldChars = 0;
  #welcome: { connectionId: string; user: string; expiresAt: number | null } | undefined;
  #lastError: { code: ErrorCode; message: string } | undefined;
  #settle: (opening: SseOpening) => void;
  /** Settles once every topic is answered, one is refused, or the session ends. */
  readonly opened: Promise<SseOpening>;
  #refusal: SseOpening | undefined;

  /**
   * Why the stream cannot start, when the session ended after the opening
   * settled and before {@linkcode SseDoor.start} (a replay that overflowed).
   */
  get refusal(): SseOpening | undefined {
    return this.#refusal;
  }

  /**
   * @param topics The stream's topics, sorted and distinct.
   * @param resume Where it resumes from.
   * @param host The hub's limits and flush queue.
   */
  constructor(topics: readonly string[], resume: SseResume, host: SseDoorHost) {
    this.topics = topics;
    this.#host = host;
    this.#resume = resume;
    this.#index = new Map(topics.map((topic, i) => [topic, i]));
    this.#list = topicListName(topics);
    this.#entries = topics.map(() => "");
    this.#starts = topics.map((topic) => ({ topic }));
    const { promise, resolve } = Promise.withResolvers<SseOpening>();
    this.opened = promise;
    this.#settle = (opening) => {
      if (this.#pending === undefined) return;
      this.#pending = undefined;
      resolve(opening);
    };
  }

  /** Names the session told of a slow consumer. */
  bind(owner: DoorOwner): void {
    this.#owner = owner;
  }

  /**
   * The subscribe requests that open the stream, as protocol v1 frames:
   * the session reads them as it reads a WebSocket client's.
   */
  requests(): string[] {
    return this.topics.map((topic, i) => {
      const id = `sse-${i}`;
      this.#pending?.set(id, i);
      const since = this.#resume.positions?.[i];
      return JSON.stringify(
        since === undefined
          ? { type: "subscribe", id, topic }
          : { type: "subscribe", id, topic, since },
      );
    });
  }

  decode(data: unknown): ParseResult {
    return parseClientFrame(data, this.#host.limits);
  }

  bytes(data: unknown): number {
    return messageBytes(data);
  }

  reply(frame: ServerFrame): void {
    if (this.#pending !== undefined) {
      if (frame.type === "welcome") {
        const { connectionId, user, expiresAt } = frame;
        this.#welcome = { connectionId, user, expiresAt };
        // A stream of no topics (driven by requests) is open once welcomed.
        if (this.#pending.size === 0) this.#settle({ ok: true });
        return;
      }
      if (frame.type === "ack" && typeof frame.id === "string" && this.#pending.has(frame.id)) {
        const start = this.#starts[this.#pending.get(frame.id)!];
        if (frame.offset !== undefined && frame.epoch !== undefined) {
          start.offset = frame.offset;
          start.epoch = frame.epoch;
        }
        if (frame.recovered !== undefined) start.recovered = frame.recovered;
        return this.#answered(frame.id);
      }
    }
    if (frame.type === "welcome") return;
    if (frame.type === "error") return this.error(frame.code, frame.message, frame.id);
    const text = encodeEvent(frame.type, JSON.stringify(frame));
    this.#say(text);
  }

  ack(id: RequestId | undefined): void {
    if (this.#pending !== undefined) {
      if (typeof id === "string" && this.#pending.has(id)) this.#answered(id);
      return;
    }
    // The answer to a request the client posted to its stream.
    this.#say(encodeEvent("ack", encodeAck(id)));
  }

  error(code: ErrorCode, message: string, id?: RequestId): void {
    if (this.#pending !== undefined) {
      this.#lastError = { code, message };
      // A refused topic, or a refusal of the whole session: the stream is refused.
      this.#settle({ ok: false, code, message });
      return;
    }
    this.#say(encodeEvent("failure", encodeFrame(errorFrame(code, message, id))));
  }

  publication(publication: Outgoing): void {
    if (this.#socket === undefined) {
      if (this.#owner === undefined) return;
      this.#held.push(publication);
      // A recovery of many topics may hold much before the stream starts: as much as a queue may.
      this.#heldChars += (publication.data?.length ?? 0) + (publication.jws?.length ?? 0) + 128;
      if (this.#heldChars > this.#host.limits.maxBufferedBytes) this.#owner.overflow();
      return;
    }
    this.#send(this.#encode(publication));
  }

  /** Writes a heartbeat comment. */
  heartbeat(): void {
    if (this.#socket !== undefined) this.#send(SSE_HEARTBEAT);
  }

  /**
   * Attaches the response body once the opening succeeded, and writes
   * `retry:`, the `welcome` event and what was held.
   */
  start(socket: TextSocket): void {
    if (this.#owner === undefined) return;
    this.#socket = socket;
    const welcome: Record<string, unknown> = { type: "welcome", ...this.#welcome };
    welcome.topics = this.#starts;
    const resume = this.#resume;
    if (resume.positions !== undefined || resume.unusable !== undefined) {
      welcome.recovered = resume.unusable === undefined &&
        this.#starts.every((start) => start.recovered === true);
      if (resume.unusable !== undefined) welcome.reason = resume.unusable;
    }
    this.#starts.forEach((start, i) => {
      const since = resume.positions?.[i];
      const at = start.recovered === true && since !== undefined
        ? since
        : start.offset === undefined
        ? undefined
        : { offset: start.offset, epoch: start.epoch! };
      this.#entries[i] = positionEntry(at);
    });
    this.#send(encodeRetry(this.#host.retryMs));
    this.#send(encodeEvent("welcome", JSON.stringify(welcome), this.#id()));
    const held = this.#held;
    this.#held = [];
    this.#heldChars = 0;
    for (const item of held) this.#send(typeof item === "string" ? item : this.#encode(item));
  }

  #answered(id: string): void {
    this.#pending!.delete(id);
    if (this.#pending!.size === 0) this.#settle({ ok: true });
  }

  /** An event to write now, or after the `welcome` while opening. */
  #say(text: string): void {
    if (this.#socket === undefined) {
      if (this.#owner !== undefined) this.#held.push(text);
      return;
    }
    this.#send(text);
  }

  #id(): string {
    return formatEventId(this.#list, this.#entries);
  }

  #encode(p: Outgoing): string {
    const topic = p.topic;
    const i = topic === null || p.offset === undefined ? undefined : this.#index.get(topic);
    if (i === undefined) return p.encoded(SSE_DATA);
    this.#entries[i] = positionEntry({ offset: p.offset!, epoch: p.epoch ?? "" });
    // A stream of one topic shares its events' text (and id) with every such stream.
    if (this.topics.length === 1) return p.encoded(SSE_SINGLE);
    return `id: ${this.#id()}\n${p.encoded(SSE_DATA)}`;
  }

  /** Queues text for the end of the turn; past `maxBufferedBytes`, the reader is slow. */
  #send(text: string): void {
    if (this.#owner === undefined) return;
    const outbox = this.#outbox ??= new Outbox();
    if (outbox.add(text)) this.#host.flushQueue.add(this);
    if (outbox.exceeds(0, this.#host.limits.maxBufferedBytes)) this.#overflow();
  }

  get queuedBytes(): number {
    return (this.#outbox?.chars ?? 0) +
      (this.#owner === undefined || this.#socket === undefined ? 0 : this.#socket.bufferedAmount);
  }

  /**
   * Writes what is queued as one chunk; called by the hub's flush queue.
   *
   * @returns How many chunks were written.
   */
  flush(): number {
    const outbox = this.#outbox;
    if (outbox === undefined || outbox.isEmpty) return 0;
    const socket = this.#socket;
    if (this.#owner === undefined || socket === undefined) {
      this.#outbox = undefined;
      return 0;
    }
    if (outbox.exceeds(socket.bufferedAmount, this.#host.limits.maxBufferedBytes)) {
      this.#overflow();
      return 0;
    }
    this.#outbox = undefined;
    const frames = outbox.take()!;
    const shared = this.#host.shared;
    if (shared === undefined) return this.#write(frames);
    try {
      shared.write(socket, frames, "");
      return 1;
    } catch {
      // The reader cancelled; its cancel ends the session.
      return 0;
    }
  }

  close(code: number, reason: string): void {
    if (this.#owner === undefined) return;
    if (this.#socket === undefined) {
      // Ended before the stream started (while opening, or right after): it is refused.
      this.#owner = undefined;
      this.#held = [];
      this.#refusal = { ok: false, ...(this.#lastError ?? closeError(code, reason)) };
      this.#settle(this.#refusal);
      return;
    }
    const socket = this.#socket;
    const frames = this.#outbox?.take() ?? [];
    this.#outbox = undefined;
    this.#owner = undefined;
    if (socket === undefined) return;
    frames.push(encodeEvent("close", JSON.stringify({ type: "close", code, reason })));
    this.#write(frames, socket);
    try {
      socket.close(code, reason);
    } catch {
      // Already cancelled by the reader.
    }
  }

  discard(): void {
    this.#owner = undefined;
    this.#outbox = undefined;
    this.#held = [];
    this.#settle({ ok: false, code: "BAD_REQUEST", message: "The client went away" });
  }

  #overflow(): void {
    this.#outbox = undefined;
    this.#owner?.overflow();
  }

  #write(frames: string[], socket = this.#socket!): number {
    try {
      socket.send(frames.length === 1 ? frames[0] : frames.join(""));
      return 1;
    } catch {
      // The reader cancelled; its cancel ends the session.
      return 0;
    }
  }
}

/** The refusal a session's close during the opening stands for. */
function closeError(code: number, reason: string): { code: ErrorCode; message: string } {
  switch (code) {
    case 4001:
      return { code: "AUTH_FAILED", message: reason };
    case 4003:
      return { code: "FORBIDDEN", message: reason };
    case 4008:
      return { code: "RATE_LIMITED", message: reason };
    default:
      return { code: "INTERNAL", message: reason };
  }
}
