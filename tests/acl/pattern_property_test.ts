import assert from "node:assert/strict";
import { matchPattern, patternContains, patternsOverlap } from "../../src/topic/pattern.ts";
import { pick, prng } from "./_helpers.ts";

const ALPHABET = ["a", "b"];
const MAX_PATTERN_SEGMENTS = 3;
// Any difference between patterns of at most 3 segments shows on topics of at most 5.
const MAX_TOPIC_SEGMENTS = MAX_PATTERN_SEGMENTS + 2;

function allTopics(): string[][] {
  const out: string[][] = [];
  let layer: string[][] = [[]];
  for (let n = 1; n <= MAX_TOPIC_SEGMENTS; n++) {
    layer = layer.flatMap((t) => ALPHABET.map((c) => [...t, c]));
    out.push(...layer);
  }
  return out;
}

const TOPICS = allTopics().map((t) => t.join(":"));

function randomPattern(random: () => number): string {
  const n = 1 + Math.floor(random() * MAX_PATTERN_SEGMENTS);
  const segments = Array.from({ length: n }, () => pick(random, [...ALPHABET, "*"]));
  if (random() < 0.35) segments[n - 1] = "**";
  return segments.join(":");
}

/** Brute force: the set of enumerated topics a pattern matches, as a bit string. */
function matched(pattern: string): boolean[] {
  return TOPICS.map((t) => matchPattern(pattern, t));
}

Deno.test("matchPattern agrees with a regular expression over random inputs", () => {
  const random = prng(7);
  for (let i = 0; i < 2_000; i++) {
    const pattern = randomPattern(random);
    const source = pattern.split(":").map((seg) =>
      seg === "**" ? "[^:]+(?::[^:]+)*" : seg === "*" ? "[^:]+" : seg
    ).join(":");
    const re = new RegExp(`^${source}$`);
    for (const topic of TOPICS) assert.equal(matchPattern(pattern, topic), re.test(topic));
  }
});

Deno.test("patternContains agrees with brute force over random patterns", () => {
  const random = prng(42);
  let positives = 0;
  for (let i = 0; i < 5_000; i++) {
    const outer = randomPattern(random);
    const inner = randomPattern(random);
    const o = matched(outer);
    const expected = matched(inner).every((m, k) => !m || o[k]);
    if (expected) positives++;
    assert.equal(patternContains(outer, inner), expected, `${outer} contains ${inner}`);
  }
  assert.ok(positives > 200, `too few containing pairs: ${positives}`);
});

Deno.test("patternsOverlap agrees with brute force over random patterns", () => {
  const random = prng(1337);
  let positives = 0;
  for (let i = 0; i < 5_000; i++) {
    const a = randomPattern(random);
    const b = randomPattern(random);
    const mb = matched(b);
    const expected = matched(a).some((m, k) => m && mb[k]);
    if (expected) positives++;
    assert.equal(patternsOverlap(a, b), expected, `${a} overlaps ${b}`);
  }
  assert.ok(positives > 500, `too few overlapping pairs: ${positives}`);
});
