// The hub with its `node:http` WebSocket adapter runs under the system's
// Node (docs/server.md says it does): its core, the adapter's own RFC 6455
// framing and token minting are bundled from the locked sources with
// `deno bundle --platform deno` (Node's built-ins stay imports), and `node`
// runs tests/node/_server_round_trip.mjs on the bundle: a `ws` client is
// welcomed, subscribes, publishes and receives a message long enough for a
// 16-bit frame length, and a second client's frame with RSV1 set is closed
// with 1002. Skipped where no `node` is installed.

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../../scripts/_bundle.ts";

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

const version = nodeVersion();

Deno.test({
  name: "the hub serves WebSocket clients under Node with the node:http adapter",
  ignore: version === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-node-server-" });
    try {
      const file = join(dir, "server.mjs");
      const bundled = await new Deno.Command(Deno.execPath(), {
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
          "tests/node/_server_entry.ts",
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
      const { code, stdout, stderr } = await new Deno.Command("node", {
        args: [join(ROOT, "tests/node/_server_round_trip.mjs"), file],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(NODE_TIMEOUT_MS),
      }).output();
      assert.equal(code, 0, `node exited with ${code}: ${new TextDecoder().decode(stderr)}`);
      const report = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
      assert.deepEqual(report, {
        node: version!.slice(1),
        user: "noder",
        received: true,
        from: "noder",
        refused: 1002,
        closed: 1000,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
