// The history, presence and recovery fields of client frames, validated at the
// boundary: every accepted shape, and every refused one with its message and
// the request id kept so the client can correlate the error.

import assert from "node:assert/strict";
import {
  DEFAULT_FRAME_LIMITS,
  encodeMessage,
  MAX_EPOCH_LENGTH,
  MAX_HISTORY_LIMIT,
  parseClientFrame,
} from "../../src/protocol/mod.ts";

const since = { offset: 3, epoch: "e1" };

Deno.test("parseClientFrame accepts history, presence and recovery frames", () => {
  const cases: [unknown, unknown][] = [
    [{ type: "subscribe", id: 1, topic: "chat:a", since }, {
      type: "subscribe",
      id: 1,
      topic: "chat:a",
      since,
    }],
    [{ type: "subscribe", topic: "chat:a", since: { offset: 0, epoch: "x" }, presence: true }, {
      type: "subscribe",
      topic: "chat:a",
      since: { offset: 0, epoch: "x" },
      presence: true,
    }],
    // presence: false is the default, so it is left out.
    [{ type: "subscribe", topic: "chat:*", presence: false }, {
      type: "subscribe",
      topic: "chat:*",
    }],
    // Extra fields inside since are dropped, not carried along.
    [{ type: "subscribe", topic: "a", since: { ...since, junk: 1 } }, {
      type: "subscribe",
      topic: "a",
      since,
    }],
    [{ type: "history", id: "h", topic: "chat:a" }, { type: "history", id: "h", topic: "chat:a" }],
    [{ type: "history", topic: "a", since, limit: 0, reverse: true }, {
      type: "history",
      topic: "a",
      since,
      limit: 0,
      reverse: true,
    }],
    [{ type: "history", topic: "a", limit: MAX_HISTORY_LIMIT, reverse: false }, {
      type: "history",
      topic: "a",
      limit: MAX_HISTORY_LIMIT,
    }],
    [{ type: "history", topic: "a", since: { offset: Number.MAX_SAFE_INTEGER, epoch: "e" } }, {
      type: "history",
      topic: "a",
      since: { offset: Number.MAX_SAFE_INTEGER, epoch: "e" },
    }],
    [{ type: "presence", id: 2, topic: "room:1" }, { type: "presence", id: 2, topic: "room:1" }],
    [{ type: "presence_stats", topic: "room:1" }, { type: "presence_stats", topic: "room:1" }],
    [{ type: "unsubscribe", topic: "a", since: "ignored" }, { type: "unsubscribe", topic: "a" }],
  ];
  for (const [input, frame] of cases) {
    const text = JSON.stringify(input);
    assert.deepEqual(parseClientFrame(text, DEFAULT_FRAME_LIMITS), { ok: true, frame }, text);
  }
});

Deno.test("parseClientFrame refuses bad history, presence and recovery fields, keeping the id", () => {
  const longEpoch = "e".repeat(MAX_EPOCH_LENGTH + 1);
  const cases: [unknown, RegExp][] = [
    [{ since: null }, /^'subscribe' field 'since' must be an object \{offset, epoch\}, got null$/],
    [{ since: [1, "e"] }, /got an array$/],
    [
      { since: { epoch: "e" } },
      /'since.offset' must be a non-negative safe integer, got undefined$/,
    ],
    [{ since: { offset: -1, epoch: "e" } }, /'since.offset' .* got -1$/],
    [{ since: { offset: 1.5, epoch: "e" } }, /'since.offset' .* got 1.5$/],
    [{ since: { offset: 2 ** 53, epoch: "e" } }, /'since.offset' .* got 9007199254740992$/],
    [{ since: { offset: "1", epoch: "e" } }, /'since.offset' .* got string$/],
    [
      { since: { offset: 1 } },
      /'since.epoch' must be a string of 1 to 64 characters, got undefined$/,
    ],
    [{ since: { offset: 1, epoch: "" } }, /'since.epoch' .* got 0 characters$/],
    [{ since: { offset: 1, epoch: longEpoch } }, /'since.epoch' .* got 65 characters$/],
    [{ since: { offset: 1, epoch: 7 } }, /'since.epoch' .* got number$/],
    [{ presence: "yes" }, /^'subscribe' field 'presence' must be a boolean, got string$/],
    [
      { topic: "chat:*", since },
      /^Cannot recover 'chat:\*' with 'since': recovery needs a concrete topic/,
    ],
    [{ topic: "chat:**", presence: true }, /^Cannot follow presence of 'chat:\*\*'/],
  ];
  for (const [fields, message] of cases) {
    const text = JSON.stringify({ type: "subscribe", id: 9, topic: "chat:a", ...fields as object });
    const result = parseClientFrame(text, DEFAULT_FRAME_LIMITS);
    assert.equal(result.ok, false, text);
    if (result.ok) continue;
    assert.equal(result.code, "BAD_REQUEST", text);
    assert.equal(result.id, 9, text);
    assert.match(result.message, message, text);
  }

  const requests: [unknown, RegExp][] = [
    [{ type: "history" }, /^'history' needs a string 'topic'$/],
    [
      { type: "history", topic: "chat:*" },
      /^'history' needs a concrete topic, got the pattern 'chat:\*'$/,
    ],
    [
      { type: "presence", topic: "**" },
      /^'presence' needs a concrete topic, got the pattern '\*\*'$/,
    ],
    [{ type: "presence_stats", topic: "a:*:b" }, /^'presence_stats' needs a concrete topic/],
    [{ type: "presence", topic: "a::b" }, /^Invalid topic/],
    [
      { type: "history", topic: "a", limit: -1 },
      /^'history' field 'limit' must be an integer from 0 to 1000, got -1$/,
    ],
    [{ type: "history", topic: "a", limit: MAX_HISTORY_LIMIT + 1 }, /got 1001$/],
    [{ type: "history", topic: "a", limit: 1e300 }, /got 1e\+300$/],
    [{ type: "history", topic: "a", limit: 2.5 }, /got 2.5$/],
    [{ type: "history", topic: "a", limit: "10" }, /got string$/],
    [
      { type: "history", topic: "a", reverse: 1 },
      /^'history' field 'reverse' must be a boolean, got number$/,
    ],
    [
      { type: "history", topic: "a", since: { offset: -3, epoch: "e" } },
      /^'history' field 'since.offset'/,
    ],
  ];
  for (const [input, message] of requests) {
    const text = JSON.stringify({ id: "r", ...input as object });
    const result = parseClientFrame(text, DEFAULT_FRAME_LIMITS);
    assert.equal(result.ok, false, text);
    if (result.ok) continue;
    assert.equal(result.code, "BAD_REQUEST", text);
    assert.equal(result.id, "r", text);
    assert.match(result.message, message, text);
  }
});

Deno.test("parseClientFrame keeps a huge epoch out of its error message", () => {
  const epoch = "secret-looking-".repeat(1000);
  const text = JSON.stringify({ type: "history", topic: "a", since: { offset: 1, epoch } });
  const result = parseClientFrame(text, DEFAULT_FRAME_LIMITS);
  assert.equal(result.ok, false);
  if (!result.ok) assert.ok(result.message.length < 200, result.message);
});

Deno.test("encodeMessage carries the offset of a publication on a topic with history", () => {
  const base = { topic: "chat:a", payload: 1, from: "bob", ts: 5 };
  assert.deepEqual(JSON.parse(encodeMessage({ ...base, offset: 42 })), {
    type: "message",
    ...base,
    offset: 42,
  });
  assert.equal("offset" in JSON.parse(encodeMessage(base)), false);
});
