// What the memory engine's history really keeps on the heap against what its
// byte budget counts. Each case publishes well past `maxHistoryBytes`, so the
// budget evicts, then measures the heap the engine holds after a full GC.
// Before the overheads were measured, 16 MiB held 37.7 MiB of heap with
// 300,000 one-message topics (2.4x; 2.0x in the first case here).

import assert from "node:assert/strict";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";

const gc = (globalThis as { gc?: () => void }).gc;
const BUDGET = 16 * 1024 * 1024;
// Heap the engine holds beyond its counted bytes may be at most this share of
// the budget (V8's map and array growth are not exact); a budget that counts
// at least half of what it holds is close enough to size a server by.
const OVER = 1.05;
const UNDER = 0.5;
const USERS = Array.from({ length: 50 }, (_, i) => `user-${i}`);

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return Deno.memoryUsage().heapUsed;
}

interface Case {
  name: string;
  topics: number;
  perTopic: number;
  size: number;
  data: (n: number) => string;
  /** Whether the budget should count at least UNDER of what is held (not so for Latin-1 text). */
  tight: boolean;
}

const CASES: Case[] = [
  {
    name: "one small message on each of many topics",
    topics: 80_000,
    perTopic: 1,
    size: 100,
    data: (n) => `{"n":${n}}`,
    tight: true,
  },
  {
    name: "a full history on each of a thousand topics",
    topics: 1_000,
    perTopic: 150,
    size: 100,
    data: (n) => `{"text":"message number ${n}"}`,
    tight: true,
  },
  {
    name: "large messages of non-Latin text",
    topics: 2_000,
    perTopic: 10,
    size: 100,
    data: (n) => JSON.stringify({ n, text: "пример ✓ ".repeat(100) }),
    tight: true,
  },
  {
    name: "large messages of ASCII text (counted at two bytes a character)",
    topics: 2_000,
    perTopic: 10,
    size: 100,
    data: (n) => JSON.stringify({ n, text: "example ".repeat(150) }),
    tight: false,
  },
];

for (const c of CASES) {
  Deno.test({
    name: `createMemoryEngine history holds within maxHistoryBytes on the heap: ${c.name}`,
    ignore: gc === undefined,
    async fn() {
      const fill = async (maxHistoryBytes: number, topics: number) => {
        const engine = createMemoryEngine({
          history: [{ pattern: "chat:*", size: c.size, ttlMs: 3_600_000 }],
          maxHistoryBytes,
        });
        let n = 0;
        // Topic by topic, the way a burst of rooms would fill it.
        for (let t = 0; t < topics; t++) {
          const topic = `chat:room-${t}`;
          for (let i = 0; i < c.perTopic; i++, n++) {
            await engine.publish(topic, { data: c.data(n), from: USERS[n % 50], ts: Date.now() });
          }
        }
        return engine;
      };
      // A small run first, so that code and caches made on first use are not counted.
      await (await fill(BUDGET / 16, c.topics / 16)).close();
      const before = heapUsed();
      const engine = await fill(BUDGET, c.topics);
      const held = heapUsed() - before;
      await engine.close();
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      assert.ok(held <= BUDGET * OVER, `${mib(held)} held for a budget of ${mib(BUDGET)}`);
      if (c.tight) {
        assert.ok(held >= BUDGET * UNDER, `only ${mib(held)} held for a budget of ${mib(BUDGET)}`);
      }
    },
  });
}
