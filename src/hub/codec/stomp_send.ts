/**
 * The common STOMP `SEND`, read without the full parser: what a client that
 * does not batch sends for every publication (`SEND`, `destination`, maybe
 * `content-type` and `receipt`, a body, the NUL). Only a frame whose reading
 * needs none of the parser's rarer rules is read here: no CR, no escape, no
 * `content-length`, no heart-beat around it, nothing near a limit. Any other
 * frame is left to `parseStompFrame`, which reads every frame read here to
 * the same headers and body (the differential test holds the two together).
 *
 * @module
 */

import type { StompLimits } from "../../protocol/stomp/frame.ts";
import {
  resolveStompDestination,
  type StompDestinationRule,
} from "../../protocol/stomp/destination.ts";
import { validateTopic } from "../../topic/topic.ts";

/** What a plain `SEND` holds, as `parseStompFrame` would read it. */
export interface PlainSend {
  /** The `destination` header (the first, as the parser keeps). */
  readonly destination: string;
  /** The `content-type` header, if any. */
  readonly contentType: string | undefined;
  /** The `receipt` header, if any. */
  readonly receipt: string | undefined;
  /** The body: everything between the blank line and the NUL. */
  readonly body: string;
}

/** `SEND` and its LF, as character codes: S E N D \n. */
const S = 83;
const E = 69;
const N = 78;
const D = 68;
const LF = 10;

/**
 * Reads a `SEND` frame that needs none of the parser's rarer rules, or
 * returns `undefined`, and the caller parses the frame in full. Returned
 * only when `parseStompFrame` would read the frame as a `SEND` with the
 * same `destination`, `content-type`, `receipt` and body, and with no
 * `content-length`, `transaction` or `jws` header.
 *
 * Left to the parser: a frame of more than a third of `maxFrameBytes` or a
 * body of more than a third of `maxBodyBytes` in UTF-16 units (their UTF-8
 * size is not known without measuring), any CR or backslash before the
 * body, end-of-lines before the command or after the NUL, a NUL before the
 * last character, a header line without a name and colon, too many or too
 * long header lines, a frame without `destination`, and the headers
 * `content-length`, `transaction` and `jws`.
 *
 * @param text A WebSocket text message.
 * @param limits The frame bounds.
 * @returns The frame's parts, or `undefined` to parse it in full.
 *
 * @example Read a plain SEND, leave an escaped one to the parser
 * ```ts
 * import { readPlainSend } from "./stomp_send.ts";
 * import { DEFAULT_STOMP_LIMITS } from "../../protocol/stomp/frame.ts";
 * import assert from "node:assert/strict";
 *
 * const send = readPlainSend(
 *   "SEND\ndestination:/topic/chat/lobby\ncontent-type:application/json\n\n{}\0",
 *   DEFAULT_STOMP_LIMITS,
 * );
 * assert.deepEqual(send, {
 *   destination: "/topic/chat/lobby",
 *   contentType: "application/json",
 *   receipt: undefined,
 *   body: "{}",
 * });
 * assert.equal(readPlainSend("SEND\ndestination:/topic/a\\cb\n\n\0", DEFAULT_STOMP_LIMITS), undefined);
 * ```
 */
export function readPlainSend(text: string, limits: StompLimits): PlainSend | undefined {
  const length = text.length;
  // Three UTF-8 bytes per UTF-16 unit at most: within the bound unmeasured.
  if (length * 3 > limits.maxFrameBytes) return undefined;
  if (
    text.charCodeAt(0) !== S || text.charCodeAt(1) !== E || text.charCodeAt(2) !== N ||
    text.charCodeAt(3) !== D || text.charCodeAt(4) !== LF
  ) return undefined;
  // The first NUL ends the frame, and nothing follows it (not even end-of-lines).
  const nul = text.indexOf("\0", 5);
  if (nul !== length - 1) return undefined;
  // The blank line: header lines are never empty, so the first LF LF after
  // the command's LF ends them (a CR LF blank line is left to the parser below).
  const blank = text.indexOf("\n\n", 4);
  if (blank < 5) return undefined;
  // No CR and no escape in the command and header lines. Searched forwards
  // (a memchr), body too, and compared with the blank line: lastIndexOf from
  // the blank line reads less but is a slower call, ~5x the two indexOf.
  const cr = text.indexOf("\r", 5);
  if (cr >= 0 && cr < blank) return undefined;
  const escape = text.indexOf("\\", 5);
  if (escape >= 0 && escape < blank) return undefined;
  let destination: string | undefined;
  let contentType: string | undefined;
  let receipt: string | undefined;
  let count = 0;
  for (let start = 5; start <= blank;) {
    const eol = text.indexOf("\n", start);
    if (++count > limits.maxHeaders || eol - start > limits.maxHeaderLength) return undefined;
    const colon = text.indexOf(":", start);
    if (colon <= start || colon >= eol) return undefined;
    // The name ends at the first colon: matched in place, not sliced.
    switch (colon - start) {
      case 11: // destination, transaction (refused by the door, after the parser)
        if (text.startsWith("destination", start)) {
          destination ??= text.slice(colon + 1, eol);
        } else if (text.startsWith("transaction", start)) return undefined;
        break;
      case 12: // content-type
        if (text.startsWith("content-type", start)) contentType ??= text.slice(colon + 1, eol);
        break;
      case 7: // receipt
        if (text.startsWith("receipt", start)) receipt ??= text.slice(colon + 1, eol);
        break;
      case 14: // content-length: the parser reads the body by it
        if (text.startsWith("content-length", start)) return undefined;
        break;
      case 3: // jws: a signed publication
        if (text.startsWith("jws", start)) return undefined;
        break;
    }
    start = eol + 1;
  }
  if (destination === undefined) return undefined;
  const bodyLength = nul - blank - 2;
  if (bodyLength * 3 > limits.maxBodyBytes) return undefined;
  return { destination, contentType, receipt, body: text.slice(blank + 2, nul) };
}

