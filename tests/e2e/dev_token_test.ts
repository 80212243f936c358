// The demo page's getToken without a browser: which failures to mint a
// development token tell the client to try again (it reconnects once the
// network is back) and which to stop. The browser side is recovery_e2e.ts.

import assert from "node:assert/strict";
import { mintDevToken } from "../../src/demo/_dev_token.ts";
import { RealtimeError } from "../../src/client/mod.ts";

/** A hub stand-in on 127.0.0.1 that answers `/dev/token` with `answer()`. */
function minter(answer: () => Response) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, answer);
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    fetch: (input: string, init: RequestInit) => fetch(base + input, init),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function refusal(promise: Promise<string>): Promise<RealtimeError> {
  const error = await promise.then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof RealtimeError, `a RealtimeError, got ${error}`);
  return error;
}

Deno.test("mintDevToken returns the token the hub minted", async () => {
  await using hub = minter(() => Response.json({ token: "t0ken" }));
  assert.equal(await mintDevToken("alice", 60, hub.fetch), "t0ken");
});

Deno.test("mintDevToken asks the client to retry when the request fails (offline, hub unreachable)", async () => {
  // A port that was just free: nothing listens there, the connection is refused.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${listener.addr.port}`;
  listener.close();
  const error = await refusal(
    mintDevToken("alice", 60, (input, init) => fetch(base + input, init)),
  );
  assert.equal(error.code, "AUTH_FAILED");
  assert.equal(error.retry, true);
  assert.match(error.message, /Cannot mint a development token now: the request failed/);
});

Deno.test("mintDevToken asks the client to retry when the connection drops during the answer", async () => {
  // Raw TCP: a head that promises more body than is sent before the close.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const head = new Uint8Array(4096);
    await conn.read(head);
    await conn.write(
      new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"tok'),
    );
    conn.close();
  })();
  const base = `http://127.0.0.1:${listener.addr.port}`;
  try {
    const error = await refusal(
      mintDevToken("alice", 60, (input, init) => fetch(base + input, init)),
    );
    assert.equal(error.retry, true);
  } finally {
    await served;
    listener.close();
  }
});

Deno.test("mintDevToken asks the client to retry when the hub is busy or failing", async () => {
  for (const status of [429, 502, 503]) {
    await using hub = minter(() => Response.json({ message: "Busy" }, { status }));
    const error = await refusal(mintDevToken("alice", 60, hub.fetch));
    assert.equal(error.retry, true, `HTTP ${status}`);
  }
});

Deno.test("mintDevToken stops the client when the hub refuses, with the hub's message", async () => {
  await using hub = minter(() =>
    Response.json({ message: "Cannot mint for 'x y': bad sub" }, { status: 400 })
  );
  const error = await refusal(mintDevToken("x y", 60, hub.fetch));
  assert.equal(error.code, "AUTH_FAILED");
  assert.equal(error.retry, false);
  assert.equal(error.message, "Cannot mint for 'x y': bad sub");
});

Deno.test("mintDevToken stops the client when the hub answers without a token", async () => {
  await using hub = minter(() => new Response("<html>", { status: 200 }));
  const error = await refusal(mintDevToken("alice", 60, hub.fetch));
  assert.equal(error.retry, false);
  assert.equal(error.message, "Minting answered without a token");
});
