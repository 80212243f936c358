/**
 * One publication on its way out to local subscribers, encoded at most once
 * per codec: the fan-out makes one per publication (not per subscriber), and
 * each door asks it for its own encoding, which the first subscriber of that
 * door pays for and the others reuse.
 *
 * @module
 */

import type { PublicationCodec } from "./door.ts";

/** The fields of a publication, as the engine delivers it. */
export interface OutgoingPublication {
  /** The payload as JSON text; `undefined` to leave it out. */
  readonly data: string | undefined;
  /** The publisher's subject, or `null` for the server. */
  readonly from: string | null;
  /** Publication time, epoch ms. */
  readonly ts: number;
  /** Event name of a server-pushed event. */
  readonly event?: string;
  /** A signed publication's compact JWS. */
  readonly extra?: string;
}

/**
 * A publication as a door writes it. It reads the engine's publication
 * rather than copying its fields: one object fewer per publication's fields,
 * and its time stays one number instead of a copy per object holding it.
 */
export class Outgoing {
  /** The concrete topic, or `null` for a message sent directly to users. */
  readonly topic: string | null;
  /** Its offset, when the topic keeps history. */
  readonly offset: number | undefined;
  /** Its stream's epoch, when the topic keeps history. */
  readonly epoch: string | undefined;
  readonly #publication: OutgoingPublication;
  /** The first codec that encoded it, and its text: most hubs have one codec. */
  #codec: PublicationCodec | undefined;
  #text = "";
  /** Other codecs' texts, made when a second codec asks. */
  #others: Map<PublicationCodec, string> | undefined;

  /**
   * @param topic The topic, or `null` for a direct message.
   * @param publication The publication's fields, read, never changed.
   * @param offset Its offset, when the topic keeps history.
   * @param epoch Its epoch, when the topic keeps history.
   */
  constructor(
    topic: string | null,
    publication: OutgoingPublication,
    offset: number | undefined,
    epoch: string | undefined,
  ) {
    this.topic = topic;
    this.#publication = publication;
    this.offset = offset;
    this.epoch = epoch;
  }

  /** The payload as JSON text, as the engine keeps it; `undefined` to leave it out. */
  get data(): string | undefined {
    return this.#publication.data;
  }

  /** The publisher's subject, or `null` for the server. */
  get from(): string | null {
    return this.#publication.from;
  }

  /** Publication time, epoch ms. */
  get ts(): number {
    return this.#publication.ts;
  }

  /** Event name of a server-pushed event. */
  get event(): string | undefined {
    return this.#publication.event;
  }

  /** A signed publication's compact JWS. */
  get jws(): string | undefined {
    return this.#publication.extra;
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
