/**
 * The Server-Sent Events wire format of the hub's SSE door
 * (`docs/protocol.md`, "Server-Sent Events"): pure encoders for events,
 * comments and the `retry:` field, the two publication codecs, and the
 * event id that encodes a stream's position on every topic it follows, so
 * one `Last-Event-ID` resumes a stream of several topics.
 *
 * An event id is `<list>:<entry>,<entry>,…`: `<list>` is eight hex digits
 * naming the stream's topic list (FNV-1a of the topics, sorted, joined by
 * a line feed), and there is one entry per topic in that sorted order,
 * `<offset>.<epoch>` (the epoch percent-encoded) for the last publication
 * of a topic with history, or empty for a topic without.
 *
 * @module
 */

import type { TopicPosition } from "../../protocol/frames.ts";
import type { PublicationCodec } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { encodeV1Publication } from "./v1.ts";

/** Longest `Last-Event-ID` read, in UTF-16 units: longer ones are answered as malformed. */
export const MAX_EVENT_ID_LENGTH = 8 * 1024;

/**
 * Names the sorted topic list of a stream: FNV-1a (32 bits) of the topics
 * joined by `\n`, as eight lower-case hex digits.
 *
 * @param topics The stream's topics, sorted.
 * @returns The list's name.
 *
 * @example Name a one-topic stream
 * ```ts
 * import { topicListName } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(topicListName(["chat:lobby"]), /^[0-9a-f]{8}$/);
 * assert.notEqual(topicListName(["a", "b"]), topicListName(["a"]));
 * ```
 */
