// The refresh proxy against the real FastAPI example under uvicorn, with a
// real hub process: a connection admitted by a cookie session with an
// expiry lives past it while the user stays logged in, and ends with
// TOKEN_EXPIRED (4001) once the user logged out.

import assert from "node:assert/strict";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { startHubProcess } from "../_support/hub_cluster.ts";
import { type FastApiBackend, freePort, hasFastApi, startFastApi } from "../_support/fastapi.ts";

const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const TTL_SECONDS = 3;

async function post(backend: FastApiBackend, path: string, cookie?: string, body = {}) {
  const res = await fetch(`${backend.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return res;
}

async function refreshes(backend: FastApiBackend): Promise<string[]> {
  const res = await fetch(`${backend.url}/refreshes`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()).refreshes;
}

Deno.test({
  name: "the refresh proxy keeps a FastAPI cookie session alive past its expiry, until logout",
  ignore: !hasFastApi(),
  async fn() {
    await using backend = await startFastApi(PROXY_SECRET, freePort(), {
      SESSION_TTL_SECONDS: String(TTL_SECONDS),
    });
    await using hub = await startHubProcess({
      config: {
        tokenExpiringLeadMs: 1000,
        proxy: {
          secret: PROXY_SECRET,
          connect: { url: `${backend.url}/realtime/connect` },
          refresh: { url: `${backend.url}/realtime/refresh` },
        },
      },
    });
    const login = await post(backend, "/login", undefined, { user: "alice" });
    const cookie = login.headers.getSetCookie()[0].split(";")[0];
    const [socket, welcome] = await connectWelcomed(hub.url, {
      protocols: ["realtime.v1"],
      headers: { cookie },
    });
    try {
      assert.equal(welcome.user, "alice");
      const firstExpiry = welcome.expiresAt as number;
      assert.ok(firstExpiry > Date.now(), "the session has an expiry");
      // The second extension is asked for 1 s before the first one's end
      // (TTL_SECONDS after the first refresh): past the first expiry.
      const deadline = Date.now() + 15_000;
      while ((await refreshes(backend)).length < 2) {
        assert.ok(Date.now() < deadline, "two refreshes in time");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(Date.now() > firstExpiry, "the second refresh came after the first expiry");
      assert.equal((await socket.request({ type: "ping", id: "p" })).type, "pong");
      assert.deepEqual(await refreshes(backend), [welcome.connectionId, welcome.connectionId]);

      await post(backend, "/logout", cookie);
      const error = await socket.next((f) => f.type === "error", TTL_SECONDS * 1000 + 2000);
      assert.deepEqual([error.code, error.message], ["TOKEN_EXPIRED", "Logged out"]);
      assert.equal((await withTimeout(socket.closed, 5000, "the close")).code, 4001);
    } finally {
      await socket.close().catch(() => {});
    }
  },
});
