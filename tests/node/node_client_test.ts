// RealtimeClient and the React bindings under the system's Node (20 here:
// no global WebSocket, so `ws` is passed in), over a real hub on 127.0.0.1.
// The client, the bindings, React's server renderer and `ws` are bundled
// from the locked sources with `deno bundle --platform deno` (Node's
// built-ins stay imports), then `node` runs tests/node/_round_trip.mjs on
// the bundle: subscribe, publish, receive its own message; server-render a
// provider and hooks with no socket opened. Skipped where no `node` is
// installed.

import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleForNode, ROOT } from "../../scripts/_bundle.ts";
import { startTestHub } from "../_support/hub.ts";
import { nodeVersion } from "./_node_version.ts";

const ACL = { "chat:*": ["subscribe", "publish"] };
/** The longest the Node process may run: it waits on its own bounded deadlines first. */
const NODE_TIMEOUT_MS = 60_000;

async function bundleForNodeTest(): Promise<{ file: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "realtime-node-" });
  const file = join(dir, "client.mjs");
  await bundleForNode("tests/node/_entry.ts", file);
  return { file, dir };
}

const version = nodeVersion();

Deno.test({
  name:
    "RealtimeClient under Node subscribes, publishes and receives over a real hub; SSR opens no socket",
  ignore: version === undefined,
  async fn() {
    await using hub = await startTestHub("ws");
    const token = await hub.token({ sub: "nodeuser", acl: ACL });
    const { file, dir } = await bundleForNodeTest();
    try {
      const child = new Deno.Command("node", {
        args: [join(ROOT, "tests/node/_round_trip.mjs"), file, hub.url, token],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(NODE_TIMEOUT_MS),
      });
      const { code, stdout, stderr } = await child.output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 0, `node exited with ${code}: ${err}`);
      const report = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
      assert.equal(`v${report.node}`, version);
      assert.deepEqual(report.message, {
        topic: "chat:node",
        from: "nodeuser",
        payload: { text: "from node" },
      });
      assert.equal(report.user, "nodeuser");
      assert.equal(report.html, "idle false 0");
      assert.equal(report.ssrSockets, 0);
      if (report.nativeWebSocket === "function") {
        // Node 22+: the global WebSocket works without the option.
        assert.equal(report.withoutWebSocket, "constructed");
      } else {
        assert.equal(
          report.withoutWebSocket,
          "TypeError: Cannot create RealtimeClient: this runtime has no global WebSocket; pass the 'WebSocket' option",
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
