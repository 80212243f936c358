import assert from "node:assert/strict";
import { DEFAULT_FRAME_LIMITS, parseClientFrame } from "../../src/protocol/mod.ts";

/** `{"payload":[[...]]}` with the frame object at depth 1 and `levels` arrays below it. */
function nested(levels: number, id?: number): string {
  const head = id === undefined
    ? `{"type":"publish","topic":"t"`
    : `{"type":"publish","id":${id},"topic":"t"`;
  const payload = levels === 0 ? "1" : `${"[".repeat(levels)}${"]".repeat(levels)}`;
  return `${head},"payload":${payload}}`;
}

Deno.test("parseClientFrame builds frames with an id only when one was sent", () => {
  const cases: [string, unknown][] = [
    ['{"type":"subscribe","topic":"a:b"}', { type: "subscribe", topic: "a:b" }],
    ['{"type":"subscribe","id":"x","topic":"a:*"}', { type: "subscribe", id: "x", topic: "a:*" }],
    ['{"type":"unsubscribe","id":2,"topic":"a"}', { type: "unsubscribe", id: 2, topic: "a" }],
    ['{"type":"publish","topic":"a"}', { type: "publish", topic: "a", payload: null }],
    ['{"type":"publish","id":3,"topic":"a","payload":{"n":1}}', {
      type: "publish",
      id: 3,
      topic: "a",
      payload: { n: 1 },
    }],
    ['{"type":"auth","token":"t"}', { type: "auth", token: "t" }],
    ['{"type":"auth","id":4,"token":"t"}', { type: "auth", id: 4, token: "t" }],
    ['{"type":"ping"}', { type: "ping" }],
    ['{"type":"ping","id":5}', { type: "ping", id: 5 }],
  ];
  for (const [text, frame] of cases) {
    const result = parseClientFrame(text, DEFAULT_FRAME_LIMITS);
    assert.deepEqual(result, { ok: true, frame }, text);
    if (result.ok && !text.includes('"id"')) assert.equal("id" in result.frame, false, text);
  }
});

Deno.test("parseClientFrame refuses bad ids without echoing them", () => {
  for (
    const id of ['""', `"${"x".repeat(65)}"`, "1.5", "true", "null", "{}", "[]", "9007199254740993"]
  ) {
    const result = parseClientFrame(`{"type":"ping","id":${id}}`, DEFAULT_FRAME_LIMITS);
    assert.equal(result.ok, false, id);
    if (!result.ok) {
      assert.equal(result.code, "BAD_REQUEST");
      assert.equal(result.id, undefined, id);
      assert.match(result.message, /^Frame 'id' must be/);
    }
  }
  const longest = `"${"x".repeat(64)}"`;
  assert.equal(parseClientFrame(`{"type":"ping","id":${longest}}`, DEFAULT_FRAME_LIMITS).ok, true);
});

Deno.test("parseClientFrame's depth limit holds exactly, below and above the recursion limit", () => {
  // The frame is depth 1, so `levels` nested arrays reach depth levels + 1.
  for (const maxDepth of [1, 2, 3, 32, 256, 257, 300]) {
    const limits = { ...DEFAULT_FRAME_LIMITS, maxDepth };
    const atLimit = parseClientFrame(nested(maxDepth - 1, 7), limits);
    assert.equal(atLimit.ok, true, `depth ${maxDepth} with maxDepth ${maxDepth}`);
    const over = parseClientFrame(nested(maxDepth, 7), limits);
    assert.deepEqual(over, {
      ok: false,
      code: "BAD_REQUEST",
      message: `Frame is nested deeper than ${maxDepth} levels`,
      id: 7,
    });
  }
});

Deno.test("parseClientFrame's depth check looks inside every branch of objects and arrays", () => {
  const limits = { ...DEFAULT_FRAME_LIMITS, maxDepth: 4 };
  const deepLast = '{"type":"publish","topic":"t","payload":{"a":1,"b":[0,{"c":{"d":{}}}]}}';
  assert.equal(parseClientFrame(deepLast, limits).ok, false);
  const shallow = '{"type":"publish","topic":"t","payload":{"a":[1,2],"b":[0,{"c":"x"}]}}';
  assert.equal(parseClientFrame(shallow, limits).ok, true);
  // A deep sibling after a shallow one, in both walks.
  for (const maxDepth of [4, 400]) {
    const over = `{"type":"publish","topic":"t","payload":[[],${"[".repeat(maxDepth)}${
      "]".repeat(maxDepth)
    }]}`;
    assert.equal(
      parseClientFrame(over, { ...DEFAULT_FRAME_LIMITS, maxDepth }).ok,
      false,
      String(maxDepth),
    );
  }
});

Deno.test("parseClientFrame judges depth on the value, not on brackets inside strings", () => {
  const limits = { ...DEFAULT_FRAME_LIMITS, maxDepth: 4 };
  // More '{' and '[' than the limit, all inside a string: shallow, accepted.
  const inString = `{"type":"publish","topic":"t","payload":"${"{[".repeat(40)}"}`;
  assert.equal(parseClientFrame(inString, limits).ok, true);
  // Just enough openers to be too deep, with brackets in strings beside them.
  const deep = `{"type":"publish","topic":"t","payload":{"s":"{[","a":[[[{}]]]}}`;
  assert.equal(parseClientFrame(deep, limits).ok, false);
  // As many openers as the limit allows: never too deep, whatever their nesting.
  const atBound = '{"type":"publish","topic":"t","payload":{"a":[["x"]]}}';
  assert.equal(parseClientFrame(atBound, limits).ok, true);
});

Deno.test("parseClientFrame names the request of an oversize frame when its id comes first", () => {
  const limits = { maxFrameBytes: 100, maxDepth: 32 };
  const payload = "x".repeat(300);
  const cases: [unknown, unknown][] = [
    [{ type: "publish", id: 1, topic: "chat:a", payload }, 1],
    [{ type: "publish", topic: "chat:a", id: "r-7", payload }, "r-7"],
    [{ type: "publish", id: 1.5, payload }, undefined],
    [{ type: "publish", id: "x".repeat(65), payload }, undefined],
    [{ type: "publish", payload, id: 2 }, undefined],
  ];
  for (const [frame, id] of cases) {
    const result = parseClientFrame(JSON.stringify(frame), limits);
    assert.ok(!result.ok && result.code === "TOO_LARGE");
    assert.equal(result.id, id, JSON.stringify(frame).slice(0, 60));
  }
});
