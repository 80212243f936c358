// The load generator: one process, run pinned to its own core by
// bench/run.ts. Usage: node main.mjs <config.json>. It runs one scenario
// (./<scenario>.mjs) against one peer and talks to the orchestrator over
// stdio: `MARK <name>` lines, each answered by one stdin line once the
// orchestrator sampled the server's /proc, then one `RESULT <json>` line.
import { readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { connect, publisherProtocol } from "./clients.mjs";

// Exit normally when the orchestrator stops us, so --cpu-prof can write its profile.
process.on("SIGTERM", () => process.exit(0));

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const tokens = config.tokensFile ? JSON.parse(readFileSync(config.tokensFile, "utf8")) : [];
const stats = { errors: 0 };
const answers = createInterface({ input: process.stdin })
  [Symbol.asyncIterator]();
const deadline = performance.now() + config.timeoutMs;
const opened = [];

const context = {
  params: config.params,
  setupConcurrency: config.setupConcurrency,
  stats,
  /** Milliseconds left before the scenario must give up. */
  remainingMs: () => deadline - performance.now(),
  /** Opens connection `index` (its own token and user `u<index>` on the hub; server `index mod n` of `urls`). */
  connect: (index) => open(config.protocol, index),
  /**
   * Opens connection `index` for a publisher: the peer's protocol, or the
   * WebSocket protocol that publishes for a receive-only one (SSE).
   */
  connectPublisher: (index) => open(publisherProtocol(config.protocol), index),
  /** Lets the orchestrator sample the server's CPU and memory now. */
  async mark(name) {
    process.stdout.write(`MARK ${name}\n`);
    await answers.next();
  },
  pool,
  subscribed,
  waitFor,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

async function open(protocol, index) {
  // Several servers (scale-out): connection i goes to server i mod n.
  const url = config.urls === undefined ? config.url : config.urls[index % config.urls.length];
  const client = await connect(protocol, url, tokens[index], stats);
  opened.push(client);
  return client;
}

/**
 * Runs `fn(0..count-1)` with at most `concurrency` in flight, within the deadline.
 * @returns {Promise<{values: any[], failed: number, firstError: string | undefined}>}
 */
async function pool(count, concurrency, fn) {
  const values = new Array(count);
  let next = 0;
  let failed = 0;
  let firstError;
  async function worker() {
    while (next < count && context.remainingMs() > 0) {
      const index = next++;
      try {
        values[index] = await fn(index);
      } catch (error) {
        failed++;
        firstError ??= String(error?.message ?? error);
      }
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, worker),
  );
  failed += count - Math.min(next, count); // never attempted: the deadline passed
  return { values, failed, firstError };
}

/**
 * Opens `count` clients (indexes 0..count-1), each subscribed to `topicOf(i)`.
 * @returns {Promise<{clients: any[]} | {failed: string}>}
 */
async function subscribed(count, topicOf) {
  const setup = await pool(count, context.setupConcurrency, async (i) => {
    const client = await context.connect(i);
    await client.subscribe(topicOf(i));
    return client;
  });
  if (setup.failed > 0) {
    return {
      failed: `${setup.failed} connections failed: ${setup.firstError}`,
    };
  }
  return { clients: setup.values };
}

/** Resolves `true` when `done()` holds, `false` when `ms` passed first; polls every 5 ms. */
function waitFor(done, ms) {
  const until = performance.now() + Math.min(ms, context.remainingMs());
  return new Promise((resolve) => {
    const check = () => {
      if (done()) return resolve(true);
      if (performance.now() >= until) return resolve(false);
      setTimeout(check, 5);
    };
    check();
  });
}

let result;
try {
  const scenario = await import(`./${config.scenario}.mjs`);
  result = await scenario.run(context);
} catch (error) {
  result = { failed: String(error?.stack ?? error) };
}
result.errorFrames = stats.errors;
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
for (const client of opened) client.close();
setTimeout(() => process.exit(0), 100);
