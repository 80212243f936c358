// deno-lint-ignore-file no-console
/**
 * The hub's own CPU per publish frame, without sockets: one publisher that
 * does not batch (`realtime.v1`, no `id`: fire and forget) publishes one
 * frame to each of 1,000 topics with one subscriber each, as in the
 * `fire_and_forget` scenario of `deno task bench`; an iteration is those
 * 1,000 frames, from `message` to the subscribers' sockets (rate bucket,
 * parse, ACL decision, engine, fan-out, encoding, the end-of-turn write).
 * The hub is composed on a runtime whose end-of-turn flush runs when the
 * iteration asks; its sockets only count what they are given, so Deno's own
 * WebSocket work (reading, writing, events) is not in it: the scenario
 * measures that, on a busy machine far more noisily than this.
 *
 * Measured as CPU time of this process (`process.cpuUsage`) over short
 * rounds, not wall time. Given a second checkout's root, both hubs run in
 * this one process, round by round in turn, and the report pairs round k of
 * one with round k of the other: a busy spell of the machine weighs on both.
 *
 * With `--stomp`, every connection speaks STOMP 1.2 (`v12.stomp`, the token
 * as CONNECT's `passcode`) instead, as `hub-deno-stomp` does: each publish
 * is a `SEND` without a receipt, with `content-type:application/json`, and
 * the subscribers get `MESSAGE` frames.
 *
 * With `--bare`, the loop of the `bare-deno` peer runs beside them, on the
 * same publications as protocol v1 frames, the only ones it reads (with
 * `--stomp` too: the scenario compares `hub-deno-stomp` with `bare-deno`);
 * see {@linkcode barePath}.
 *
 * Run: `deno run --allow-env --allow-read bench/publish_path.ts [--stomp] [--bare] [--base /path/to/other/checkout]`.
 *
 * @module
 */

import process from "node:process";
import type { HubSocket, SocketHandler, UpgradeTarget } from "../src/hub/transport.ts";
import { mintToken } from "../src/auth/mod.ts";
import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET, benchClaims } from "./_config.ts";
import { type BareSocket, createBareLoop } from "./servers/_bare_loop.ts";

const TOPICS = 1000;

/**
 * Composes a hub from the sources under `root` (this checkout or another),
 * opens 1,000 subscribers and the publisher, and returns one iteration.
 *
 * @param root A checkout's root directory.
 * @returns An iteration: 1,000 publish frames, then the end of the turn.
 */
export async function publishPath(root: string, stomp = false): Promise<Iteration> {
  const { composeHub } = await import(
    `${root}/src/hub/hub.ts`
  ) as typeof import("../src/hub/hub.ts");
  const turns: (() => void)[] = [];
  let target: UpgradeTarget | undefined;
  const hub = composeHub({
    auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
    acl: { rules: BENCH_RULES },
    limits: BENCH_LIMITS,
    // Each iteration ends its turn and counts what was written: a busy hub's
    // coalescing window (real time, which this does not model) would hold
    // protocol v1's writes past it whenever the next iteration began within
    // 2 ms of a flush of 64 or more writes, and the iteration would fail.
    coalesceMs: 0,
    log: () => {},
  }, {
    upgrade: (t) => {
      target = t;
      return Promise.resolve(new Response(null, { status: 501 }));
    },
    schedule: (fn) => turns.push(fn),
  });
  await hub.upgrade(new Request("http://127.0.0.1/ws"));
  let delivered = 0;
  const socket = (count: boolean): HubSocket => ({
    send: count ? () => delivered++ : () => {},
    close: () => {},
    bufferedAmount: 0,
  });
  const secret = new TextEncoder().encode(BENCH_SECRET);
  async function open(i: number, count: boolean): Promise<SocketHandler> {
    const token = await mintToken(benchClaims(`u${i}`), { secret }, { ttl: "2h" });
    const admission = await target!.admit(
      new Request("http://127.0.0.1/ws", {
        headers: {
          upgrade: "websocket",
          connection: "upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "sec-websocket-protocol": stomp ? "v12.stomp" : `realtime.v1, auth, ${token}`,
        },
      }),
      { remoteAddr: "127.0.0.1", transport: "bench" },
    );
    if (!admission.ok) throw new Error(`Refused: ${admission.response.status}`);
    const handler = target!.connect(socket(count), admission);
    handler.open();
    if (stomp) handler.message(`CONNECT\naccept-version:1.2\nhost:hub\npasscode:${token}\n\n\0`);
    return handler;
  }
  const topics = Array.from({ length: TOPICS }, (_, i) => `bench:t${i}`);
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (turns.length > 0) turns.shift()!();
    }
  };
  if (stomp) {
    // A STOMP client subscribes once CONNECTED, after its token is checked.
    const subscribers = [];
    for (let i = 0; i < TOPICS; i++) subscribers.push(await open(i, true));
    await settle();
    for (let i = 0; i < TOPICS; i++) {
      subscribers[i].message(
        `SUBSCRIBE\nid:0\ndestination:/topic/${topics[i].replace(":", "/")}\n\n\0`,
      );
    }
  } else {
    for (let i = 0; i < TOPICS; i++) {
      (await open(i, true)).message(`{"type":"subscribe","id":1,"topic":"${topics[i]}"}`);
    }
  }
  const publisher = await open(TOPICS, false);
  await settle();
  const pad = "x".repeat(64);
  const destinations = topics.map((topic) => `/topic/${topic.replace(":", "/")}`);
  let seq = 0;
  const prepare = (): string[] => {
    seq++;
    // The client's work, not the hub's: made before the round's clock starts.
    const payload = `{"seq":${seq},"t":${seq * 7},"pad":"${pad}"}`;
    return stomp
      ? destinations.map((destination) =>
        flat(`SEND\ndestination:${destination}\ncontent-type:application/json\n\n${payload}\0`)
      )
      : topics.map((topic) => flat(`{"type":"publish","topic":"${topic}","payload":${payload}}`));
  };
  const run = (frames: string[]): void => {
    const before = delivered;
    for (const frame of frames) publisher.message(frame);
    while (turns.length > 0) turns.shift()!();
    if (delivered - before !== TOPICS) {
      throw new Error(`Delivered ${delivered - before} of ${TOPICS}`);
    }
  };
  return { prepare, run };
}

