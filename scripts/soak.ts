// deno-lint-ignore-file no-console
// deno task soak [--seconds 30] [--stable 2000] [--churn 100] [--processes 2] [--transport ws]
//
// A bounded soak test on loopback. This process runs only the hub (and its
// publisher); the load runs in separate processes (scripts/_soak_load.ts) so
// it does not compete with the hub for its thread: one keeps `stable`
// subscribers connected, `processes` others split `churn` workers that
// connect, subscribe, publish and disconnect in a loop. At the end it reports
// the hub's own counters, read in this process: messages lost by the stable
// subscribers (must be 0), registry entries and connections left behind (must
// be 0), and open socket descriptors compared with before the load (must not
// have grown). Exits 1 if any of these is broken.

import { parseArgs } from "node:util";
import { createHub } from "../src/server/create_hub.ts";
import { mintToken } from "../src/auth/mint.ts";
import { serve } from "../src/server/serve.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "30" },
    stable: { type: "string", default: "2000" },
    churn: { type: "string", default: "100" },
    processes: { type: "string", default: "2" },
    transport: { type: "string", default: "ws" },
  },
});

/** Reads a bounded whole-number option, or exits with a clear message. */
function count(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`Cannot soak as --${name} is '${value}': a whole number ${min}-${max} is needed`);
    Deno.exit(2);
  }
  return n;
}
const seconds = count("seconds", values.seconds, 1, 600);
const stableCount = count("stable", values.stable, 0, 20_000);
const churnWorkers = count("churn", values.churn, 0, 1000);
const processes = count("processes", values.processes, 1, 8);
if (values.transport !== "ws" && values.transport !== "deno") {
  console.error(`Cannot soak as --transport is '${values.transport}': use 'ws' or 'deno'`);
  Deno.exit(2);
}
const secret = crypto.randomUUID() + crypto.randomUUID();

/**
 * TCP sockets this process holds (Linux), or undefined elsewhere: descriptors
 * whose socket inode /proc/net/tcp or tcp6 lists. Unix sockets are left out,
 * as the pipes to the load processes are ones.
 * Deno reads /proc/self only with --allow-all, which the task passes anyway:
 * starting the load processes needs --allow-run, which grants as much.
 */
function openSockets(): number | undefined {
  try {
    const tcp = new Set<string>();
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      for (const row of Deno.readTextFileSync(table).split("\n").slice(1)) {
        const inode = row.trim().split(/\s+/)[9];
        if (inode !== undefined && inode !== "0") tcp.add(inode);
      }
    }
    let sockets = 0;
    for (const entry of Deno.readDirSync("/proc/self/fd")) {
      try {
        const link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
        if (link.startsWith("socket:[") && tcp.has(link.slice(8, -1))) sockets++;
      } catch {
        // closed while listing
      }
    }
    return sockets;
  } catch {
    return undefined;
  }
}
const rss = () => Math.round(Deno.memoryUsage().rss / 2 ** 20);

const hub = createHub({
  auth: { secret },
  log: () => {},
  limits: { connectRatePerIp: 1e9, connectBurstPerIp: 1e9, maxConnectionsPerUser: 1e6 },
});
const server = await serve(hub, { port: 0, transport: values.transport });
const url = `ws://127.0.0.1:${server.port}/ws`;
const acl = { "soak:*": ["subscribe", "publish"] };
const token = await mintToken({ sub: "soak", acl }, { secret }, { ttl: "1h" });
const loadScript = new URL("./_soak_load.ts", import.meta.url).pathname;

/** A load process, fed its job on stdin; its JSON lines arrive through `next()`. */
class Load {
  readonly child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncGenerator<string>;

  constructor(job: Record<string, unknown>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--cached-only", "--allow-net=127.0.0.1", loadScript],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#lines = lines(this.child.stdout);
    this.send({ ...job, url, token });
  }

  send(value: unknown): void {
    this.#writer.write(new TextEncoder().encode(JSON.stringify(value) + "\n")).catch(() => {});
  }

