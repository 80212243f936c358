/**
 * What one in-process handler call costs the hub, beside the handler itself:
 * `HandlerCalls.call` with a handler that answers synchronously, one that
 * returns a resolved promise, and one that reads its abort signal, each
 * awaited as the session does. The handler is trivial, so the numbers are
 * the hub's bookkeeping (limits, time limit, abort signal, metrics).
 *
 * Run: `deno bench --allow-env bench/handler_calls_bench.ts`.
 *
 * @module
 */

import { HandlerCalls } from "../src/hub/_handler_calls.ts";
import { systemClock } from "../src/hub/clock.ts";
import { createDeadlines } from "../src/hub/_deadlines.ts";
import { DEFAULT_HANDLER_LIMITS } from "../src/hub/handlers.ts";
import { createHubMetrics } from "../src/hub/metrics.ts";
import { ITERATIONS } from "./_micro.ts";

const deadlines = createDeadlines(systemClock);
const calls = new HandlerCalls({
  limits: { ...DEFAULT_HANDLER_LIMITS },
  clock: systemClock,
  deadlines,
  metrics: createHubMetrics(),
  log() {},
});
const owner = {};
const slot = calls.slotOf(owner);
const payload = { seq: 1, text: "hello" };
let sink: unknown;

Deno.bench({
  name: "handler call, synchronous result",
  group: "handler call",
  baseline: true,
  ...ITERATIONS,
  fn: async () => {
    sink = await calls.call("publish", slot, () => ({ payload }));
  },
});

Deno.bench({
  name: "handler call, resolved promise",
  group: "handler call",
  ...ITERATIONS,
  fn: async () => {
    sink = await calls.call("publish", slot, () => Promise.resolve({ payload }));
  },
});

Deno.bench({
  name: "handler call, reads its signal",
  group: "handler call",
  ...ITERATIONS,
  fn: async () => {
    sink = await calls.call("publish", slot, (c) => c.signal.aborted ? undefined : { payload });
  },
});

Deno.bench({
  name: "no handler (awaiting the value alone)",
  group: "handler call",
  ...ITERATIONS,
  fn: async () => {
    sink = await { payload };
  },
});

globalThis.addEventListener("unload", () => {
  deadlines.close();
  void sink;
});
