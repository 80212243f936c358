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
import { ROOT } from "../../scripts/_bundle.ts";
import { startTestHub } from "../_support/hub.ts";

const ACL = { "chat:*": ["subscribe", "publish"] };
/** The longest the Node process may run: it waits on its own bounded deadlines first. */
const NODE_TIMEOUT_MS = 60_000;

function nodeVersion(): string | undefined {
  try {
    const { success, stdout } = new Deno.Command("node", { args: ["--version"], stdout: "piped" })
      .outputSync();
    return success ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function bundleForNode(): Promise<{ file: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "realtime-node-" });
  const file = join(dir, "client.mjs");
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--frozen",
      "--config",
      join(ROOT, "deno.json"),
      "--platform",
      "deno",
      "--format",
      "esm",
      "--output",
      file,
      "tests/node/_entry.ts",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
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
    const { file, dir } = await bundleForNode();
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
