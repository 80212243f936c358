/**
 * One publication on its way out to local subscribers, encoded at most once
 * per codec: the fan-out makes one per publication (not per subscriber), and
 * each door asks it for its own encoding, which the first subscriber of that
 * door pays for and the others reuse.
 *
 * @module
 */

import type { PublicationCodec } from "./door.ts";

/** A publication as a door writes it. */
export class Outgoing {
  /** The concrete topic, or `null` for a message sent directly to users. */
  readonly topic: string | null;
  /** The payload as JSON text, as the engine keeps it; `undefined` to leave it out. */
  readonly data: string | undefined;
  /** The publisher's subject, or `null` for the server. */
  readonly from: string | null;
  /** Publication time, epoch ms. */
  readonly ts: number;
  /** Event name of a server-pushed event. */
  readonly event: string | undefined;
  /** A signed publication's compact JWS. */
  readonly jws: string | undefined;
  /** Its offset, when the topic keeps history. */
  readonly offset: number | undefined;
  /** Its stream's epoch, when the topic keeps history. */
  readonly epoch: string | undefined;
  /** The first codec that encoded it, and its text: most hubs have one codec. */
  #codec: PublicationCodec | undefined;
  #text = "";
  /** Other codecs' texts, made when a second codec asks. */
  #others: Map<PublicationCodec, string> | undefined;

  /**
   * @param topic The topic, or `null` for a direct message.
   * @param publication The publication's fields.
   * @param offset Its offset, when the topic keeps history.
   * @param epoch Its epoch, when the topic keeps history.
   */
  constructor(
    topic: string | null,
    publication: {
      data: string | undefined;
      from: string | null;
      ts: number;
      event?: string;
      extra?: string;
    },
    offset: number | undefined,
    epoch: string | undefined,
  ) {
    this.topic = topic;
    this.data = publication.data;
    this.from = publication.from;
    this.ts = publication.ts;
    this.event = publication.event;
    this.jws = publication.extra;
    this.offset = offset;
    this.epoch = epoch;
  }

  /**
   * Its text in `codec`'s encoding, made once.
   *
   * @param codec The door's codec.
   * @returns The encoded publication.
   */
  encoded(codec: PublicationCodec): string {
    if (this.#codec === codec) return this.#text;
    if (this.#codec === undefined) {
      this.#codec = codec;
      return this.#text = codec.encodePublication(this);
    }
    const others = this.#others ??= new Map();
    let text = others.get(codec);
    if (text === undefined) others.set(codec, text = codec.encodePublication(this));
    return text;
  }
}
