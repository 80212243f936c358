/**
 * The transport contract: what a WebSocket adapter (the Deno one, the npm
 * `ws` one, or yours) and the hub say to each other. Adapters import this
 * file; the hub never imports an adapter.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { RequestView } from "../auth/extract.ts";
import type { HubLimits } from "./options.ts";

/**
 * The transport seam: what the hub needs of a WebSocket. Adapters wrap
 * `Deno.upgradeWebSocket` sockets and npm `ws` sockets in it.
 */
export interface HubSocket {
  /** Sends one text message. */
  send(text: string): void;
  /**
   * Sends one text message given as valid UTF-8 bytes, without changing or
   * keeping them past the write (the same bytes go to every subscriber of a
   * fan-out). Optional: without it the hub sends the text.
   */
  sendBytes?(bytes: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number;
  /**
   * Whether `bufferedAmount` is at most `bytes`, answered without asking the
   * runtime. Optional, for adapters whose `bufferedAmount` costs a call
   * into the runtime (Deno's): one that knows what it held when last read
   * and what it sent since (an upper bound: three bytes per UTF-16 unit) can
   * answer `true` while that sum is at most `bytes`, so the hub's
   * slow-consumer check reads `bufferedAmount` only near the limit. It must
   * never answer `true` when `bufferedAmount` is above `bytes`; `false` only
   * makes the hub read it.
   *
   * @param bytes A bound, in bytes.
   * @returns Whether `bufferedAmount` is certainly at most `bytes`.
   */
  bufferedAtMost?(bytes: number): boolean;
}

/** Socket events an adapter forwards to the hub. */
export interface SocketHandler {
  /** The socket is open. */
  open(): void;
  /** A message arrived (string for text, anything else for binary). */
  message(data: unknown): void;
  /** The socket closed, with the close code when the transport saw one. */
  close(code?: number): void;
}

/** What was wrong with an upgrade request an adapter answered 400. */
export type MalformedUpgrade = "target" | "handshake" | "http";

/** An upgrade request the hub accepted: the adapter completes the upgrade. */
export interface Accepted {
  /** Accepted. */
  readonly ok: true;
  /** The subprotocol to answer with, if any. */
  readonly protocol: string | undefined;
  /** The identity established at the upgrade; absent while waiting for first-message auth. */
  readonly principal: Principal | undefined;
  /** In `reject: "close"` mode: close at once with this code and reason. */
  readonly closeWith?: { code: number; reason: string };
  /** Where the connection comes from, for the operator's console. */
  readonly peer?: Peer;
}

/** Where a connection comes from, as the admin API lists it. */
export interface Peer {
  /** The client's IP address (behind a trusted proxy, the one it saw), when known. */
  readonly remoteAddr?: string;
  /** The transport adapter that accepted it (`ws`, `deno`), when it said; `stomp` for a STOMP connection. */
  readonly transport?: string;
}

/** An upgrade request the hub refused: send this response instead. */
export interface Refused {
  /** Refused. */
  readonly ok: false;
  /** The HTTP response (401, 403, 426, 429 or 503) with a JSON `{code, message}` body. */
  readonly response: Response;
}

/** The hub's answer to an upgrade request. */
export type Admission = Accepted | Refused;

/**
 * Facts about the connection an adapter knows and a `Request` does not.
 * Runtime-neutral: `remoteAddr` is the peer's IP address as a string, or an
 * address object with a `hostname` (the shape `Deno.serve` hands its handler
 * as `info`, so `hub.upgrade(req, info)` takes it as it comes; a Unix socket
 * address, without `hostname`, counts as unknown).
 */
export interface ConnInfo {
  /** The peer's IP address. */
  readonly remoteAddr?: string | PeerAddr;
  /** The adapter's name (`ws`, `deno`), shown by the admin API. */
  readonly transport?: string;
}

/** A peer address object, as `Deno.serve` gives it (`Deno.NetAddr` and its kin). */
export interface PeerAddr {
  /** The IP address, for TCP and UDP peers. */
  readonly hostname?: string;
  /** `"tcp"`, `"unix"` and so on. */
  readonly transport?: string;
}

/**
 * An upgrade request as an adapter may hand it to `admit` without building
 * a `Request` first (the `ws` adapter has Node's parsed request): its URL,
 * its headers, and the `Request` an `authenticate` hook receives, built only
 * for the hook.
 */
export interface UpgradeRequest extends RequestView {
  /** Builds the equivalent `Request`. */
  toRequest(): Request;
}

/** The parts of a hub a transport adapter uses. */
export interface UpgradeTarget {
  /** Decides the upgrade, on a `Request` or an adapter's {@linkcode UpgradeRequest}. */
  admit(req: Request | UpgradeRequest, info?: ConnInfo): Promise<Admission>;
  /** Attaches the upgraded socket. */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
  /** The heartbeat interval and the frame bound are read from here. */
  readonly limits: Readonly<Pick<HubLimits, "heartbeatMs" | "maxFrameBytes">>;
  /** Counts and audits a request answered 400 as unreadable. */
  malformedUpgrade?(reason: MalformedUpgrade, info?: ConnInfo): void;
}

/**
 * Performs an upgrade for a hub: what `hub.upgrade(req, info)` delegates to.
 * The server layer gives the hub one (`Deno.upgradeWebSocket`).
 */
export type Upgrader = (hub: UpgradeTarget, req: Request, info?: ConnInfo) => Promise<Response>;

/**
 * What the runtime gives a hub: how to upgrade a request, and how to run the
 * end-of-turn flush of queued frames. Supplied by the server layer, so the
 * hub core names neither `Deno.upgradeWebSocket` nor `node:timers`.
 */
export interface HubRuntime {
  /** What `hub.upgrade(req, info)` delegates to. */
  upgrade: Upgrader;
  /**
   * Runs `fn` once the current turn of the event loop, its I/O included,
   * is over (`setImmediate` on Deno and Node): frames queued in that turn
   * are written together.
   */
  schedule(fn: () => void): void;
}

/**
 * The peer's IP address from a {@linkcode ConnInfo} of either shape.
 *
 * @param info What the adapter knows of the connection.
 * @returns The address, or `undefined` when unknown.
 *
 * @example Read the address of both shapes
 * ```ts
 * import { peerAddress } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * assert.equal(peerAddress({ remoteAddr: "192.0.2.1" }), "192.0.2.1");
 * assert.equal(peerAddress({ remoteAddr: { hostname: "192.0.2.1" } }), "192.0.2.1");
 * assert.equal(peerAddress(undefined), undefined);
 * ```
 */
export function peerAddress(info: ConnInfo | undefined): string | undefined {
  const addr = info?.remoteAddr;
  if (addr === undefined || typeof addr === "string") return addr;
  return typeof addr === "object" && addr !== null && typeof addr.hostname === "string"
    ? addr.hostname
    : undefined;
}
