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
import { bundleForNode, ROOT } from "../../scripts/_bundle.ts";
import { nodeVersion } from "./_node_version.ts";

const NODE_TIMEOUT_MS = 60_000;

const version = nodeVersion();

Deno.test({
  name: "the hub serves WebSocket clients under Node with the node:http adapter",
  ignore: version === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-node-server-" });
    try {
      const file = join(dir, "server.mjs");
      await bundleForNode("tests/node/_server_entry.ts", file);
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
