/**
 * Protocol v1's door: JSON text frames over a WebSocket (`docs/protocol.md`).
 * It decodes a client's frames into typed requests, encodes the session's
 * replies and publications, and queues them for the end of the turn, when
 * they are written one message each or, under `realtime.v1.batch`, together.
 * A client whose queue outgrows `maxBufferedBytes` is a slow consumer: the
 * queue is dropped and the session told.
 *
 * @module
 */

import type { ErrorCode } from "../../protocol/codes.ts";
import { encodeAck, encodeFrame, errorFrame } from "../../protocol/encode.ts";
import type { RequestId, ServerFrame } from "../../protocol/frames.ts";
import { type FrameLimits, parseClientFrame, type ParseResult } from "../../protocol/parse.ts";
import type { Door, DoorOwner, PublicationCodec, TextSocket } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { frameExceeds, Outbox, writeFrames } from "./_outbox.ts";
import type { SharedBatch } from "./shared_batch.ts";
import { messageBytes } from "./utf8.ts";

/**
 * Encodes a publication as a v1 `message` frame: the payload is already
 * JSON text (the engine keeps it as published), so it is spliced in, not
 * re-encoded. Field order is the one `encodeMessage` writes.
 *
 * @param p The publication.
 * @returns The frame's JSON text.
 *
 * @example Encode a publication
 * ```ts ignore
 * encodeV1Publication(new Outgoing("chat:a", { data: '"hi"', from: null, ts: 1 }, 7, "e"));
 * // {"type":"message","topic":"chat:a","payload":"hi","from":null,"ts":1,"offset":7}
 * ```
 */
export function encodeV1Publication(p: Outgoing): string {
  const from = p.from;
  if (from !== lastFrom) {
    lastFrom = from;
    lastFromTs = `,"from":${JSON.stringify(from)},"ts":`;
  }
  const event = p.event === undefined ? "" : `,"event":${JSON.stringify(p.event)}`;
  const jws = p.jws === undefined ? "" : `,"jws":${JSON.stringify(p.jws)}`;
  const offset = p.offset === undefined ? "" : `,"offset":${p.offset}`;
  // One template, not nested ones: each piece joined is a string of its own
  // (a rope node) until the socket flattens the frame.
  return p.data === undefined
    ? `{"type":"message","topic":${
      JSON.stringify(p.topic)
    }${jws}${lastFromTs}${p.ts}${event}${offset}}`
    : `{"type":"message","topic":${
      JSON.stringify(p.topic)
    },"payload":${p.data}${jws}${lastFromTs}${p.ts}${event}${offset}}`;
}

/**
 * The last publisher's subject, and the frame's text from it to the time: a
 * publisher's frames come in runs (a session's frames are handled one after
 * another), so its subject is encoded once per run, not per publication.
 */
let lastFrom: string | null = null;
let lastFromTs = `,"from":null,"ts":`;

/** Protocol v1's publication codec: one object, so each publication is encoded once for v1. */
export const V1: PublicationCodec = { encodePublication: encodeV1Publication };

/** What a v1 door needs of its hub. */
export interface V1DoorHost {
  /** Frame size and depth bounds. */
  readonly limits: FrameLimits & { readonly maxBufferedBytes: number };
  /**
   * Writes queued frames at the end of the turn (`add`), or, for
   * publications while the hub is busy, at the end of its coalescing window
   * (`hold`, which says whether the item waits).
   */
  readonly flushQueue: {
    add(item: { flush(): number }): void;
    hold(item: { flush(): number }): boolean;
  };
  /** Counts the WebSocket messages written. */
  readonly metrics: { socketWrites: number };
  /**
   * Whether its clients negotiated `realtime.v1.batch`: a hub has one host
   * of each kind, so a door keeps no field for it.
   */
  readonly batch: boolean;
  /**
   * The last batch written, shared by the hub's doors of this kind: a
   * fan-out's subscribers get the same frames, joined and encoded once.
   */
  readonly shared?: SharedBatch;
}

/** One client's protocol v1 door. */
export class V1Door implements Door {
  #socket: TextSocket;
  #host: V1DoorHost;
  /** Told of a slow consumer; `undefined` once closed (one field for both, as every connection has one). */
  #owner: DoorOwner | undefined;
  /**
   * What is queued this turn, written by `flush`: one publication or one
   * frame as it is (the common turn, which allocates nothing), else an
   * outbox made by the second frame; dropped once flushed, so an idle
   * connection holds none.
   */
  #pending: Outgoing | string | Outbox | undefined;
  /** Whether what is pending waits for the flush queue's coalescing window (publications only). */
  #held = false;

  /**
   * @param socket The WebSocket.
   * @param host The hub's limits, flush queue and metrics, and whether to batch.
   */
  constructor(socket: TextSocket, host: V1DoorHost) {
    this.#socket = socket;
    this.#host = host;
  }

  /** Names the session told of a slow consumer; the door writes nothing before. */
  bind(owner: DoorOwner): void {
    this.#owner = owner;
  }

