/**
 * The hub of the handler benchmarks, as its own process. The first argument
 * chooses how the application takes part: `none`; `handler`, an in-process
 * publish handler that adds a server id to the payload; `proxy <url>`, the
 * HTTP publish proxy to the backend at `<url>` (bench/app/backend.ts);
 * `connect <url>`, the HTTP connect proxy (admission by cookie, no JWT).
 * Prints `READY <port>`; SIGTERM closes it.
 *
 * @module
 */

import { createHub } from "../../mod.ts";
import { serve } from "../../src/server/serve.ts";
import type { AppHandlers } from "../../src/hub/handlers.ts";
import { createProxyClient } from "../../src/server/proxy/proxy_client.ts";
import { proxyHubParts } from "../../src/server/proxy/proxy_handlers.ts";
import { BENCH_LIMITS, BENCH_SECRET } from "../_config.ts";

const PROXY_SECRET = "realtime-hub-benchmark-proxy-secret-0123";
const [mode = "none", backend] = Deno.args;
let next = 0;
const inProcess: AppHandlers = {
  publish: ({ payload }) => ({ payload: { ...(payload as object), id: ++next } }),
};
const proxy = backend === undefined ? undefined : proxyHubParts(
  mode === "connect"
    ? { secret: PROXY_SECRET, connect: { url: `${backend}/connect` } }
    : { secret: PROXY_SECRET, publish: { url: `${backend}/publish` } },
  createProxyClient({ secret: PROXY_SECRET, maxConcurrent: 64 }),
);
const hub = createHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["bench:**"] }] },
  limits: BENCH_LIMITS,
  handlers: mode === "handler" ? inProcess : proxy?.handlers,
  authenticate: proxy?.authenticate,
  handlerLimits: { maxConcurrent: 1024, maxConcurrentPerConnection: 64 },
  log: () => {},
});
const server = await serve(hub, { port: 0, hostname: "127.0.0.1", transport: "deno" });
Deno.stdout.writeSync(new TextEncoder().encode(`READY ${server.port}\n`));
Deno.addSignalListener("SIGTERM", async () => {
  await hub.close();
  await server.close();
  Deno.exit(0);
});
