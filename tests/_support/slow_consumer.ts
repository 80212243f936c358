// The scaffolding of the slow-consumer tests, one for every wire protocol:
// a hub with a small maxBufferedBytes, and a reader connected through the
// adapter seam (`admit` + `connect`, as a custom transport uses them) with
// a socket whose bufferedAmount the test sets.

import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { createHub, type Hub } from "../../mod.ts";
import { mintToken } from "../../src/auth/mod.ts";

const SECRET = "slow-consumer-test-secret-of-32-bytes!";

/** The hub's `maxBufferedBytes` in these tests. */
export const LIMIT = 10_000;

/** A transport socket whose bufferedAmount the test sets. */
export class TestSocket {
  sent: string[] = [];
  buffered = 0;
  closedWith: number | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code?: number): void {
    this.closedWith ??= code;
  }
  get bufferedAmount(): number {
    return this.buffered;
  }
}

/** Resolves after the hub's flush of this turn (its `setImmediate` was queued first). */
export const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A connected reader, not yet subscribed. */
export interface SlowReader {
  hub: Hub;
  socket: TestSocket;
  /** Hands the hub one frame from the reader. */
  message(text: string): void;
  /** The subprotocol the hub chose. */
  protocol: string | undefined;
  /** The audit events, in order. */
  audited: string[];
}

/**
 * Creates a hub allowing `subscribe` on `feed:*` with maxBufferedBytes
 * {@linkcode LIMIT}, and connects one reader asking for `subprotocol`
 * (protocol v1 when none).
 */
export async function connectSlowReader(subprotocol?: string): Promise<SlowReader> {
  const audited: string[] = [];
  const hub = createHub({
    auth: { secret: SECRET },
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["feed:*"] }] },
    limits: { maxBufferedBytes: LIMIT },
    audit: (entry) => audited.push(entry.event),
  });
  const token = await mintToken({ sub: "reader" }, { secret: SECRET });
  const admission = await hub.admit(
    new Request("http://127.0.0.1/ws", {
      headers: {
        upgrade: "websocket",
        authorization: `Bearer ${token}`,
        ...(subprotocol === undefined ? {} : { "sec-websocket-protocol": subprotocol }),
      },
    }),
  );
  assert.ok(admission.ok);
  const socket = new TestSocket();
  const handler = hub.connect(socket, admission);
  handler.open();
  return {
    hub,
    socket,
    message: (text) => handler.message(text),
    protocol: admission.protocol,
    audited,
  };
}
