// A hub in its own process for tests that count its descriptors: prints
// `port <n>` once listening; when stdin closes, prints `malformed <json>`
// (the malformed-upgrade counters and audit lines) and exits.

import { createHub } from "../../src/server/create_hub.ts";
import { serve, type Transport } from "../../src/server/serve.ts";

const transport = (Deno.args[0] ?? "ws") as Transport;
let audits = 0;
const hub = createHub({
  auth: { secret: "hub-process-secret-of-at-least-32-bytes" },
  log: () => {},
  audit: (entry) => {
    if (entry.event === "upgrade.malformed") audits++;
  },
});
const server = await serve(hub, { port: 0, hostname: "127.0.0.1", transport });
await Deno.stdout.write(new TextEncoder().encode(`port ${server.port}\n`));
for await (const _ of Deno.stdin.readable) {
  // Runs until the test closes stdin.
}
const counts = Object.fromEntries(hub.metrics.upgradesMalformed);
await Deno.stdout.write(
  new TextEncoder().encode(`malformed ${JSON.stringify({ counts, audits })}\n`),
);
await hub.close();
await server.close();
// Deno's upgraded sockets keep idle-timeout timers alive after the server stopped.
Deno.exit(0);
