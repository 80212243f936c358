/**
 * The seam between a session and a door: what a protocol-neutral session
 * (`src/hub/session.ts`) says to the codec of the door its client came in by
 * (protocol v1 over WebSocket today; STOMP and SSE later), and what it asks
 * of it. A door only translates: it decodes what the client sent into typed
 * requests and encodes the session's typed replies and events; the ACL,
 * limits, recovery and presence stay in the session. This layer imports
 * only `src/protocol/` and `src/topic/` (see `docs/layers.json`), so a
 * codec cannot reach past the session into the engine, the ACL or the hub.
 *
 * @module
 */

import type { ErrorCode } from "../../protocol/codes.ts";
import type { ParseResult } from "../../protocol/parse.ts";
import type { RequestId, ServerFrame, TopicPosition } from "../../protocol/frames.ts";
import type { Outgoing } from "./outgoing.ts";

/** The text socket a door writes to (a WebSocket, as the hub's `HubSocket`). */
export interface TextSocket {
  /** Sends one text message. */
  send(text: string): void;
  /**
   * Sends one text message given as UTF-8 bytes, which the socket must not
   * change (the same bytes go to many sockets). Optional: a fan-out encodes
   * a shared batch once for the sockets that have it.
   */
  sendBytes?(bytes: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number;
  /**
   * Whether `bufferedAmount` is at most `bytes`, answered without reading it
   * when the socket knows (as the hub's `HubSocket.bufferedAtMost`); a
   * `false` only means "read it". Optional.
   */
  bufferedAtMost?(bytes: number): boolean;
}

/** How a publication is written by one codec: once per codec, whatever the subscribers. */
export interface PublicationCodec {
  /** Encodes one publication (see {@linkcode Outgoing}). */
  encodePublication(publication: Outgoing): string;
}

/**
 * What the session needs of its door. Replies and events are typed (the
 * shapes of `src/protocol/frames.ts`, the hub's reply vocabulary); how they
 * look on the wire is the door's business.
 */
export interface Door {
  /**
   * Decodes one message the client sent into a typed request, or the error
   * to answer it with. Never throws.
   */
  decode(data: unknown): ParseResult;
  /** The size of a received message in bytes (for the bound on queued requests). */
  bytes(data: unknown): number;
  /** Sends a reply or event. */
  reply(frame: ServerFrame): void;
  /** Sends a plain success reply. */
  ack(id: RequestId | undefined): void;
  /**
   * A publish with an id was confirmed by the engine, at `position` when the
   * topic keeps history. A door without it is sent a plain {@linkcode Door.ack}.
   */
  published?(id: RequestId, position: TopicPosition | undefined): void;
  /** Sends an error reply (`retry` follows from the code). */
  error(code: ErrorCode, message: string, id?: RequestId): void;
  /** Sends a publication, encoded once per codec (see {@linkcode Outgoing}). */
  publication(publication: Outgoing): void;
  /** Writes what is queued, then closes the client's channel. */
  close(code: number, reason: string): void;
  /** The channel closed by itself: drops what is queued. */
  discard(): void;
  /** Bytes queued for the client and not yet written. */
  readonly queuedBytes: number;
}

/** What a door tells its session. */
export interface DoorOwner {
  /** The client reads too slowly: what was queued is dropped, and the session ends. */
  overflow(): void;
}