  decode(data: unknown): ParseResult {
    return parseClientFrame(data, this.#host.limits);
  }

  bytes(data: unknown): number {
    return messageBytes(data);
  }

  reply(frame: ServerFrame): void {
    this.send(encodeFrame(frame));
  }

  ack(id: RequestId | undefined): void {
    this.send(encodeAck(id));
  }

  error(code: ErrorCode, message: string, id?: RequestId): void {
    this.send(encodeFrame(errorFrame(code, message, id)));
  }

  publication(publication: Outgoing): void {
    if (this.#owner === undefined) return;
    if (this.#pending === undefined) {
      this.#pending = publication;
      this.#held = this.#host.flushQueue.hold(this);
      const text = publication.encoded(V1);
      if (frameExceeds(0, text, this.#host.limits.maxBufferedBytes)) V1Door.#overflow(this);
    } else V1Door.#queue(this, publication.encoded(V1));
  }

  /**
   * Queues one serialized frame; a no-op once closed. Frames queued in one
   * turn of the event loop are written together at its end. A queue that,
   * plus what the socket still holds, grows past `maxBufferedBytes` is a
   * slow consumer's: dropped, and the session told.
   */
  send(text: string): void {
    if (this.#owner === undefined) return;
    if (this.#pending === undefined) V1Door.#first(this, text, text);
    else {
      V1Door.#queue(this, text);
      // A reply does not wait for the window: what is queued before it leaves with it.
      if (this.#held) {
        this.#held = false;
        this.#host.flushQueue.add(this);
      }
    }
  }

  // The steps below are static, taking the door: a class with a private
  // instance method gives each instance a field to tell it by, 8 bytes on
  // every connection.

  /** Queues the turn's first frame as it is. */
  static #first(door: V1Door, pending: Outgoing | string, text: string): void {
    door.#pending = pending;
    door.#host.flushQueue.add(door);
    if (frameExceeds(0, text, door.#host.limits.maxBufferedBytes)) V1Door.#overflow(door);
  }

  /** Queues a further frame of the turn, in an outbox. */
  static #queue(door: V1Door, text: string): void {
    let outbox = door.#pending!;
    if (!(outbox instanceof Outbox)) {
      const first = outbox;
      outbox = door.#pending = new Outbox();
      outbox.add(typeof first === "string" ? first : first.encoded(V1));
    }
    outbox.add(text);
    if (outbox.exceeds(0, door.#host.limits.maxBufferedBytes)) V1Door.#overflow(door);
  }

  get queuedBytes(): number {
    const pending = this.#pending;
    const queued = pending === undefined
      ? 0
      : pending instanceof Outbox
      ? pending.chars
      : typeof pending === "string"
      ? pending.length
      : pending.encoded(V1).length;
    return queued + (this.#owner === undefined ? 0 : this.#socket.bufferedAmount);
  }

  /**
   * Writes the queued frames; called by the hub's flush queue.
   *
   * @returns How many WebSocket messages were written.
   */
  flush(): number {
    const pending = this.#pending;
    this.#held = false;
    if (pending === undefined) return 0;
    if (this.#owner === undefined) {
      this.#pending = undefined;
      return 0;
    }
    const limit = this.#host.limits.maxBufferedBytes;
    const text = pending instanceof Outbox
      ? undefined
      : typeof pending === "string"
      ? pending
      : pending.encoded(V1);
    // At most three UTF-8 bytes per UTF-16 unit: a socket that knows it holds
    // no more than the rest of the limit needs no reading (Deno's is a call
    // into the runtime per write); the check below decides the same then.
    const most = 3 * (text === undefined ? (pending as Outbox).chars : text.length);
    if (this.#socket.bufferedAtMost?.(limit - most) !== true) {
      const held = this.#socket.bufferedAmount;
      if (
        text === undefined
          ? (pending as Outbox).exceeds(held, limit)
          : frameExceeds(held, text, limit)
      ) {
        V1Door.#overflow(this);
        return 0;
      }
    }
    this.#pending = undefined;
    return V1Door.#write(this, pending);
  }

  close(code: number, reason: string): void {
    if (this.#owner === undefined) return;
    // What was said before the close goes out before it.
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) V1Door.#write(this, pending);
    this.#owner = undefined;
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  discard(): void {
    this.#owner = undefined;
    this.#pending = undefined;
  }

  static #overflow(door: V1Door): void {
    door.#pending = undefined;
    door.#held = false;
    door.#owner?.overflow();
  }

  /** Writes what was queued and counts the messages written. */
  static #write(door: V1Door, pending: Outgoing | string | Outbox): number {
    let writes = 1;
    if (pending instanceof Outbox) {
      writes = writeFrames(
        door.#socket,
        pending.take()!,
        door.#host.batch,
        "\n",
        door.#host.shared,
      );
    } else {
      try {
        if (typeof pending === "string") door.#socket.send(pending);
        else if (door.#host.shared === undefined) door.#socket.send(pending.encoded(V1));
        else door.#host.shared.writeOne(door.#socket, pending, pending.encoded(V1));
      } catch {
        // The socket is closing; its close event cleans up.
        writes = 0;
      }
    }
    door.#host.metrics.socketWrites += writes;
    return writes;
  }
}
