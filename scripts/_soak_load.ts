// deno-lint-ignore-file no-console
// The load side of `deno task soak`, run as its own process so that it does
// not compete with the hub for its thread. scripts/soak.ts starts it and talks
// to it in JSON lines: the first stdin line is the job (the token travels here,
// never in argv or the environment); stdout carries progress and the result.
//
// Roles:
// - "stable": opens `count` connections, subscribes each to soak:stable, says
//   {"ready":true}; then on the stdin line {"finish":N} waits (bounded) until
//   every connection has N messages, closes them all and reports what it got.
// - "churn": `count` workers connect, subscribe, publish and close in a loop
//   until `seconds` have passed, then report.
//
// Every socket this process opens is in `live` until its close event fires or
// its close() returns on a failure path; the result reports how many were
// still open at the end (must be 0), so a leak shows up on the side it is on.

interface Job {
  role: "stable" | "churn";
  url: string;
  token: string;
  count: number;
  seconds: number;
  /** Connect (and subscribe) timeout in milliseconds. */
  timeoutMs: number;
}

const live = new Set<WebSocket>();
const encoder = new TextEncoder();

function emit(value: unknown): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
}

/** Closes a socket whatever its state, and waits (bounded) for its close event. */
function release(ws: WebSocket, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      live.delete(ws);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    if (ws.readyState === WebSocket.CLOSED) return done();
    ws.addEventListener("close", done, { once: true });
    try {
      ws.close();
    } catch {
      // already closing
    }
  });
}

/** Opens an authenticated connection; on any failure the socket is released first. */
function open(job: Job): Promise<WebSocket> {
  const ws = new WebSocket(job.url, ["realtime.v1", "auth", job.token]);
  live.add(ws);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      ws.onmessage = ws.onerror = null;
      release(ws).then(() => reject(new Error(why)));
    };
    const timer = setTimeout(() => fail("connect timeout"), job.timeoutMs);
    ws.onmessage = (e) => {
      if (JSON.parse(String(e.data).split("\n")[0]).type === "welcome") {
        clearTimeout(timer);
        ws.onerror = null;
        resolve(ws);
      }
    };
    ws.onerror = () => fail("connect failed");
    ws.addEventListener("close", () => live.delete(ws), { once: true });
  });
}

async function* readLines(): AsyncGenerator<string> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
}

async function stable(job: Job, input: AsyncIterator<string>): Promise<void> {
  const received: number[] = [];
  const sockets: WebSocket[] = [];
  let errors = 0;
  for (let i = 0; i < job.count; i += 100) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(100, job.count - i) }, () => open(job)),
    );
    const subscribed = batch.map((result) => {
      if (result.status === "rejected") {
        errors++;
        return;
      }
      const ws = result.value;
      const index = received.push(0) - 1;
      sockets.push(ws);
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          errors++;
          resolve();
        }, job.timeoutMs);
        ws.onmessage = (e) => {
          for (const line of String(e.data).split("\n")) {
            if (line === "") continue;
            const frame = JSON.parse(line);
            if (frame.type === "message") received[index]++;
            else if (frame.type === "ack" && frame.id === 1) {
              clearTimeout(timer);
              resolve();
            }
          }
        };
        ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: "soak:stable" }));
      });
    });
    await Promise.all(subscribed);
  }
  emit({ ready: true, connected: sockets.length, errors });
  const next = await input.next();
  const published = next.done ? 0 : Number(JSON.parse(next.value).finish);
  const settle = Date.now() + 10_000;
  while (received.some((n) => n < published) && Date.now() < settle) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const lost = received.reduce((sum, n) => sum + Math.max(0, published - n), 0) +
    (job.count - sockets.length) * published;
  await Promise.all(sockets.map((ws) => release(ws)));
  emit({ role: "stable", connected: sockets.length, errors, lost, open: live.size });
}

async function churn(job: Job): Promise<void> {
  const deadline = Date.now() + job.seconds * 1000;
  let churned = 0;
  let errors = 0;
  const connectMs: number[] = [];
  const worker = async (n: number) => {
    const topic = `soak:room${n % 50}`;
    while (Date.now() < deadline) {
      try {
        const started = performance.now();
        const ws = await open(job);
        connectMs.push(performance.now() - started);
        ws.send(JSON.stringify({ type: "subscribe", id: 1, topic }));
        ws.send(JSON.stringify({ type: "publish", id: 2, topic, payload: { n } }));
        await release(ws);
        churned++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.count }, (_, n) => worker(n)));
  connectMs.sort((a, b) => a - b);
  const at = (q: number) => Math.round(connectMs[Math.floor(q * (connectMs.length - 1))] ?? 0);
  emit({ role: "churn", churned, errors, open: live.size, p99: at(0.99), max: at(1) });
}

const input = readLines();
const first = await input.next();
if (first.done) throw new Error("No job on stdin");
const job: Job = JSON.parse(first.value);
if (job.role === "stable") await stable(job, input);
else await churn(job);
console.error(`soak load (${job.role}): done`);