export function topicListName(topics: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (let t = 0; t < topics.length; t++) {
    if (t > 0) hash = Math.imul(hash ^ 10, 0x01000193);
    const topic = topics[t];
    for (let i = 0; i < topic.length; i++) {
      hash = Math.imul(hash ^ topic.charCodeAt(i), 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * One entry of an event id: a topic's position, or `""` for none.
 *
 * @param position The position, or `undefined`.
 * @returns The entry.
 *
 * @example An entry
 * ```ts
 * import { positionEntry } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(positionEntry({ offset: 7, epoch: "a,b" }), "7.a%2Cb");
 * assert.equal(positionEntry(undefined), "");
 * ```
 */
export function positionEntry(position: TopicPosition | undefined): string {
  return position === undefined ? "" : `${position.offset}.${encodeURIComponent(position.epoch)}`;
}

/**
 * Formats an event id from the list's name and one entry per topic.
 *
 * @param list The topic list's name ({@linkcode topicListName}).
 * @param entries One entry per topic ({@linkcode positionEntry}).
 * @returns The id.
 *
 * @example Format an id of two topics, the second without history
 * ```ts
 * import { formatEventId } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatEventId("0a1b2c3d", ["7.e1", ""]), "0a1b2c3d:7.e1,");
 * ```
 */
export function formatEventId(list: string, entries: readonly string[]): string {
  return `${list}:${entries.join(",")}`;
}

/** What a `Last-Event-ID` says about a stream's topics. */
export type EventIdReading =
  | {
    /** It is an id of this topic list. */
    readonly ok: true;
    /** Per topic (sorted), the position to resume from, or `undefined` for none. */
    readonly positions: readonly (TopicPosition | undefined)[];
  }
  | {
    /** It cannot resume this stream. */
    readonly ok: false;
    /** `malformed` (not an id the hub writes) or `topics` (an id of another topic list). */
    readonly reason: "malformed" | "topics";
  };

/**
 * Reads a `Last-Event-ID` against a stream's sorted topics. Never throws.
 *
 * @param id The id the client sent.
 * @param topics The stream's topics, sorted.
 * @returns The positions, or why the id cannot resume this stream.
 *
 * @example Read an id back
 * ```ts
 * import { formatEventId, parseEventId, positionEntry, topicListName } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * const topics = ["a", "b"];
 * const id = formatEventId(topicListName(topics), [positionEntry({ offset: 3, epoch: "x" }), ""]);
 * assert.deepEqual(parseEventId(id, topics), { ok: true, positions: [{ offset: 3, epoch: "x" }, undefined] });
 * assert.deepEqual(parseEventId(id, ["a"]), { ok: false, reason: "topics" });
 * assert.deepEqual(parseEventId("garbage", topics), { ok: false, reason: "malformed" });
 * ```
 */
export function parseEventId(id: string, topics: readonly string[]): EventIdReading {
  const malformed = { ok: false, reason: "malformed" } as const;
  if (id.length > MAX_EVENT_ID_LENGTH) return malformed;
  const match = /^([0-9a-f]{8}):(.*)$/s.exec(id);
  if (match === null) return malformed;
  const entries = match[2].split(",");
  if (match[1] !== topicListName(topics) || entries.length !== topics.length) {
    return { ok: false, reason: "topics" };
  }
  const positions: (TopicPosition | undefined)[] = [];
  for (const entry of entries) {
    if (entry === "") {
      positions.push(undefined);
      continue;
    }
    const parts = /^(0|[1-9][0-9]{0,15})\.(.+)$/.exec(entry);
    if (parts === null) return malformed;
    const offset = Number(parts[1]);
    let epoch: string;
    try {
      epoch = decodeURIComponent(parts[2]);
    } catch {
      return malformed;
    }
    if (!Number.isSafeInteger(offset)) return malformed;
    positions.push({ offset, epoch });
  }
  return { ok: true, positions };
}

/**
 * Encodes one event: an optional name and id, and the data, one `data:`
 * line per line of it.
 *
 * @param event The event name, or `undefined` for an unnamed (`message`) event.
 * @param data The data (JSON text).
 * @param id The event id, or `undefined` to leave the last one in force.
 * @returns The event's text, ending with its blank line.
 *
 * @example A named event
 * ```ts
 * import { encodeEvent } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeEvent("close", '{"code":4001}'), 'event: close\ndata: {"code":4001}\n\n');
 * ```
 */
export function encodeEvent(event: string | undefined, data: string, id?: string): string {
  const name = event === undefined ? "" : `event: ${event}\n`;
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return `${name}${idLine}${dataLines(data)}\n`;
}

/** `data:` lines for `text` (JSON text has no line breaks; anything else is split at them). */
function dataLines(text: string): string {
  if (text.indexOf("\n") < 0 && text.indexOf("\r") < 0) return `data: ${text}\n`;
  return text.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("");
}

/**
 * The `retry:` field: how long an `EventSource` waits before reconnecting.
 *
 * @param ms Milliseconds.
 * @returns The field's line, with the blank line that ends it.
 *
 * @example
 * ```ts
 * import { encodeRetry } from "./sse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeRetry(2000), "retry: 2000\n\n");
 * ```
 */
export function encodeRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** A heartbeat: a comment, which an `EventSource` ignores and a proxy sees as traffic. */
export const SSE_HEARTBEAT = ":\n\n";

/**
 * Publications as unnamed events without an id: for streams of several
 * topics, whose id is the subscriber's own, and for publications that move
 * no position (a direct message, a topic without history). The data is the
 * publication's protocol v1 `message` frame.
 */
export const SSE_DATA: PublicationCodec = {
  encodePublication: (p: Outgoing) => encodeEvent(undefined, encodeV1Publication(p)),
};

/**
 * Publications as unnamed events with the id of a stream of that one topic:
 * every subscriber whose stream follows only this topic shares the text.
 */
export const SSE_SINGLE: PublicationCodec = {
  encodePublication: (p: Outgoing) =>
    encodeEvent(
      undefined,
      encodeV1Publication(p),
      p.offset === undefined || p.topic === null ? undefined : formatEventId(
        topicListName([p.topic]),
        [positionEntry({ offset: p.offset, epoch: p.epoch ?? "" })],
      ),
    ),
};
