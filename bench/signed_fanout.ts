/**
 * Fan-out of signed publications against unsigned ones, in the same run: a
 * real hub on 127.0.0.1 with 100 subscribers on one topic; each iteration
 * publishes one message and waits until every subscriber received it. The
 * hub verifies each signed publication once (not once per subscriber), so
 * the signed cost over the unsigned one should be about one verification
 * plus the longer frame, not a hundred verifications.
 *
 * In the same run it times one hub-side verification of each algorithm
 * alone, to compare with the difference. Everything runs in one process
 * (hub and sockets), so the absolute times include the subscribers' side;
 * the differences are what signing adds. Bounded: `ROUNDS` x `PER_ROUND`
 * publications per variant, each waited for at most 5 s.
 *
 * Run: `deno run --allow-env --allow-net=127.0.0.1 bench/signed_fanout.ts`
 * (`BENCH_QUICK=1` for a shorter run).
 *
 * @module
 */

import { createHub } from "../mod.ts";
import { serve } from "../src/server/mod.ts";
import { generateKeyPair, mintToken } from "../src/auth/mod.ts";
import { createPublicationSigner, createPublicationVerifier } from "../src/signing/mod.ts";
import { BENCH_LIMITS, BENCH_SECRET } from "./_config.ts";

const SUBSCRIBERS = 100;
const PAYLOAD = { bid: 1.0812, ask: 1.0814, venue: "ecb", ts: 1_700_000_000_000 };
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const ROUNDS = QUICK ? 3 : 5;
const PER_ROUND = QUICK ? 200 : 1_000;
const WARMUP = 100;
const POOL = WARMUP + ROUNDS * PER_ROUND;
const WAIT_MS = 5_000;

const es = await generateKeyPair("ES256");
if (es.kind !== "pair") throw new TypeError("Expected an ES256 key pair");
const hub = createHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: {
    rules: [
      { effect: "allow", actions: ["subscribe"], topics: ["**"] },
      { effect: "allow", actions: ["publish"], topics: ["plain:*"] },
      { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: BENCH_SECRET } },
      { effect: "allow", actions: ["publish"], topics: ["es:*"], signed: { keys: es.publicJwk } },
    ],
  },
  limits: BENCH_LIMITS,
  log: () => {},
});
const server = await serve(hub, { port: 0, hostname: "127.0.0.1", transport: "deno" });
const url = `ws://127.0.0.1:${server.port}/ws`;

let received = 0;
let wanted = Infinity;
let reached: (() => void) | undefined;

async function open(sub: string, onMessage?: () => void): Promise<WebSocket> {
  const token = await mintToken({ sub }, { secret: BENCH_SECRET }, { ttl: "1h" });
  const ws = new WebSocket(url, ["auth", token]);
  const welcomed = Promise.withResolvers<void>();
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data));
    if (frame.type === "welcome") welcomed.resolve();
    else if (frame.type === "message") onMessage?.();
    else if (frame.type === "error") throw new Error(`Bench hub refused: ${frame.code}`);
  };
  ws.onerror = () => welcomed.reject(new Error("Bench socket failed"));
  await welcomed.promise;
  return ws;
}

const topics = ["plain:fan", "hs:fan", "es:fan"];
const sockets: WebSocket[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const ws = await open(`s${i}`, () => {
    if (++received >= wanted) reached?.();
  });
  for (const topic of topics) ws.send(JSON.stringify({ type: "subscribe", topic }));
  sockets.push(ws);
}
const publisher = await open("publisher");
sockets.push(publisher);
while (hub.subscriptionCount < SUBSCRIBERS * topics.length) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}

// Signed before timing, each with a fresh jti, as publishers send them.
const hsSigner = createPublicationSigner(BENCH_SECRET);
const esSigner = createPublicationSigner(es.privateJwk);
const pools: Record<string, string[]> = {
  "hs:fan": await Promise.all(Array.from({ length: POOL }, () => hsSigner.sign("hs:fan", PAYLOAD))),
  "es:fan": await Promise.all(Array.from({ length: POOL }, () => esSigner.sign("es:fan", PAYLOAD))),
};
const used: Record<string, number> = { "hs:fan": 0, "es:fan": 0 };

/** Publishes one message and resolves once every subscriber has it (or fails after WAIT_MS). */
async function publishAndWait(topic: string): Promise<void> {
  const pool = pools[topic];
  let frame: string;
  if (pool === undefined) frame = JSON.stringify({ type: "publish", topic, payload: PAYLOAD });
  else {
    const jws = pool[used[topic]++];
    if (jws === undefined) throw new Error(`The pool of signed publications for ${topic} ran out`);
    frame = JSON.stringify({ type: "publish", topic, jws });
  }
  wanted = received + SUBSCRIBERS;
  const done = new Promise<void>((resolve) => reached = resolve);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Deliveries on ${topic} did not arrive`)), WAIT_MS);
  });
  publisher.send(frame);
  try {
    await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Mean microseconds of `count` sequential calls. */
async function time(count: number, fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return (performance.now() - started) * 1000 / count;
}

const variants = [
  ["unsigned", "plain:fan"],
  ["signed HS256", "hs:fan"],
  ["signed ES256", "es:fan"],
] as const;
const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
try {
  for (const [, topic] of variants) await time(WARMUP, () => publishAndWait(topic));
  // Interleaved rounds, so every variant sees the same machine conditions.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, topic] of variants) {
      samples.get(name)!.push(await time(PER_ROUND, () => publishAndWait(topic)));
    }
  }
  // One hub-side verification alone (fresh jti each), in the same run.
  const verifyUs: Record<string, number> = {};
  for (
    const [alg, signer, keys] of [
      ["HS256", hsSigner, BENCH_SECRET],
      ["ES256", esSigner, es.publicJwk],
    ] as const
  ) {
    const jwss = await Promise.all(Array.from({ length: PER_ROUND }, () => signer.sign("v:a", 1)));
    const verifier = createPublicationVerifier({ keys });
    let i = 0;
    verifyUs[alg] = await time(PER_ROUND, () => verifier.verify("v:a", jwss[i++]));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.get("unsigned")!);
  const out = [
    `fan-out to ${SUBSCRIBERS} subscribers, ${ROUNDS} rounds x ${PER_ROUND} publications, median of rounds`,
    "| variant | us per publication | over unsigned | us per delivery |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const [name] of variants) {
    const us = median(samples.get(name)!);
    out.push(
      `| ${name} | ${us.toFixed(0)} | ${
        us === base
          ? "-"
          : `${us >= base ? "+" : ""}${(us - base).toFixed(0)} us (x${(us / base).toFixed(2)})`
      } | ${(us / SUBSCRIBERS).toFixed(2)} |`,
    );
  }
  out.push(
    "",
    `one hub verification alone: HS256 ${verifyUs.HS256.toFixed(1)} us, ES256 ${
      verifyUs.ES256.toFixed(1)
    } us ` +
      `(x${SUBSCRIBERS}, as verifying per subscriber would cost: ${
        (verifyUs.HS256 * SUBSCRIBERS).toFixed(0)
      } / ${(verifyUs.ES256 * SUBSCRIBERS).toFixed(0)} us)`,
  );
  // deno-lint-ignore no-console
  console.log(out.join("\n"));
} finally {
  for (const ws of sockets) ws.close();
  await hub.close();
  await server.close();
}
