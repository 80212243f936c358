// deno-lint-ignore-file no-console
/**
 * Server CPU per delivery of an SSE subscriber beside a WebSocket one, in
 * one run of one hub process (Deno transport): a load process (its own
 * process) opens N subscribers of one kind on one topic, a WebSocket
 * publisher sends M publications fire-and-forget, and the hub's CPU time
 * (`/proc/<pid>/stat`, user + system) over the publish phase is divided by
 * N × M. Bounded: N, M and a deadline per phase.
 *
 * ```sh
 * deno run -A bench/sse_cost.ts [--subscribers 200] [--messages 500] [--rounds 3]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    subscribers: { type: "string", default: "200" },
    messages: { type: "string", default: "500" },
    rounds: { type: "string", default: "3" },
    role: { type: "string" },
    port: { type: "string" },
    kind: { type: "string" },
  },
});
const SECRET = "bench-sse-secret-of-at-least-32-bytes!!";
const N = Number(values.subscribers);
const M = Number(values.messages);
const TOPIC = "bench:sse";
/** `ws`: one message per frame (`realtime.v1`); `wsb`: batched (`realtime.v1.batch`); `sse`. */
type Kind = "ws" | "wsb" | "sse";

if (values.role === "hub") {
  const { createHub } = await import("../src/server/create_hub.ts");
  const { serve } = await import("../src/server/serve.ts");
  const hub = createHub({
    auth: { secret: SECRET },
    limits: {
      messageRate: 1_000_000,
      messageBurst: 1_000_000,
      maxConnectionsPerUser: 100_000,
      connectRatePerIp: 1_000_000,
      connectBurstPerIp: 1_000_000,
    },
    log: () => {},
  });
  const server = await serve(hub, { port: Number(values.port), transport: "deno" });
  console.log(`READY ${server.port}`);
} else if (values.role === "load") {
  await load(Number(values.port), values.kind as Kind);
} else {
  await main();
}

async function token(sub: string): Promise<string> {
  const { mintToken } = await import("../src/auth/mint.ts");
  return await mintToken({ sub, acl: { "bench:*": ["subscribe", "publish"] } }, {
    secret: SECRET,
  }, { ttl: "1h" });
}

/** The load process: N subscribers of `kind`, then M publications; prints READY, then DONE. */
async function load(port: number, kind: Kind): Promise<void> {
  const tok = await token("load");
  let received = 0;
  const all = Promise.withResolvers<void>();
  const count = (n: number) => {
    received += n;
    if (received >= N * M) all.resolve();
  };
  const ready: Promise<void>[] = [];
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  for (let i = 0; i < N; i++) {
    if (kind !== "sse") {
      const offered = kind === "wsb" ? ["realtime.v1.batch", "realtime.v1"] : ["realtime.v1"];
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, [...offered, "auth", tok]);
      const subscribed = Promise.withResolvers<void>();
      ws.onopen = () => ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: TOPIC }));
      ws.onmessage = (e) => {
        const text = String(e.data);
        // Under realtime.v1.batch the ack may share a message with the welcome.
        if (text.includes('{"type":"ack"')) subscribed.resolve();
        let at = 0;
        let n = 0;
        while ((at = text.indexOf('{"type":"message"', at)) >= 0) {
          n++;
          at++;
        }
        if (n > 0) count(n);
      };
      ready.push(subscribed.promise);
    } else {
      const response = await fetch(`http://127.0.0.1:${port}/sse?topic=${TOPIC}`, {
        headers: { authorization: `Bearer ${tok}` },
      });
      const reader = response.body!.getReader();
      readers.push(reader);
      const subscribed = Promise.withResolvers<void>();
      ready.push(subscribed.promise);
      void (async () => {
        const decoder = new TextDecoder();
        const marker = 'data: {"type":"message"';
        // What may hold the start of a marker cut by a chunk boundary.
        let carry = "";
        while (true) {
          const { value, done } = await reader.read();
          if (done) return;
          const text = carry + decoder.decode(value, { stream: true });
          if (text.includes("event: welcome")) subscribed.resolve();
          let at = 0;
          let n = 0;
          let end = 0;
          while ((at = text.indexOf(marker, at)) >= 0) {
            n++;
            at += marker.length;
            end = at;
          }
          carry = text.slice(Math.max(end, text.length - marker.length + 1));
          if (n > 0) count(n);
        }
      })();
    }
  }
  const stuck = setTimeout(() => {
    console.error(`${kind}: subscribers not all ready in 60 s`);
    Deno.exit(1);
  }, 60_000);
  await Promise.all(ready);
  clearTimeout(stuck);
  const publisher = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["realtime.v1", "auth", tok]);
  await new Promise((resolve) => publisher.onopen = resolve);
  console.log("READY");
  // Waits for the go: the parent reads the hub's CPU first.
  await new Promise<void>((resolve) => {
    const buffer = new Uint8Array(16);
    void Deno.stdin.read(buffer).then(() => resolve());
  });
  const payload = "x".repeat(100);
  for (let i = 0; i < M; i++) {
    publisher.send(JSON.stringify({ type: "publish", topic: TOPIC, payload }));
  }
  const timer = setTimeout(() => {
    console.error(`${kind}: only ${received} of ${N * M} deliveries arrived in 120 s`);
    Deno.exit(1);
  }, 120_000);
  await all.promise;
  clearTimeout(timer);
  console.log("DONE");
  Deno.exit(0);
}

