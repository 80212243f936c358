import assert from "node:assert/strict";
import { isPattern, TOPIC_LIMITS, validatePattern, validateTopic } from "../../src/topic/topic.ts";

const seg = (n: number, c = "a") => c.repeat(n);
const segs = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`).join(":");

const VALID_TOPICS = [
  "a",
  "chat:lobby",
  "user:42",
  "A-Z_a.z@b+c=d~e",
  "0:1:2",
  seg(64),
  `x:${seg(64)}`,
  segs(16),
  // 255 characters in total: 3 segments of 64 and one of 61 plus 3 separators.
  [seg(64), seg(64), seg(64), seg(60)].join(":"),
];

Deno.test("validateTopic accepts valid topics up to every limit", () => {
  assert.equal([seg(64), seg(64), seg(64), seg(60)].join(":").length, 255);
  for (const topic of VALID_TOPICS) assert.equal(validateTopic(topic), undefined, topic);
});

const INVALID_TOPICS: [string, string][] = [
  ["", "Invalid topic '': it is empty"],
  [
    seg(65),
    "Invalid topic '" + seg(64) + "…': segment 1 has 65 characters: at most 64 are allowed",
  ],
  [
    `x:${seg(65)}`,
    `Invalid topic 'x:${seg(62)}…': segment 2 has 65 characters: at most 64 are allowed`,
  ],
  [segs(17), `Invalid topic '${segs(17)}': it has 17 segments: at most 16 are allowed`],
  [
    [seg(64), seg(64), seg(64), seg(61)].join(":"),
    `Invalid topic '${seg(64)}…': it has 256 characters: at most 255 are allowed`,
  ],
  ["a::b", "Invalid topic 'a::b': segment 2 is empty"],
  [":a", "Invalid topic ':a': segment 1 is empty"],
  ["a:", "Invalid topic 'a:': segment 2 is empty"],
  [":", "Invalid topic ':': segment 1 is empty"],
  [
    "a b",
    "Invalid topic 'a b': segment 1 contains ' ': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  [
    "a/b",
    "Invalid topic 'a/b': segment 1 contains '/': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  [
    "chat:lö",
    "Invalid topic 'chat:lö': segment 2 contains 'ö': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  [
    "x:😀",
    "Invalid topic 'x:😀': segment 2 contains '😀': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  [
    "a\nb",
    "Invalid topic 'a\\nb': segment 1 contains '\\n': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  [
    "a'b",
    "Invalid topic 'a\\'b': segment 1 contains '\\'': only A-Z a-z 0-9 and _ - . @ + = ~ are allowed",
  ],
  ["chat:*", "Invalid topic 'chat:*': segment 2 is a wildcard '*': a concrete topic is required"],
  ["**", "Invalid topic '**': segment 1 is a wildcard '**': a concrete topic is required"],
  [
    "ch*",
    "Invalid topic 'ch*': segment 1 'ch*' contains '*': a concrete topic cannot contain wildcards",
  ],
  [
    "user:{sub}",
    "Invalid topic 'user:{sub}': segment 2 '{sub}' contains a template, which is not allowed here",
  ],
];

Deno.test("validateTopic rejects invalid topics with the value seen", () => {
  for (const [topic, message] of INVALID_TOPICS) assert.equal(validateTopic(topic), message);
});

Deno.test("validateTopic truncates a huge topic in its message", () => {
  const message = validateTopic("a".repeat(1_000_000))!;
  assert.ok(message.length < 200, message);
  assert.match(message, /it has 1000000 characters/);
});

Deno.test("validatePattern accepts wildcards as whole segments", () => {
  for (const p of ["*", "**", "chat:*", "chat:**", "*:lobby", "*:*:**", "a:b", `${segs(15)}:**`]) {
    assert.equal(validatePattern(p), undefined, p);
  }
  for (const topic of VALID_TOPICS) assert.equal(validatePattern(topic), undefined, topic);
});

Deno.test("validatePattern rejects misplaced or partial wildcards", () => {
  const table: [string, string][] = [
    [
      "ch*",
      "Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    ],
    [
      "a:**:b",
      "Invalid pattern 'a:**:b': segment 2 is '**', which is only allowed as the last segment",
    ],
    [
      "**:**",
      "Invalid pattern '**:**': segment 1 is '**', which is only allowed as the last segment",
    ],
    [
      "***",
      "Invalid pattern '***': segment 1 '***' contains '*': a wildcard must be a whole segment",
    ],
    [
      "a:*b",
      "Invalid pattern 'a:*b': segment 2 '*b' contains '*': a wildcard must be a whole segment",
    ],
    ["a::*", "Invalid pattern 'a::*': segment 2 is empty"],
    [
      `${segs(16)}:**`,
      `Invalid pattern '${segs(16)}:**': it has 17 segments: at most 16 are allowed`,
    ],
    [
      "user:{sub}",
      "Invalid pattern 'user:{sub}': segment 2 '{sub}' contains a template, which is not allowed here",
    ],
    ["", "Invalid pattern '': it is empty"],
  ];
  for (const [pattern, message] of table) assert.equal(validatePattern(pattern), message);
});

Deno.test("isPattern is true only for wildcard segments", () => {
  const table: [string, boolean][] = [
    ["*", true],
    ["**", true],
    ["a:*", true],
    ["*:a", true],
    ["a:*:b", true],
    ["a:**", true],
    ["a", false],
    ["a:b", false],
    ["ch*", false],
    ["a:*b", false],
    ["", false],
  ];
  for (const [topic, expected] of table) assert.equal(isPattern(topic), expected, topic);
});

Deno.test("TOPIC_LIMITS states the grammar limits", () => {
  assert.deepEqual(TOPIC_LIMITS, { maxSegments: 16, maxSegmentLength: 64, maxLength: 255 });
  assert.ok(Object.isFrozen(TOPIC_LIMITS));
});
