import assert from "node:assert/strict";
import { matchPattern } from "../../src/topic/pattern.ts";
import { PatternIndex } from "../../src/hub/_pattern_index.ts";
import { createRegistry } from "../../src/hub/registry.ts";
import { pick, prng } from "../acl/_helpers.ts";

const ALPHABET = ["a", "b", "c"];
const MAX_PATTERN_SEGMENTS = 4;
// A pattern of at most 4 segments shows every difference on topics of at most 6.
const MAX_TOPIC_SEGMENTS = MAX_PATTERN_SEGMENTS + 2;

function randomPattern(random: () => number): string {
  const n = 1 + Math.floor(random() * MAX_PATTERN_SEGMENTS);
  const segments = Array.from({ length: n }, () => pick(random, [...ALPHABET, "*", "*"]));
  if (random() < 0.35) segments[n - 1] = "**";
  return segments.join(":");
}

function randomTopic(random: () => number): string {
  const n = 1 + Math.floor(random() * MAX_TOPIC_SEGMENTS);
  return Array.from({ length: n }, () => pick(random, ALPHABET)).join(":");
}

/** The plain scan the index replaces: matchPattern over every held pattern. */
function scan(patterns: Iterable<string>, topic: string): string[] {
  return [...patterns].filter((p) => matchPattern(p, topic)).sort();
}

function indexed(index: PatternIndex, topic: string): string[] {
  const out: string[] = [];
  index.forEachMatch(topic.split(":"), (p) => out.push(p));
  return out.sort();
}

Deno.test("PatternIndex finds what a plain scan finds over random patterns, adds and deletes", () => {
  const random = prng(12);
  let matches = 0;
  for (let round = 0; round < 200; round++) {
    const index = new PatternIndex();
    const held = new Set<string>();
    for (let step = 0; step < 60; step++) {
      const pattern = randomPattern(random);
      if (random() < 0.3) {
        assert.equal(index.delete(pattern), held.delete(pattern), `delete ${pattern}`);
      } else {
        assert.equal(index.add(pattern), !held.has(pattern), `add ${pattern}`);
        held.add(pattern);
      }
      assert.equal(index.size, held.size);
      const topic = randomTopic(random);
      const expected = scan(held, topic);
      matches += expected.length;
      assert.deepEqual(indexed(index, topic), expected, `${topic} against ${[...held]}`);
    }
  }
  assert.ok(matches > 2_000, `too few matches to be a test: ${matches}`);
});

Deno.test("PatternIndex deletes every pattern down to an empty trie", () => {
  const random = prng(99);
  const index = new PatternIndex();
  const held = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const pattern = randomPattern(random);
    index.add(pattern);
    held.add(pattern);
  }
  for (const pattern of held) assert.equal(index.delete(pattern), true);
  assert.equal(index.size, 0);
  for (const pattern of held) assert.equal(index.add(pattern), true, `re-add ${pattern}`);
  assert.deepEqual(indexed(index, "a:b"), scan(held, "a:b"));
  // A deleted pattern's branch is pruned: the walk no longer enters it.
  const pruned = new PatternIndex();
  pruned.add("x:*");
  pruned.add("a:*:c:**");
  assert.equal(pruned.forEachMatch(["a", "b", "c", "d"], () => {}), 4); // root, a, a:*, a:*:c
  pruned.delete("a:*:c:**");
  assert.equal(pruned.forEachMatch(["a", "b", "c", "d"], () => {}), 1);
});

Deno.test("createRegistry delivers a publication once per subscriber, as a plain scan decides", () => {
  const random = prng(2026);
  for (let round = 0; round < 50; round++) {
    const registry = createRegistry<{ id: number; send(): void }>({ onFirst() {}, onLast() {} });
    const subscribers = Array.from({ length: 5 }, (_, id) => ({ id, send() {} }));
    const subscribed = new Map<string, Set<number>>();
    for (let step = 0; step < 40; step++) {
      const s = pick(random, subscribers);
      const key = random() < 0.7 ? randomPattern(random) : randomTopic(random);
      const ids = subscribed.get(key) ?? new Set();
      if (random() < 0.25) {
        registry.remove(key, s);
        ids.delete(s.id);
      } else {
        registry.add(key, s);
        ids.add(s.id);
      }
      subscribed.set(key, ids);
    }
    for (let t = 0; t < 40; t++) {
      const topic = randomTopic(random);
      const expected = new Set<number>();
      for (const [key, ids] of subscribed) {
        if (key === topic || matchPattern(key, topic)) { for (const id of ids) expected.add(id); }
      }
      const got: number[] = [];
      registry.forEach(topic, (s) => got.push(s.id));
      assert.deepEqual(got.sort(), [...expected].sort(), topic);
    }
  }
});

Deno.test("PatternIndex costs a publication its matching prefixes, not the patterns held", () => {
  const index = new PatternIndex();
  // The shape: one user allowed `m:**` holding 20,000 distinct patterns.
  for (let i = 0; i < 20_000; i++) {
    index.add(i % 2 === 0 ? `m:${i}:*` : `m:*:${i}`);
  }
  const found: string[] = [];
  // An unrelated topic: only the root is visited.
  assert.equal(index.forEachMatch(["news", "x"], (p) => found.push(p)), 1);
  // A topic under `m:`: root, `m`, `m:42` and `m:*`, then the leaves reached through them.
  assert.equal(index.forEachMatch(["m", "42", "43"], (p) => found.push(p)), 6);
  assert.deepEqual(found.sort(), ["m:*:43", "m:42:*"]);
});
