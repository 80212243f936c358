// The connect proxy's answer as the hub's parts see it: the principal, and the
// server-side subscriptions its `connect` handler makes. The backend is a
// client object answering as a backend would (the wire is tested against
// real FastAPI in proxy_fastapi_test.ts).

import assert from "node:assert/strict";
import { proxyHubParts } from "../../src/server/proxy/proxy_handlers.ts";
import type { ProxyClient } from "../../src/server/proxy/proxy_client.ts";
import { HubError } from "../../src/protocol/errors.ts";

function answering(result: Record<string, unknown> | undefined): ProxyClient {
  return { call: () => Promise.resolve(result), inFlight: 0 };
}

const UPGRADE = new Request("http://127.0.0.1/ws", { headers: { cookie: "session=x" } });
const ENDPOINT = { connect: { url: "http://127.0.0.1:1/realtime/connect" } };

async function admit(result: Record<string, unknown>) {
  const parts = proxyHubParts(ENDPOINT, answering(result));
  const principal = await parts.authenticate!(UPGRADE);
  assert.ok(principal !== undefined);
  const connect = parts.handlers?.connect;
  assert.ok(connect !== undefined);
  const answer = await connect({
    principal,
    connection: { id: "c1" },
    signal: new AbortController().signal,
  });
  return { principal, answer };
}

Deno.test("connect proxy: the answer's subscriptions become the connect handler's", async () => {
  const { principal, answer } = await admit({ user: "alice", subscriptions: ["user:alice"] });
  assert.equal(principal.sub, "alice");
  assert.deepEqual(answer, { subscriptions: ["user:alice"] });
});

Deno.test("connect proxy: no subscriptions, or none, make no server-side subscription", async () => {
  assert.equal((await admit({ user: "alice" })).answer, undefined);
  assert.equal((await admit({ user: "alice", subscriptions: [] })).answer, undefined);
});

Deno.test("connect proxy: malformed subscriptions refuse the upgrade with INTERNAL", async () => {
  for (const subscriptions of ["user:alice", [1], [null], { a: 1 }]) {
    const parts = proxyHubParts(ENDPOINT, answering({ user: "alice", subscriptions }));
    await assert.rejects(
      async () => await parts.authenticate!(UPGRADE),
      (e: unknown) =>
        e instanceof HubError && e.code === "INTERNAL" && /subscriptions/.test(e.message),
      JSON.stringify(subscriptions),
    );
  }
});
