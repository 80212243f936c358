import assert from "node:assert/strict";
import { createColors } from "../../src/cli/colors.ts";
import {
  describeFrame,
  formatDuration,
  formatInstant,
  formatMessageLine,
} from "../../src/cli/format.ts";

const plain = createColors(false);

Deno.test("formatDuration shows durations the way they are typed", () => {
  const table: [number, string][] = [
    [0, "0ms"],
    [250, "250ms"],
    [1500, "1.5s"],
    [30_000, "30s"],
    [125_000, "2m 5s"],
    [3_600_000, "1h 0m"],
    [90_000_000, "1d 1h"],
  ];
  for (const [ms, text] of table) assert.equal(formatDuration(ms), text);
});

Deno.test("formatInstant says how far a time is from now", () => {
  const now = Date.UTC(2025, 0, 1);
  assert.equal(formatInstant(now + 60_000, now), "2025-01-01T00:01:00.000Z (in 1m 0s)");
  assert.equal(formatInstant(now - 5_000, now), "2024-12-31T23:59:55.000Z (5s ago)");
});

Deno.test("formatMessageLine prints time, topic, sender and JSON payload", () => {
  const ts = Date.UTC(2025, 0, 1);
  const message = { type: "message", topic: "chat:a", from: "bob", ts, payload: "42" };
  assert.equal(formatMessageLine(message, plain), '2025-01-01T00:00:00.000Z chat:a bob "42"');
  const event = { ...message, from: null, event: "notice", payload: { n: 1 } };
  assert.equal(
    formatMessageLine(event, plain),
    '2025-01-01T00:00:00.000Z chat:a - [notice] {"n":1}',
  );
  const coloured = formatMessageLine(message, createColors(true));
  assert.ok(coloured.includes("\x1b[1mchat:a\x1b[22m"), coloured);
});

Deno.test("describeFrame describes every server frame on one line", () => {
  const now = Date.UTC(2025, 0, 1);
  const table: [Record<string, unknown>, string][] = [
    [{ type: "ack", id: 3 }, "ack #3"],
    [{ type: "pong", id: "x" }, "pong #x"],
    [
      { type: "error", id: 2, code: "FORBIDDEN", message: "No", retry: false },
      "error #2 FORBIDDEN: No",
    ],
    [
      { type: "unsubscribed", topic: "chat:a", code: "FORBIDDEN" },
      "unsubscribed chat:a: FORBIDDEN",
    ],
    [
      { type: "welcome", connectionId: "c1", user: "al", expiresAt: null },
      "welcome user al, connection c1, token never expires",
    ],
    [
      { type: "ack", id: 1, expiresAt: now + 1000 },
      "ack #1, token expires 2025-01-01T00:00:01.000Z (in 1s)",
    ],
    [{ type: "later", x: 1 }, 'later {"type":"later","x":1}'],
  ];
  for (const [frame, line] of table) assert.equal(describeFrame(frame, plain, now), line);
});
