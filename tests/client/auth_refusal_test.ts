// What RealtimeClient does when the hub refuses its token, over real sockets:
// a refusal no new token can cure (bad signature, wrong audience) stops it at
// once with the reason, on either path a browser can observe (a 4001 close at
// the upgrade, or the error frame of a first-message auth); a hub that
// cannot check tokens now is retried with back-off, the reason on each
// `reconnecting`.

import assert from "node:assert/strict";
import { RealtimeClient } from "../../src/client/mod.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { CHAT_ACL, next } from "./_helpers.ts";

const OTHER_SECRET = "a-different-secret-of-at-least-32-bytes!";

/** Refusals the hub logged, so a test can say how many attempts it saw. */
function refusals(logs: { event: string }[]): number {
  return logs.filter((entry) => entry.event === "auth.failed").length;
}

eachTransport(
  "RealtimeClient stops at once on a bad signature refused at the upgrade, with the reason",
  async (t) => {
    await using h = await startTestHub(t, { reject: "close" });
    const forged = await mintToken({ sub: "alice", acl: CHAT_ACL }, { secret: OTHER_SECRET }, {
      ttl: "1h",
    });
    let calls = 0;
    await using rt = new RealtimeClient({
      url: h.url,
      getToken: () => (calls++, Promise.resolve(forged)),
      backoff: { baseMs: 1, maxMs: 1 },
    });
    const [, change] = await next(rt, "state", (s) => s === "closed");
    assert.deepEqual(
      [change.error?.code, change.error?.closeCode, change.error?.authReason],
      ["AUTH_FAILED", 4001, "bad_signature"],
    );
    assert.match(change.error!.message, /Token signature is invalid/);
    assert.equal(calls, 1, "no new token is asked for: it would be refused too");
    assert.equal(refusals(h.logs), 1, "the hub saw one attempt");
    assert.equal(rt.error?.authReason, "bad_signature");
  },
);

eachTransport(
  "RealtimeClient stops at once on a wrong audience refused after a first-message auth",
  async (t) => {
    // The default reject "http" does not matter here: the token travels in a frame.
    await using h = await startTestHub(t, { auth: { secret: "x".repeat(40), audience: "hub" } });
    const token = await mintToken({ sub: "alice", aud: "elsewhere" }, { secret: "x".repeat(40) }, {
      ttl: "1h",
    });
    let calls = 0;
    await using rt = new RealtimeClient({
      url: h.url,
      getToken: () => (calls++, Promise.resolve(token)),
      tokenVia: "message",
      backoff: { baseMs: 1, maxMs: 1 },
    });
    const [, change] = await next(rt, "state", (s) => s === "closed");
    assert.deepEqual(
      [change.error?.code, change.error?.closeCode, change.error?.authReason],
      ["AUTH_FAILED", 4001, "bad_audience"],
    );
    assert.match(change.error!.message, /Authentication failed; Token audience is not accepted/);
    assert.equal(calls, 1);
    assert.equal(refusals(h.logs), 1);
  },
);

eachTransport(
  "RealtimeClient retries with back-off while the hub cannot fetch its JWKS, saying why",
  async (t) => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (closed.addr as Deno.NetAddr).port;
    closed.close(); // nothing listens there: every JWKS fetch fails
    await using h = await startTestHub(t, {
      reject: "close",
      auth: { jwksUrl: `http://127.0.0.1:${port}/jwks`, jwksCooldownMs: 0 },
    });
    // Any RS256 token with a kid: the hub needs the key set to check it.
    const header = btoa(JSON.stringify({ alg: "RS256", kid: "k1" })).replace(/=+$/, "");
    const body = btoa(JSON.stringify({ sub: "alice", exp: Math.floor(Date.now() / 1000) + 600 }))
      .replace(/=+$/, "");
    await using rt = new RealtimeClient({
      url: h.url,
      token: `${header}.${body}.c2ln`,
      backoff: { baseMs: 1, maxMs: 1 },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const [, change] = await next(rt, "state", (s) => s === "reconnecting");
      assert.deepEqual(
        [change.error?.code, change.error?.retry, change.error?.authReason],
        ["AUTH_FAILED", true, "jwks_unavailable"],
      );
      assert.match(change.error!.message, /could not check the token now/);
    }
  },
);