function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  }
}

function waitLine(
  queue: string[],
  waiters: (() => void)[],
  want: (line: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`Timed out waiting for a line; have ${JSON.stringify(queue)}`)),
      200_000,
    );
    const check = () => {
      const index = queue.findIndex(want);
      if (index < 0) return waiters.push(check);
      clearTimeout(deadline);
      resolve(queue.splice(index, 1)[0]);
    };
    check();
  });
}

function spawn(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const queue: string[] = [];
  const waiters: (() => void)[] = [];
  void lines(child.stdout, (line) => {
    queue.push(line);
    for (const w of waiters.splice(0)) w();
  });
  return { child, next: (want: (line: string) => boolean) => waitLine(queue, waiters, want) };
}

async function main(): Promise<void> {
  const rounds = Number(values.rounds);
  const results: Record<Kind, number[]> = { ws: [], wsb: [], sse: [] };
  for (let round = 0; round < rounds; round++) {
    const hub = spawn(["--role", "hub", "--port", "0"]);
    let loadProc: ReturnType<typeof spawn> | undefined;
    try {
      const port = Number((await hub.next((l) => l.startsWith("READY"))).split(" ")[1]);
      for (const kind of ["ws", "wsb", "sse"] as const) {
        loadProc = spawn([
          "--role",
          "load",
          "--port",
          String(port),
          "--kind",
          kind,
          "--subscribers",
          String(N),
          "--messages",
          String(M),
        ]);
        await loadProc.next((l) => l === "READY");
        const before = cpuMs(hub.child.pid);
        const writer = loadProc.child.stdin.getWriter();
        await writer.write(new TextEncoder().encode("go\n"));
        await loadProc.next((l) => l === "DONE");
        const after = cpuMs(hub.child.pid);
        results[kind].push(((after - before) * 1000) / (N * M));
        await writer.close().catch(() => {});
        await loadProc.child.status;
        loadProc = undefined;
      }
    } finally {
      // Only the processes this run started, by their handle.
      try {
        loadProc?.child.kill("SIGKILL");
      } catch { /* exited */ }
      hub.child.kill("SIGTERM");
      await hub.child.status;
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ws = median(results.ws);
  const wsb = median(results.wsb);
  const sse = median(results.sse);
  console.log(`subscribers ${N}, publications ${M}, rounds ${rounds} (hub on the Deno transport)`);
  console.log("| Subscriber | hub CPU per delivery (us, median) | runs |");
  console.log("| --- | --- | --- |");
  console.log(
    `| WebSocket (realtime.v1) | ${ws.toFixed(2)} | ${
      results.ws.map((x) => x.toFixed(2)).join(", ")
    } |`,
  );
  console.log(
    `| WebSocket (realtime.v1.batch) | ${wsb.toFixed(2)} | ${
      results.wsb.map((x) => x.toFixed(2)).join(", ")
    } |`,
  );
  console.log(`| SSE | ${sse.toFixed(2)} | ${results.sse.map((x) => x.toFixed(2)).join(", ")} |`);
  console.log(
    `SSE / WebSocket: ${(sse / ws).toFixed(2)}x unbatched, ${(sse / wsb).toFixed(2)}x batched`,
  );
}
