import assert from "node:assert/strict";
import { matchPattern, patternContains, patternsOverlap } from "../../src/topic/pattern.ts";
import { validatePattern } from "../../src/topic/topic.ts";

const MATCH: [string, string, boolean][] = [
  ["**", "a", true],
  ["**", "a:b:c", true],
  ["*", "a", true],
  ["*", "a:b", false],
  ["a", "a", true],
  ["a", "ab", false],
  ["a:b", "a:b", true],
  ["a:b", "a:bb", false],
  ["a:b", "a", false],
  ["a:*", "a:x", true],
  ["a:*", "a", false],
  ["a:*", "a:x:y", false],
  ["a:*", "b:x", false],
  ["a:**", "a", false],
  ["a:**", "a:b", true],
  ["a:**", "a:b:c:d", true],
  ["a:**", "b:c", false],
  ["*:b", "a:b", true],
  ["*:b", "a:c", false],
  ["a:*:c", "a:b:c", true],
  ["a:*:c", "a:b:d", false],
  ["*:*", "a:b", true],
  ["*:**", "a", false],
  ["*:**", "a:b", true],
];

Deno.test("matchPattern matches one segment per * and one or more for a final **", () => {
  for (const [pattern, topic, expected] of MATCH) {
    assert.equal(matchPattern(pattern, topic), expected, `${pattern} vs ${topic}`);
  }
});

const CONTAINS: [string, string, boolean][] = [
  ["**", "**", true],
  ["**", "a", true],
  ["**", "a:*:**", true],
  ["*", "**", false],
  ["*", "a", true],
  ["*", "*", true],
  ["a", "*", false],
  ["a:**", "a:*", true],
  ["a:**", "a:*:**", true],
  ["a:**", "a:b", true],
  ["a:*", "a:**", false],
  ["a:**", "a", false],
  ["a:**", "**", false],
  ["*:b", "a:b", true],
  ["*:b", "a:*", false],
  ["a:*", "*:*", false],
  ["*:*", "a:*", true],
  ["a:b", "a:b", true],
  ["a:b", "a:c", false],
  ["*:**", "a:b:**", true],
  ["*:**", "a", false],
  ["a:*:c", "a:*:c", true],
  ["a:*:**", "a:b:**", true],
  ["a:b:**", "a:*:**", false],
  ["*:*:**", "*:**", false],
  ["*:**", "*:*:**", true],
  ["a:*:*", "a:**", false],
  ["chat:*", "chat:lobby", true],
  ["chat", "chat:*", false],
  // Prefix is not containment.
  ["chat:lob", "chat:lobby", false],
  ["chat:**", "chatroom:*", false],
];

Deno.test("patternContains is set containment", () => {
  for (const [outer, inner, expected] of CONTAINS) {
    assert.equal(patternContains(outer, inner), expected, `${outer} contains ${inner}`);
  }
});

const OVERLAP: [string, string, boolean][] = [
  ["a", "a", true],
  ["a", "b", false],
  ["a:*", "*:b", true],
  ["a:*", "b:*", false],
  ["a:*", "a:*:*", false],
  ["a:**", "a", false],
  ["a:**", "a:b:c", true],
  ["**", "x", true],
  ["**", "**", true],
  ["a:**", "*:b:**", true],
  ["a:b:**", "a:c:**", false],
  ["*:*", "**", true],
  ["*", "*:**", false],
  ["*:*:c", "a:**", true],
  ["*:*:c", "a:b", false],
  ["admin:**", "*", false],
];

Deno.test("patternsOverlap finds a shared topic, symmetrically", () => {
  for (const [a, b, expected] of OVERLAP) {
    assert.equal(patternsOverlap(a, b), expected, `${a} overlaps ${b}`);
    assert.equal(patternsOverlap(b, a), expected, `${b} overlaps ${a}`);
  }
});

const s = (n: number) => "x".repeat(n);
const prefix = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`).join(":");

Deno.test("patternContains knows ** cannot pass 16 segments", () => {
  const stars16 = Array(16).fill("*").join(":");
  assert.equal(validatePattern(`${prefix(15)}:**`), undefined);
  // `**` after 15 segments can only match a 16th segment.
  assert.equal(patternContains(stars16, `${prefix(15)}:**`), true);
  assert.equal(patternContains(`${prefix(15)}:*`, `${prefix(15)}:**`), true);
  assert.equal(patternContains(`${prefix(14)}:*:*`, `${prefix(14)}:**`), false);
});

Deno.test("patternContains knows ** cannot pass 255 characters", () => {
  const full = `${s(64)}:${s(64)}:${s(64)}:${s(57)}:**`; // 255 characters
  const roomy = `${s(64)}:${s(64)}:${s(64)}:${s(56)}:**`; // 254: room for one more segment
  assert.equal(full.length, 255);
  assert.equal(validatePattern(full), undefined);
  assert.equal(patternContains(`${s(64)}:${s(64)}:${s(64)}:${s(57)}:*`, full), true);
  assert.equal(patternContains(`${s(64)}:${s(64)}:${s(64)}:${s(56)}:*`, roomy), false);
});

Deno.test("patternsOverlap knows a shared topic must fit 255 characters", () => {
  const a = `${s(64)}:${s(64)}:${s(64)}:*`;
  assert.equal(patternsOverlap(a, `*:*:*:${s(60)}`), true); // 255 characters
  assert.equal(patternsOverlap(a, `*:*:*:${s(61)}`), false); // 256 characters
  assert.equal(patternsOverlap(`${s(64)}:**`, `*:${s(64)}:${s(64)}:${s(64)}`), false);
});

Deno.test("patternContains and patternsOverlap are reflexive on valid patterns", () => {
  for (const p of ["a", "*", "**", "a:*:**", "*:b", `${prefix(15)}:**`]) {
    assert.equal(patternContains(p, p), true, p);
    assert.equal(patternsOverlap(p, p), true, p);
  }
});
