/**
 * The hub under test, as its own process: HS256 authentication, the ten
 * benchmark ACL rules plus token capabilities, served with the transport
 * adapter named by the first argument (`ws` or `deno`). With `console` as
 * the second argument it also serves the admin API with the console's live
 * feed and keeps one console viewer reading `GET /stream` over a real
 * socket from this same process (so the viewer's reading is charged to the
 * server too: an upper bound). With `history` as the second argument every
 * topic keeps its last 100 publications (or the third argument's count) for 5
 * minutes. Prints `READY <port>` once listening;
 * SIGTERM closes it.
 *
 * @module
 */

import { createHub } from "../../mod.ts";
// serve.ts, not the server's mod.ts: that re-exports the node adapter,
// which would load npm `ws` into the Deno-transport server too.
import { serve, type Transport } from "../../src/server/serve.ts";
import { createAdminHandler } from "../../src/admin/mod.ts";
import { createConsoleFeed } from "../../src/admin/console/mod.ts";
import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET } from "../_config.ts";

const transport = (Deno.args[0] ?? "deno") as Transport;
const hub = createHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: { rules: BENCH_RULES },
  limits: BENCH_LIMITS,
  history: Deno.args[1] === "history"
    ? [{ pattern: "**", size: Number(Deno.args[2] ?? 100), ttlMs: 300_000 }]
    : [],
  // The default log sink (JSON lines on stderr, kept in bench/results/logs/): only failures log.
});
const withConsole = Deno.args[1] === "console";
const ADMIN_KEY = "bench-admin-key-0123456789abcdef";
const feed = withConsole ? createConsoleFeed(hub) : undefined;
const admin = createAdminHandler(hub, { apiKey: ADMIN_KEY, feed, audit: () => {} });
const server = await serve(hub, {
  port: 0,
  hostname: "127.0.0.1",
  transport,
  fetch: async (req) => (await admin(req)) ?? new Response(null, { status: 404 }),
});
const viewer = new AbortController();
if (withConsole) {
  const res = await fetch(`http://127.0.0.1:${server.port}/v1/realtime/stream`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    signal: viewer.signal,
  });
  if (res.status !== 200 || res.body === null) throw new Error(`Console stream: ${res.status}`);
  void res.body.pipeTo(new WritableStream()).catch(() => {});
}
// bench/heap_breakdown.ts: SIGUSR2 writes a heap snapshot (V8 collects
// garbage first) and prints its path.
const snapshots = Deno.env.get("BENCH_HEAP_SNAPSHOTS");
if (snapshots !== undefined) {
  const v8 = await import("node:v8");
  let taken = 0;
  Deno.addSignalListener("SIGUSR2", () => {
    const path = v8.writeHeapSnapshot(`${snapshots}/hub-${++taken}.heapsnapshot`);
    Deno.stdout.writeSync(new TextEncoder().encode(`SNAPSHOT ${path}\n`));
  });
}
Deno.stdout.writeSync(new TextEncoder().encode(`READY ${server.port}\n`));

Deno.addSignalListener("SIGTERM", async () => {
  viewer.abort();
  feed?.close();
  await hub.close();
  await server.close();
  Deno.exit(0);
});
