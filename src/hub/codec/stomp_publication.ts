/**
 * How a publication looks in a STOMP `MESSAGE` frame (see `docs/stomp.md`):
 * encoded once per hub, whatever the subscribers, as everything after the
 * `subscription` header, which each door puts in front (it names that
 * client's own subscription).
 *
 * @module
 */

import { escapeHeader } from "../../protocol/stomp/frame.ts";
import { type StompDestinationRule, topicDestination } from "../../protocol/stomp/destination.ts";
import type { PublicationCodec } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { utf8ByteLength } from "./utf8.ts";

/** The content type of a payload that is a JSON string: its text is the body. */
export const STOMP_TEXT_TYPE = "text/plain;charset=utf-8";
/** The content type of any other payload: its JSON text is the body. */
export const STOMP_JSON_TYPE = "application/json";

/** Most topics whose escaped destination a codec keeps; past it, it starts afresh. */
const MAX_DESTINATIONS = 4096;

/** Where a MESSAGE's first header after `subscription` starts: `\nmessage-id:`. */
const MESSAGE_ID_AT = "\nmessage-id:".length;

/**
 * The content type lines of a body, up to its length: constants, so that a
 * MESSAGE is a rope of fewer parts (each part a node of ~32 bytes, ~580 a
 * MESSAGE before).
 */
const JSON_LINES = `\ncontent-type:${STOMP_JSON_TYPE}\ncontent-length:`;
const TEXT_LINES = `\ncontent-type:${STOMP_TEXT_TYPE}\ncontent-length:`;

/**
 * The STOMP publication codec of one hub: its message ids are unique within
 * the hub's lifetime (a counter after a random prefix).
 */
export class StompPublicationCodec implements PublicationCodec {
  #rule: StompDestinationRule;
  /** `\nmessage-id:` and the hub's prefix. */
  #idLine: string;
  #count = 0;
  /** The last MESSAGE frame made, and what it was made of. */
  #header = "";
  #publication: Outgoing | undefined;
  #message = "";
  /**
   * Escaped `destination` header lines by topic: a topic's publications all
   * carry the same, so it is mapped and escaped once, not per publication.
   */
  #destinations = new Map<string, string>();
  /** The last publisher's name, and its escaped `from` header line. */
  #from = "";
  #fromLine = "";
  /**
   * The last publication time, and its `timestamp` header line: a hub's
   * publications of one millisecond share it, and writing an epoch-ms
   * number (past 2^31, not a small integer) costs ~100-200 ns.
   */
  #ts = NaN;
  #timestamp = "";

  /**
   * @param rule The destination mapping.
   * @param prefix What message ids start with (unique per hub).
   */
  constructor(rule: StompDestinationRule, prefix: string) {
    this.#rule = rule;
    this.#idLine = `\nmessage-id:${prefix}`;
  }

  /**
   * Encodes the frame's tail: every header but `MESSAGE` and
   * `subscription`, the body and the NUL.
   *
   * @param p The publication.
   * @returns The tail, starting with `\n`.
   */
  encodePublication(p: Outgoing): string {
    const destination = p.topic === null
      ? `\ndestination:${escapeHeader(this.#rule.userPrefix + (p.event ?? "messages"))}`
      : this.#destination(p.topic);
    let head = this.#idLine + (++this.#count).toString(36) + destination;
    const from = p.from;
    if (from !== null) {
      // A publisher's publications follow one another: its name is escaped once.
      if (from !== this.#from) this.#fromLine = `\nfrom:${escapeHeader(this.#from = from)}`;
      head += this.#fromLine;
    }
    if (p.ts !== this.#ts) this.#timestamp = `\ntimestamp:${this.#ts = p.ts}`;
    head += this.#timestamp;
    if (p.event !== undefined && p.topic !== null) head += `\nevent:${escapeHeader(p.event)}`;
    if (p.offset !== undefined) head += `\noffset:${p.offset}`;
    if (p.epoch !== undefined) head += `\nepoch:${escapeHeader(p.epoch)}`;
    if (p.jws !== undefined) head += `\njws:${p.jws}`;
    const data = p.data;
    if (data === undefined) return head + "\n\n\0";
    let body = data;
    let lines = JSON_LINES;
    if (data.charCodeAt(0) === 34) {
      body = JSON.parse(data) as string;
      lines = TEXT_LINES;
    }
    return `${head}${lines}${utf8ByteLength(body)}\n\n${body}\0`;
  }

  /**
   * The `MESSAGE` frame of a subscription (without `ack`) for a
   * publication. Consecutive subscribers of a fan-out whose subscriptions
   * have the same id (clients number theirs alike: `sub-0`) get the same
   * string, so it is built, flattened and written as one batch once. The
   * publication is recognized by identity: comparing its tail with the
   * last one would flatten and read both, for every frame of a fan-out of
   * different publications.
   *
   * @param header The subscription id, escaped.
   * @param publication The publication, which this codec encodes.
   * @returns The frame.
   *
   * @example One frame for two subscribers named alike
   * ```ts
   * import { StompPublicationCodec } from "./stomp_publication.ts";
   * import { Outgoing } from "./outgoing.ts";
   * import { resolveStompDestinationRule } from "../../protocol/stomp/destination.ts";
   * import assert from "node:assert/strict";
   *
   * const codec = new StompPublicationCodec(resolveStompDestinationRule(), "h-");
   * const publication = new Outgoing("chat:lobby", { data: "1", from: null, ts: 0 }, undefined, undefined);
   * const frame = codec.message("sub-0", publication);
   * assert.equal(frame, "MESSAGE\nsubscription:sub-0" + publication.encoded(codec));
   * assert.ok(frame.includes("\ndestination:/topic/chat/lobby\n"));
   * assert.equal(codec.message("sub-0", publication), frame);
   * assert.equal(codec.message("sub-1", publication), frame.replace("sub-0", "sub-1"));
   * ```
   */
  message(header: string, publication: Outgoing): string {
    if (publication === this.#publication && header === this.#header) return this.#message;
    this.#header = header;
    this.#publication = publication;
    return this.#message = `MESSAGE\nsubscription:${header}${publication.encoded(this)}`;
  }

  /** A topic's `destination` header line, its value escaped. */
  #destination(topic: string): string {
    const destinations = this.#destinations;
    let header = destinations.get(topic);
    if (header === undefined) {
      if (destinations.size >= MAX_DESTINATIONS) destinations.clear();
      header = `\ndestination:${escapeHeader(topicDestination(topic, this.#rule))}`;
      destinations.set(topic, header);
    }
    return header;
  }

  /** Forgets the last frame, so an idle hub holds none. */
  clear(): void {
    this.#header = "";
    this.#publication = undefined;
    this.#message = "";
    this.#from = "";
    this.#fromLine = "";
  }
}

/**
 * The message id in a tail {@linkcode StompPublicationCodec} encoded (for
 * the `ack` header of a subscription that acknowledges).
 *
 * @param tail The encoded tail.
 * @returns The message id.
 */
export function messageIdOf(tail: string): string {
  return tail.slice(MESSAGE_ID_AT, tail.indexOf("\n", MESSAGE_ID_AT));
}
