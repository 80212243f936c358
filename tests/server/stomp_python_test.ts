// Python's stomp.py (Debian's python3-stomp, unmodified; a WebSocket
// transport under it, as stomp.py 8.1's own) against the STOMP door of a real
// hub process, with protocol v1's RealtimeClient on the other side: connect
// with a JWT, a subscribe receipt, messages published by v1, a SEND received
// by v1 with its receipt, and a forbidden destination's ERROR and close.

import assert from "node:assert/strict";
import { CLUSTER_SECRET, startHubProcess } from "../_support/hub_cluster.ts";
import { withTimeout } from "../_support/client.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("../_support/stomp_py_client.py", import.meta.url).pathname;
const WAIT_MS = 20_000;

function hasStompPy(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import stomp, websocket"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** The JSON lines a child writes, one at a time, each within a bound. */
function lines(
  stream: ReadableStream<Uint8Array>,
): (what: string) => Promise<Record<string, unknown>> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async (what) => {
    for (;;) {
      const nl = buffer.indexOf("\n");
      if (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        return JSON.parse(line);
      }
      const { value, done } = await withTimeout(reader.read(), WAIT_MS, what);
      if (done) throw new Error(`stomp.py ended before ${what}`);
      buffer += value;
    }
  };
}

Deno.test({
  name: "STOMP door serves Python's stomp.py: receipts, v1 messages both ways, a forbidden ERROR",
  ignore: !hasStompPy(),
  async fn() {
    const hub = await startHubProcess({
      config: { acl: { rules: [{ effect: "allow", actions: "*", topics: ["chat:**"] }] } },
    });
    const child = new Deno.Command(PYTHON, {
      args: [
        SCRIPT,
        hub.url,
        await mintToken({ sub: "py" }, { secret: CLUSTER_SECRET }, { ttl: "1h" }),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const next = lines(child.stdout);
    const stdin = child.stdin.getWriter();
    try {
      await using v1 = new RealtimeClient({
        url: hub.url,
        token: await mintToken({ sub: "victor" }, { secret: CLUSTER_SECRET }, { ttl: "1h" }),
      });
      const received: unknown[] = [];
      let heard: (() => void) | undefined;
      const stop = v1.subscribe("chat:py-out", (m) => {
        received.push(m.payload);
        heard?.();
      });
      await v1.publish("chat:py-out", "sync");
      assert.deepEqual(await next("connected"), { event: "connected" });
      assert.deepEqual(await next("subscribed"), { event: "subscribed" });
      await v1.publish("chat:py", { text: "from v1" });
      await v1.publish("chat:py", "plain");
      const json = await next("first message");
      assert.deepEqual(JSON.parse(json.body as string), { text: "from v1" });
      const headers = json.headers as Record<string, string>;
      assert.equal(headers.subscription, "py-1");
      assert.equal(headers.destination, "/topic/chat/py");
      assert.equal(headers["content-type"], "application/json");
      assert.equal(headers.from, "victor");
      const text = await next("second message");
      assert.equal(text.body, "plain");
      const got = new Promise<void>((resolve) => heard = () => received.length >= 2 && resolve());
      await stdin.write(new TextEncoder().encode("go\n"));
      assert.deepEqual(await next("sent"), { event: "sent", receipt: "send-1" });
      await withTimeout(got, WAIT_MS, "v1 receives the SEND");
      assert.deepEqual(received, ["sync", { from: "python", n: 7 }]);
      stop();
      const error = await next("error");
      const errorHeaders = error.headers as Record<string, string>;
      assert.equal(errorHeaders.code, "FORBIDDEN");
      assert.equal(errorHeaders["receipt-id"], "sub-2");
      assert.deepEqual(await next("closed"), { event: "closed" });
      assert.equal((await child.status).code, 0, await stderr);
    } finally {
      await stdin.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await stderr;
      await hub.stop();
    }
  },
});
