// The console's pure parts, by table: history points, sparklines, the SSE parser.

import assert from "node:assert/strict";
import { nextPoint, type Sample } from "../../../src/admin/console/_sample.ts";
import { sparklinePath } from "../../../src/admin/console/sparkline.ts";
import { createSseParser, type ServerSentEvent } from "../../../src/admin/console/sse.ts";

const base: Sample = {
  at: 10_000,
  connections: 3,
  users: 2,
  topics: 1,
  subscriptions: 4,
  messagesIn: 100,
  messagesOut: 1000,
};

Deno.test("nextPoint computes rates from the previous sample, null after a gap", () => {
  const cases: [string, Sample | undefined, Sample, number | null, number | null][] = [
    ["first sample", undefined, base, null, null],
    [
      "one second later",
      base,
      { ...base, at: 11_000, messagesIn: 150, messagesOut: 1500 },
      50,
      500,
    ],
    ["half a second later", base, { ...base, at: 10_500, messagesIn: 110 }, 20, 0],
    ["after a gap (nobody watched)", base, { ...base, at: 13_000, messagesIn: 400 }, null, null],
    [
      "a counter that went back (never negative)",
      base,
      { ...base, at: 11_000, messagesIn: 0 },
      0,
      0,
    ],
  ];
  for (const [name, previous, now, rateIn, rateOut] of cases) {
    const point = nextPoint(previous, now, 1000);
    assert.equal(point.messagesInPerSecond, rateIn, name);
    assert.equal(point.messagesOutPerSecond, rateOut, name);
    assert.equal(point.connections, now.connections, name);
  }
});

Deno.test("sparklinePath scales, leaves gaps and grows from the right", () => {
  const cases: [string, (number | null)[], Parameters<typeof sparklinePath>[1], string][] = [
    ["empty", [], {}, ""],
    ["one point", [5], { width: 10, height: 10 }, "M0 0"],
    ["flat zero along the bottom", [0, 0], { width: 10, height: 10 }, "M0 10L10 10"],
    ["rising", [0, 5, 10], { width: 10, height: 10 }, "M0 10L5 5L10 0"],
    ["gap", [1, null, 1], { width: 2, height: 2 }, "M0 0M2 0"],
    ["right-aligned in a wider span", [1, 1], { width: 10, height: 4, span: 3 }, "M5 0L10 0"],
    ["non-finite values are gaps", [1, NaN, 1], { width: 2, height: 2 }, "M0 0M2 0"],
  ];
  for (const [name, values, options, want] of cases) {
    assert.equal(sparklinePath(values, options), want, name);
  }
});

Deno.test("createSseParser joins data lines, skips comments, bounds pending text", () => {
  const got: ServerSentEvent[] = [];
  const feed = createSseParser((e) => got.push(e), 64);
  feed(": keep-alive\n\nevent: snap");
  feed('shot\ndata: {"a":\ndata: 1}\n\n');
  feed("id: 7\nretry: 5\ndata:x\n\n\n");
  assert.deepEqual(got, [
    { event: "snapshot", data: '{"a":\n1}' },
    { event: "message", data: "x" },
  ]);
  assert.throws(() => feed("data: " + "y".repeat(100)), RangeError);
});
