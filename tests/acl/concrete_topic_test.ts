// isConcreteTopic is the hot-path check of a whole concrete topic: it must
// say exactly what the grammar's regex says, at every limit and on any text.

import assert from "node:assert/strict";
import { isConcreteTopic } from "../../src/topic/concrete.ts";
import { TOPIC_RE } from "../../src/topic/grammar.ts";

/** The definition isConcreteTopic stands for on the hot path. */
const reference = (value: string) => value.length <= 255 && TOPIC_RE.test(value);

Deno.test("isConcreteTopic agrees with the topic regex at every limit", () => {
  const seg = (n: number) => "a".repeat(n);
  const segs = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`).join(":");
  const cases = [
    "",
    ":",
    "a",
    "a:",
    ":a",
    "a::b",
    "chat:lobby",
    "A-Z_a.z@b+c=d~e",
    seg(64),
    seg(65),
    `x:${seg(64)}`,
    `x:${seg(65)}`,
    `${seg(65)}:x`,
    segs(16),
    segs(17),
    [seg(64), seg(64), seg(64), seg(60)].join(":"),
    [seg(64), seg(64), seg(64), seg(61)].join(":"),
    "chat:*",
    "chat:**",
    "a b",
    "caf\u00e9",
    // Codes past 127 whose low bits are an allowed character's.
    "\u0141",
    "a\u0100b",
    "\u007f",
    "a/b",
    "{sub}",
  ];
  for (const value of cases) {
    assert.equal(isConcreteTopic(value), reference(value), JSON.stringify(value));
  }
});

Deno.test("isConcreteTopic agrees with the topic regex on random texts", () => {
  // A seeded generator (xorshift): the same texts every run.
  let seed = 0x2545f491;
  const random = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const valid = "aZ9_-.@+=~";
  const any = valid + "*/ {}\u00e9\u0141\u0100\u007f";
  let topics = 0;
  for (let i = 0; i < 50_000; i++) {
    // Half of them from valid characters and colons only, so many are topics.
    const alphabet = random(2) === 0 ? valid : any;
    // Mostly short texts, some long enough to reach the segment and total limits.
    const length = random(8) === 0 ? random(300) : random(16);
    const colons = random(3);
    let value = "";
    for (let j = 0; j < length; j++) {
      value += random(10) < colons ? ":" : alphabet[random(alphabet.length)];
    }
    assert.equal(isConcreteTopic(value), reference(value), JSON.stringify(value));
    if (reference(value)) topics++;
  }
  assert.ok(topics > 5_000, `only ${topics} texts were topics`);
});
