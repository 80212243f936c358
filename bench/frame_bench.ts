/**
 * Frame parsing micro-benchmarks: `parseClientFrame` on the frames the hub
 * receives in the throughput scenarios, and on a malformed one.
 *
 * Run: `deno bench --allow-env bench/frame_bench.ts`.
 *
 * @module
 */

import { DEFAULT_FRAME_LIMITS, parseClientFrame } from "../src/protocol/mod.ts";
import { ITERATIONS } from "./_micro.ts";

const pad = "x".repeat(56);
const publish = JSON.stringify({
  type: "publish",
  id: 1234,
  topic: "bench:fanout",
  payload: { seq: 1234, t: 1732400000000.123, pad },
});
const subscribe = JSON.stringify({ type: "subscribe", id: 7, topic: "room:u42" });
let sink: unknown;

Deno.bench({
  name: `parseClientFrame publish (${publish.length} B)`,
  group: "frame",
  ...ITERATIONS,
  fn: () => {
    sink = parseClientFrame(publish, DEFAULT_FRAME_LIMITS);
  },
});

Deno.bench({
  name: "parseClientFrame subscribe",
  group: "frame",
  ...ITERATIONS,
  fn: () => {
    sink = parseClientFrame(subscribe, DEFAULT_FRAME_LIMITS);
  },
});

Deno.bench({
  name: "JSON.parse publish (floor)",
  group: "frame",
  ...ITERATIONS,
  fn: () => {
    sink = JSON.parse(publish);
  },
});

Deno.bench({
  name: "parseClientFrame malformed JSON",
  group: "frame",
  ...ITERATIONS,
  fn: () => {
    sink = parseClientFrame('{"type":"publish","topic":', DEFAULT_FRAME_LIMITS);
  },
});

globalThis.addEventListener("unload", () => void sink);
