// A started server answers a refused upgrade in a way a browser can read:
// the upgrade is accepted and closed with 4001 and the reason, so a page
// using RealtimeClient stops and says why instead of reconnecting forever.
// `reject: "http"` in the config keeps the 401 answer.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { startServer } from "../../src/server/start.ts";
import { TestSocket } from "../_support/client.ts";

const SECRET = "start-reject-secret-of-at-least-32-bytes";
const FORGED_WITH = "not-the-hubs-secret-of-at-least-32-bytes";

async function forged(): Promise<string> {
  return await mintToken({ sub: "alice" }, { secret: FORGED_WITH }, { ttl: "1h" });
}

Deno.test("startServer closes a refused upgrade with 4001 and the reason by default", async () => {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET } },
    { accounts: false, log: () => {} },
  );
  const url = `ws://127.0.0.1:${started.server.port}/ws`;
  const socket = new TestSocket(url, { protocols: ["realtime.v1", "auth", await forged()] });
  const closed = await socket.closed;
  assert.deepEqual([closed.code, closed.reason], [4001, "Token signature is invalid"]);

  // What a page sees: the client stops at once, with the reason to show.
  await using rt = new RealtimeClient({ url, token: await forged() });
  const { promise, resolve } = Promise.withResolvers<RealtimeClient["error"]>();
  rt.on("state", (state, change) => {
    if (state === "closed") resolve(change.error);
  });
  const error = await promise;
  assert.deepEqual(
    [error?.code, error?.closeCode, error?.authReason],
    ["AUTH_FAILED", 4001, "bad_signature"],
  );
});

Deno.test("startServer answers 401 before the upgrade with reject 'http'", async () => {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET }, reject: "http" },
    { accounts: false, log: () => {} },
  );
  const res = await fetch(`http://127.0.0.1:${started.server.port}/ws?token=${await forged()}`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    },
  });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), {
    code: "AUTH_FAILED",
    message: "Token signature is invalid",
  });
});
