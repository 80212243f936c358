// bench/cpu_profile.ts: a `.cpuprofile` read by self time, by category, within the phase a function marks.

import assert from "node:assert/strict";
import { categoryOf, type CpuProfile, summarizeProfile } from "../../bench/cpu_profile.ts";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });

/** 20 samples of connection set-up, then 100 of `deliver` under `onPublication`, 10 us apart. */
function profile(): CpuProfile {
  const nodes = [
    { id: 1, callFrame: frame("(root)"), children: [2, 3, 5] },
    { id: 2, callFrame: frame("upgrade", "file:///w/src/server/deno_adapter.ts") },
    { id: 3, callFrame: frame("onPublication", "file:///w/src/hub/fanout.ts"), children: [4] },
    { id: 4, callFrame: frame("encode", "file:///w/src/hub/codec/v1.ts") },
    { id: 5, callFrame: frame("(garbage collector)") },
  ];
  const samples = [
    ...Array(20).fill(2),
    ...Array.from({ length: 100 }, (_, i) => i % 10 === 9 ? 5 : 4),
  ];
  return { nodes, startTime: 0, samples, timeDeltas: samples.map(() => 10) };
}

Deno.test("summarizeProfile sums self time by category and by function over the whole profile", () => {
  const { categories, functions } = summarizeProfile(profile());
  // The last sample has no next one to end it: it is not counted.
  assert.equal(categories.get("hub: server"), 200);
  assert.equal(categories.get("hub: hub"), 900);
  assert.equal(categories.get("GC (main thread)"), 90);
  assert.equal(functions.get("encode src/hub/codec/v1.ts:1"), 900);
});

Deno.test("summarizeProfile with a window keeps the phase its function marks, scaled to the whole phase", () => {
  const { categories } = summarizeProfile(profile(), "onPublication");
  assert.equal(categories.get("hub: server"), undefined);
  const phase = (categories.get("hub: hub") ?? 0) + (categories.get("GC (main thread)") ?? 0);
  // 90 % of the phase's 1,000 us is kept, then scaled back up.
  assert.ok(Math.abs(phase - 1000) <= 20, `phase ${phase}`);
  assert.throws(() => summarizeProfile(profile(), "missing"), /No sample has 'missing'/);
});

Deno.test("categoryOf names the hub's directories, Deno's parts and ops, and leaves idle out", () => {
  assert.equal(categoryOf("parseClientFrame", "file:///w/src/protocol/parse.ts"), "hub: protocol");
  assert.equal(
    categoryOf("onMessage", "file:///w/bench/servers/_bare_loop.ts"),
    "bench (bare loops)",
  );
  assert.equal(categoryOf("createTimer", "ext:core/02_timers.js"), "Deno timers");
  assert.equal(
    categoryOf("MessageEvent", "ext:deno_web/02_event.js"),
    "Deno WebSocket, HTTP, events",
  );
  assert.equal(categoryOf("op_ws_next_event", ""), "op: op_ws_next_event");
  assert.equal(categoryOf("(idle)", ""), undefined);
});