/**
 * The loop of `bench/servers/bare_deno.ts` (the `bare-deno` peer), its
 * `onMessage` copied here without sockets, on the same 1,000 topics with
 * one subscriber each and the same frames: the floor the issue measures
 * the hub against, in this process, so that the hub's own JavaScript per
 * frame can be read against the bare loop's (`--bare`). Deno's WebSocket
 * work, the same for both in the scenario, is in neither.
 *
 * @returns An iteration of the bare loop.
 */
export function barePath(): Iteration {
  type Socket = BareSocket;
  let delivered = 0;
  const { onMessage } = createBareLoop<Socket>();
  const names = Array.from({ length: TOPICS }, (_, i) => `bench:t${i}`);
  for (const topic of names) {
    onMessage(
      { send: () => delivered++ },
      new Set(),
      `{"type":"subscribe","id":1,"topic":"${topic}"}`,
    );
  }
  delivered = 0;
  const publisher: Socket = { send: () => {} };
  const subscribed = new Set<string>();
  const pad = "x".repeat(64);
  let seq = 0;
  return {
    prepare() {
      seq++;
      const payload = `{"seq":${seq},"t":${seq * 7},"pad":"${pad}"}`;
      return names.map((topic) =>
        flat(`{"type":"publish","topic":"${topic}","payload":${payload}}`)
      );
    },
    run(frames) {
      const before = delivered;
      for (const frame of frames) onMessage(publisher, subscribed, frame);
      if (delivered - before !== TOPICS) {
        throw new Error(`Delivered ${delivered - before} of ${TOPICS}`);
      }
    },
  };
}

/** One iteration: its frames are made by `prepare`, then given to the hub by `run`. */
export interface Iteration {
  /** The client's work: the 1,000 frames of one iteration, as a socket gives them. */
  prepare(): string[];
  /** The hub's work: 1,000 publish frames, then the end of the turn. */
  run(frames: string[]): void;
}

/**
 * The text as a socket gives it: decoded from its UTF-8 bytes into one flat
 * string. A string built by concatenation is a rope, which the hub's first
 * reads would flatten, many times slower than a socket's text: that is the
 * client's cost, not the hub's.
 */
function flat(text: string): string {
  return DECODER.decode(ENCODER.encode(text));
}
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** This process's CPU time (user + system), microseconds. */
function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * CPU microseconds per publish frame over one round of `iterations`. Each
 * iteration's frames are made just before it, outside the measured time:
 * building and decoding them cost about a quarter of what the hub does with
 * them, and are the client's work. Made for the whole round at once, they
 * would outlive young-generation collections and be copied by them, in the
 * measured time.
 */
async function round(iteration: Iteration, iterations: number): Promise<number> {
  let spent = 0;
  for (let i = 0; i < iterations; i++) {
    const frames = iteration.prepare();
    const start = cpuUs();
    iteration.run(frames);
    // The turn ends: the hub's promise reactions run, as between socket reads.
    await Promise.resolve();
    spent += cpuUs() - start;
  }
  return spent / (iterations * TOPICS);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--base");
  const base = at < 0 ? undefined : Deno.args[at + 1];
  const stomp = Deno.args.includes("--stomp");
  const rounds = Number(Deno.env.get("ROUNDS") ?? 40);
  const iterations = 20;
  const here = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const subjects = [{ name: "this checkout", run: await publishPath(here, stomp) }];
  if (base !== undefined) subjects.push({ name: base, run: await publishPath(base, stomp) });
  if (Deno.args.includes("--bare")) subjects.push({ name: "bare loop", run: barePath() });
  for (const { run } of subjects) await round(run, 50); // warm-up: compiled, caches filled
  const perPublish = subjects.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    // Which goes first alternates: the first of a pair ran ~5 % slower in an A/A test.
    for (let i = 0; i < subjects.length; i++) {
      const s = (i + r) % subjects.length;
      perPublish[s].push(await round(subjects[s].run, iterations));
    }
  }
  const lines = subjects.map(({ name }, s) =>
    `${name}: ${median(perPublish[s]).toFixed(2)} us CPU per publish frame (median of ${rounds} ` +
    `rounds of ${iterations * TOPICS}, min ${Math.min(...perPublish[s]).toFixed(2)})`
  );
  for (let s = 1; s < subjects.length; s++) {
    const ratios = perPublish[0].map((v, r) => v / perPublish[s][r]);
    lines.push(
      `this checkout / ${subjects[s].name}, round by round: median ${median(ratios).toFixed(3)} ` +
        `(${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
    );
  }
  console.log(lines.join("\n"));
  Deno.exit(0);
}
