// The soak's load process (scripts/_soak_load.ts) against a listener that
// accepts TCP connections and never answers the upgrade: every connect times
// out, and every socket it opened must still be closed, seen from both ends.

import assert from "node:assert/strict";

const LOAD = new URL("../../scripts/_soak_load.ts", import.meta.url).pathname;

Deno.test("soak load closes the socket of every connect that times out", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  const lifetimes: Promise<number>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      // Read until the peer closes; never answer. Bounded by the child's timeout.
      lifetimes.push((async () => {
        const start = performance.now();
        const buffer = new Uint8Array(4096);
        try {
          while ((await conn.read(buffer)) !== null) { /* discard the upgrade request */ }
        } catch {
          // reset by the peer counts as closed
        } finally {
          conn.close();
        }
        return performance.now() - start;
      })());
    }
  })();

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--cached-only", "--allow-net=127.0.0.1", LOAD],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(
    JSON.stringify({
      role: "churn",
      url: `ws://127.0.0.1:${port}/ws`,
      token: "not-a-token",
      count: 5,
      seconds: 3,
      timeoutMs: 200,
    }) + "\n",
  ));
  await writer.close();
  const output = await child.output();
  const result = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);

  assert.equal(result.churned, 0);
  assert.ok(result.errors >= 5, `errors ${result.errors}`);
  assert.equal(result.open, 0, "sockets the load process left open");
  assert.ok(accepted >= 5, `accepted ${accepted}`);
  // Every connection was closed when its connect timed out (200 ms), not when
  // the process exited at the end of its 3 s.
  const lived = await Promise.all(lifetimes);
  const longest = Math.round(Math.max(...lived));
  assert.ok(longest < 1500, `a connection stayed open ${longest} ms`);
  listener.close();
  await serving.catch(() => {});
});
