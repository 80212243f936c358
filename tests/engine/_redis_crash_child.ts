// A hub process stand-in for the crash test: joins presence on a topic
// through the Redis engine, says "ready", then waits to be SIGKILLed.
// Usage: deno run -A tests/engine/_redis_crash_child.ts URL TOPIC CONNECTION

import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";

const [url, topic, connection] = Deno.args;
const engine = await createRedisEngine({
  url,
  presenceTtlMs: 1500,
  presenceRefreshMs: 500,
  log: () => {},
});
await engine.presenceAdd(topic, { connection, user: "crashed-user" });
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
await new Promise(() => {}); // until killed
