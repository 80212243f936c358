import assert from "node:assert/strict";
import { compileHistoryPolicy } from "../../src/engine/history_policy.ts";

Deno.test("compileHistoryPolicy picks the first matching rule", () => {
  const policy = compileHistoryPolicy([
    { pattern: "chat:vip:*", size: 1000, ttlMs: 60_000 },
    { pattern: "chat:**", size: 100, ttlMs: 300_000 },
    { pattern: "chat:vip:x", size: 5, ttlMs: 1 }, // shadowed by the first rule
    { pattern: "audit:off", size: 0, ttlMs: 1 },
    { pattern: "audit:*", size: 10, ttlMs: 1 },
  ]);
  const table: [string, number | undefined][] = [
    ["chat:vip:x", 1000],
    ["chat:lobby", 100],
    ["chat:a:b:c", 100],
    ["chat", undefined],
    ["audit:off", undefined],
    ["audit:on", 10],
    ["news:today", undefined],
  ];
  for (const [topic, size] of table) {
    assert.equal(policy(topic)?.size, size, topic);
    assert.equal(policy(topic)?.size, size, `${topic} (memoized)`);
  }
});

Deno.test("compileHistoryPolicy without rules keeps no history", () => {
  const policy = compileHistoryPolicy([]);
  assert.equal(policy("chat:lobby"), undefined);
});

Deno.test("compileHistoryPolicy rejects bad rules with the value seen", () => {
  const table: [unknown, RegExp][] = [
    [{ pattern: "ch*", size: 1, ttlMs: 1 }, /Invalid history rule 0: Invalid pattern 'ch\*'/],
    [
      { pattern: "chat:*", size: -1, ttlMs: 1 },
      /'size' must be an integer from 0 to 100000, got -1/,
    ],
    [{ pattern: "chat:*", size: 1.5, ttlMs: 1 }, /got 1.5/],
    [{ pattern: "chat:*", size: 1, ttlMs: 0 }, /'ttlMs' must be an integer from 1 to \d+, got 0/],
    [{ pattern: "chat:*", size: 1, ttlMs: Infinity }, /got Infinity/],
    [null, /expected an object, got null/],
  ];
  for (const [rule, message] of table) {
    assert.throws(() => compileHistoryPolicy([rule as never]), message);
  }
  assert.throws(() => compileHistoryPolicy("chat:*" as never), TypeError);
});

Deno.test("compileHistoryPolicy memo stays bounded over many topics", () => {
  const policy = compileHistoryPolicy([{ pattern: "t:*", size: 1, ttlMs: 1 }]);
  for (let i = 0; i < 25_000; i++) assert.equal(policy(`t:${i}`)?.size, 1);
  assert.equal(policy("u:1"), undefined);
});