/** Most destinations a {@linkcode StompSendTopics} keeps; past it, it starts afresh. */
const MAX_DESTINATIONS = 4096;
/** Slots of an empty {@linkcode StompSendTopics} table (a power of two). */
const FIRST_SLOTS = 16;
/**
 * Most slots a lookup reads: destinations crafted to share a slot (the hash
 * is not keyed) cost their own lookups a mapping each, as a miss does, and
 * never lengthen anyone else's past this.
 */
const MAX_PROBES = 16;

/**
 * The concrete topic each `SEND` destination names, per hub: a publisher
 * sends to the same destinations again and again, so each is mapped and
 * checked once (by the rule, then as a concrete topic), and every frame to
 * it after that carries the same topic string.
 *
 * The destinations are kept in a table of their own, hashed here rather
 * than by a `Map`: every `SEND`'s destination is a new string, which a
 * `Map` hashes in a call into V8's runtime (measured 100-200 ns a lookup
 * against about 40 for this table; the largest STOMP-only cost of a `SEND`
 * in a CPU profile of the hub).
 *
 * @example Map a destination once
 * ```ts
 * import { StompSendTopics } from "./stomp_send.ts";
 * import { resolveStompDestinationRule } from "../../protocol/stomp/destination.ts";
 * import assert from "node:assert/strict";
 *
 * const topics = new StompSendTopics(resolveStompDestinationRule());
 * assert.equal(topics.topic("/topic/chat/lobby"), "chat:lobby");
 * assert.equal(topics.topic("/topic/chat/*"), undefined);
 * assert.equal(topics.topic("/app/echo"), undefined);
 * ```
 */
export class StompSendTopics {
  #rule: StompDestinationRule;
  /**
   * Open addressing with linear probing, at most half full: a destination
   * sits at its hash's slot or within `MAX_PROBES` after it, before the
   * next empty slot; its topic sits at the same slot of `#topics`.
   */
  #keys: (string | undefined)[] = new Array(FIRST_SLOTS);
  #topics: string[] = new Array(FIRST_SLOTS);
  #count = 0;

  /** @param rule The hub's destination mapping. */
  constructor(rule: StompDestinationRule) {
    this.#rule = rule;
  }

  /**
   * The concrete, valid topic a destination names, or `undefined` when it
   * names anything else (a pattern, an application method, a user queue,
   * an invalid topic, nothing), which the door's full path answers.
   *
   * @param destination A `SEND` frame's destination.
   * @returns The topic, or `undefined`.
   */
  topic(destination: string): string | undefined {
    const keys = this.#keys;
    const mask = keys.length - 1;
    let slot = hashOf(destination) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const key = keys[slot];
      if (key === undefined) break;
      if (key === destination) return this.#topics[slot];
    }
    const target = resolveStompDestination(destination, this.#rule);
    if (target.kind !== "topic" || validateTopic(target.topic) !== undefined) return undefined;
    this.#add(destination, target.topic);
    return target.topic;
  }

  /**
   * Keeps a destination not kept yet: the table doubles before it is half
   * full, and starts afresh past `MAX_DESTINATIONS`.
   */
  #add(destination: string, topic: string): void {
    if (this.#count >= MAX_DESTINATIONS) {
      this.#keys = new Array(FIRST_SLOTS);
      this.#topics = new Array(FIRST_SLOTS);
      this.#count = 0;
    } else if (2 * (this.#count + 1) > this.#keys.length) {
      const keys = this.#keys;
      const topics = this.#topics;
      this.#keys = new Array(keys.length * 2);
      this.#topics = new Array(keys.length * 2);
      this.#count = 0;
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] !== undefined) this.#put(keys[i]!, topics[i]);
      }
    }
    this.#put(destination, topic);
  }

  /** In the first empty slot within reach, else in place of the destination at its own slot. */
  #put(destination: string, topic: string): void {
    const keys = this.#keys;
    const mask = keys.length - 1;
    const home = hashOf(destination) & mask;
    let slot = home;
    for (let probe = 0; keys[slot] !== undefined; probe++, slot = (slot + 1) & mask) {
      if (probe === MAX_PROBES - 1) {
        // Replaced: the slot stays taken, so every other key is still found.
        keys[home] = destination;
        this.#topics[home] = topic;
        return;
      }
    }
    keys[slot] = destination;
    this.#topics[slot] = topic;
    this.#count++;
  }
}

/** FNV-1a over the UTF-16 units, its high bits folded into the low ones the mask keeps. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash ^ (hash >>> 16);
}
