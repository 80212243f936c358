// `realtime-cli tail` and RealtimeClient decide the same way after every close
// code the peer can send, because both read the client's CLOSE_POLICY.
//
// The peer is a scripted WebSocket server on 127.0.0.1 rather than the hub:
// it closes with any chosen code on cue, including 1000, which the hub never
// sends by itself. (Deno's WebSocket can only close with 1000 or 3000-4999;
// 1001 is covered by tail_test.ts against a real hub restart.)

import assert from "node:assert/strict";
import { CloseCode } from "../../src/protocol/codes.ts";
import { closePolicy } from "../../src/client/close_policy.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { withTimeout } from "../_support/client.ts";
import { baseEnv, CliProcess } from "./_cli.ts";

/** A peer that welcomes, acks subscribes, and closes the first connection with `code`. */
function closingPeer(code: number) {
  let connections = 0;
  const second = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "realtime.v1" });
    const n = ++connections;
    if (n === 2) second.resolve();
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "welcome",
        connectionId: `c${n}`,
        user: "eve",
        expiresAt: null,
      }));
    };
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.type === "ping") socket.send(JSON.stringify({ type: "pong", id: frame.id }));
      if (frame.type !== "subscribe") return;
      socket.send(JSON.stringify({ type: "ack", id: frame.id }));
      if (n === 1) socket.close(code, "scripted close");
    };
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    reconnected: second.promise,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

type Decision = "reconnect" | "stop";

async function tailDecides(code: number): Promise<Decision> {
  await using peer = closingPeer(code);
  await using tail = new CliProcess(["tail", "chat:a"], {
    env: baseEnv({ REALTIME_URL: peer.url, REALTIME_TOKEN: "a.b.c" }),
  });
  await tail.err(/subscribed to chat:a/);
  return await withTimeout(
    Promise.race([
      peer.reconnected.then(() => "reconnect" as const),
      tail.child.status.then(() => "stop" as const),
    ]),
    10_000,
    `tail's decision after ${code}`,
  );
}

async function clientDecides(code: number): Promise<Decision> {
  await using peer = closingPeer(code);
  await using rt = new RealtimeClient({
    url: peer.url,
    token: "a.b.c",
    backoff: { baseMs: 1, maxMs: 1 },
    heartbeatMs: 0,
  });
  await rt.subscribe("chat:a", () => {}).ready;
  const decided = Promise.withResolvers<Decision>();
  rt.on("state", (state) => {
    if (state === "reconnecting") decided.resolve("reconnect");
    if (state === "closed") decided.resolve("stop");
  });
  return await withTimeout(decided.promise, 5_000, `the client's decision after ${code}`);
}

const SCRIPTED = [1000, 4000, 4001, 4003, 4008, 4999];

for (const code of SCRIPTED) {
  Deno.test(`realtime-cli tail and RealtimeClient follow CLOSE_POLICY after ${code}`, async () => {
    const action = closePolicy(code).action;
    // Without getToken (the client) or with a fixed token (the CLI), "refresh" stops.
    const expected: Decision = action === "reconnect" ? "reconnect" : "stop";
    assert.equal(await clientDecides(code), expected, "RealtimeClient");
    assert.equal(await tailDecides(code), expected, "realtime-cli tail");
  });
}

Deno.test("the scripted close codes cover every CloseCode Deno can send", () => {
  const sendable = Object.values(CloseCode).filter((c) => c === 1000 || c >= 3000);
  for (const code of sendable) assert.ok(SCRIPTED.includes(code), String(code));
});