  /** The next JSON line, or an error after `timeoutMs`. */
  async next(timeoutMs: number): Promise<Record<string, number>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Load process silent for ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const line = await Promise.race([this.#lines.next(), timeout]);
      if (line.done) throw new Error("Load process ended without a result");
      return JSON.parse(line.value);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.child.status;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
}

const socketsBefore = openSockets();
const rssBefore = rss();
console.log(
  `soak: ${stableCount} stable subscribers, ${churnWorkers} churn workers in ${processes} processes, ${seconds}s, transport ${values.transport}`,
);

const timeoutMs = 10_000;
const stable = new Load({ role: "stable", count: stableCount, seconds, timeoutMs });
const loads: Load[] = [stable];
let published = 0;
let failed = false;
try {
  const ready = await stable.next(60_000 + stableCount * 20);
  console.log(
    `soak: ${ready.connected} stable subscribers up (${ready.errors} errors), hub rss ${rss()} MiB`,
  );

  const churners = Array.from({ length: processes }, (_, i) => {
    const share = Math.floor(churnWorkers / processes) + (i < churnWorkers % processes ? 1 : 0);
    return new Load({ role: "churn", count: share, seconds, timeoutMs });
  });
  loads.push(...churners);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    await hub.publish("soak:stable", { n: published, pad: "x".repeat(64) });
    published++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let churned = 0;
  let churnErrors = 0;
  let loadOpen = 0;
  let p99 = 0;
  let max = 0;
  for (const load of churners) {
    const result = await load.next(seconds * 1000 + 30_000);
    churned += result.churned;
    churnErrors += result.errors;
    loadOpen += result.open;
    p99 = Math.max(p99, result.p99);
    max = Math.max(max, result.max);
  }
  stable.send({ finish: published });
  const end = await stable.next(30_000);
  loadOpen += end.open;

  // The load processes closed every socket they opened; the hub must now be empty.
  const drained = Date.now() + 10_000;
  while (hub.connectionCount > 0 && Date.now() < drained) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The hub releases a socket a little after its connection leaves the
  // registry (the close handshake ends the TCP connection): wait, bounded.
  const released = Date.now() + 10_000;
  while ((openSockets() ?? 0) > (socketsBefore ?? 0) && Date.now() < released) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stats = hub.stats();
  const leaked = stats.connections + stats.users + stats.topics + stats.subscriptions;
  const socketsAfter = openSockets();
  const socketLeak = socketsBefore === undefined || socketsAfter === undefined
    ? 0
    : Math.max(0, socketsAfter - socketsBefore);
  const churnRate = Math.round(churned / seconds);

  console.log(
    `soak: churned ${churned} connections (${churnErrors} errors, ${churnRate}/s), published ${published} to ${end.connected} stable subscribers`,
  );
  console.log(
    `soak: churn connect time p99 ${p99} ms, max ${max} ms (timeout ${timeoutMs} ms)`,
  );
  console.log(`soak: messages lost ${end.lost}`);
  console.log(`soak: hub rss before ${rssBefore} MiB, after ${rss()} MiB`);
  console.log(
    `soak: hub sockets before ${socketsBefore ?? "n/a"}, after ${
      socketsAfter ?? "n/a"
    }; load sockets left open ${loadOpen}`,
  );
  console.log(`soak: leaked registry entries ${leaked} ${JSON.stringify(stats)}`);
  failed = end.lost !== 0 || leaked !== 0 || socketLeak !== 0 || loadOpen !== 0 ||
    end.connected !== stableCount || churnErrors > churned / 100;
} catch (error) {
  console.error(`soak: ${error instanceof Error ? error.message : error}`);
  failed = true;
} finally {
  await Promise.all(loads.map((load) => load.close()));
  await hub.close();
  await server.close();
}
console.log(`soak: ${failed ? "FAILED" : "ok"}`);
Deno.exit(failed ? 1 : 0);
