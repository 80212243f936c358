/**
 * The hub under test, as its own process: HS256 authentication, the ten
 * benchmark ACL rules plus token capabilities, served with the transport
 * adapter named by the first argument (`ws` or `deno`). Prints
 * `READY <port>` once listening; SIGTERM closes it.
 *
 * @module
 */

import { createHub } from "../../mod.ts";
import { serve, type Transport } from "../../src/server/mod.ts";
import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET } from "../_config.ts";

const transport = (Deno.args[0] ?? "deno") as Transport;
const hub = createHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: { rules: BENCH_RULES },
  limits: BENCH_LIMITS,
  // The default log sink (JSON lines on stderr, kept in bench/results/logs/): only failures log.
});
const server = await serve(hub, { port: 0, hostname: "127.0.0.1", transport });
Deno.stdout.writeSync(new TextEncoder().encode(`READY ${server.port}\n`));

Deno.addSignalListener("SIGTERM", async () => {
  await hub.close();
  await server.close();
  Deno.exit(0);
});
