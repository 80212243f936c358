// The Python peer (examples/python/peer.py, Debian's /usr/bin/python3 and
// websockets) calls RPC methods on a real hub over 127.0.0.1, on both
// transports: the handler's result comes back, a refusal and an unknown
// method come back as their codes; and through a hub process to the FastAPI
// example's RPC proxy. Every wait on the child has a timeout.

import assert from "node:assert/strict";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { HubError } from "../../src/protocol/errors.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { CLUSTER_SECRET, startHubProcess } from "../_support/hub_cluster.ts";
import { hasFastApi, startFastApi } from "../_support/fastapi.ts";

const PYTHON = "/usr/bin/python3";
const PEER = new URL("../../examples/python/peer.py", import.meta.url).pathname;
const TIMEOUT_MS = 20_000;
const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";

// deno-lint-ignore no-explicit-any
type Line = Record<string, any>;

/** Runs `peer.py rpc` to completion: its exit code and its JSON lines. */
async function pythonRpc(
  url: string,
  tokenFile: string,
  args: string[],
): Promise<{ code: number; lines: Line[]; stderr: string }> {
  const child = new Deno.Command(PYTHON, {
    args: [PEER, "rpc", "--url", url, "--token-file", tokenFile, "--timeout", "10", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  try {
    const { code, stdout, stderr } = await child.output();
    return {
      code,
      lines: new TextDecoder().decode(stdout).split("\n").filter((l) => l !== "").map((l) =>
        JSON.parse(l)
      ),
      stderr: new TextDecoder().decode(stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

eachTransport("python peer: an RPC round trip, a refusal and an unknown method", async (t) => {
  await using h = await startTestHub(t);
  h.hub.rpc("math.sum", ({ principal, data }) => ({
    sum: (data as number[]).reduce((a, b) => a + b, 0),
    for: principal.sub,
  }));
  h.hub.rpc("admin.purge", () => {
    throw new HubError("FORBIDDEN", "Admins only");
  });
  const dir = await Deno.makeTempDir({ prefix: "python-rpc-" });
  try {
    const tokenFile = `${dir}/token`;
    await Deno.writeTextFile(tokenFile, await h.token({ sub: "py" }));

    const ok = await pythonRpc(h.url, tokenFile, ["math.sum", "[1, 2, 39]"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.lines, [{
      event: "rpc",
      method: "math.sum",
      data: { sum: 42, for: "py" },
    }]);

    const refused = await pythonRpc(h.url, tokenFile, ["admin.purge"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.deepEqual(
      [refused.lines[0].event, refused.lines[0].code, refused.lines[0].retry],
      ["error", "FORBIDDEN", false],
    );
    assert.match(refused.lines[0].message, /Admins only/);

    const unknown = await pythonRpc(h.url, tokenFile, ["no.such.method"]);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.equal(unknown.lines[0].code, "BAD_REQUEST");
    assert.equal(h.hub.metrics.handlerCalls.get("rpc"), 2);
    // The token never reaches the output.
    const token = await Deno.readTextFile(tokenFile);
    assert.ok(![ok, refused, unknown].some((r) => JSON.stringify(r).includes(token)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "python peer: an RPC round trip through a hub process to the FastAPI example's RPC proxy",
  ignore: !hasFastApi(),
  async fn() {
    await using backend = await startFastApi(PROXY_SECRET);
    await using hub = await startHubProcess({
      config: {
        proxy: {
          secret: PROXY_SECRET,
          rpc: [{ methods: ["chat.*", "whoami"], url: `${backend.url}/realtime/rpc` }],
        },
      },
    });
    const dir = await Deno.makeTempDir({ prefix: "python-rpc-" });
    try {
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(
        tokenFile,
        await mintToken({ sub: "py" }, { secret: CLUSTER_SECRET }, { ttl: "1h" }),
      );
      const who = await pythonRpc(hub.url, tokenFile, ["whoami"]);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(who.lines[0].data.user, "py");
      const count = await pythonRpc(hub.url, tokenFile, ["chat.count", '{"topic":"chat:none"}']);
      assert.deepEqual(count.lines, [{ event: "rpc", method: "chat.count", data: { count: 0 } }]);
      // The backend refuses a method it does not know: its code reaches Python.
      const unknown = await pythonRpc(hub.url, tokenFile, ["chat.nope"]);
      assert.equal(unknown.code, 1);
      assert.deepEqual([unknown.lines[0].code, unknown.lines[0].retry], ["BAD_REQUEST", false]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
