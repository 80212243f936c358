import assert from "node:assert/strict";
import { parseReplLine, type ReplAction } from "../../src/cli/repl.ts";

Deno.test("parseReplLine turns session commands into frames", () => {
  const table: [string, ReplAction][] = [
    ["", { kind: "empty" }],
    ["   ", { kind: "empty" }],
    ["help", { kind: "help" }],
    ["quit", { kind: "quit" }],
    ["EXIT", { kind: "quit" }],
    ["ping", { kind: "send", frame: { type: "ping", id: 7 } }],
    ["sub chat:*", { kind: "send", frame: { type: "subscribe", id: 7, topic: "chat:*" } }],
    ["unsub chat:*", { kind: "send", frame: { type: "unsubscribe", id: 7, topic: "chat:*" } }],
    ["pub chat:a hello  world", {
      kind: "send",
      frame: { type: "publish", id: 7, topic: "chat:a", payload: "hello  world" },
    }],
    ['pub chat:a {"n": 1}', {
      kind: "send",
      frame: { type: "publish", id: 7, topic: "chat:a", payload: { n: 1 } },
    }],
    ["pub chat:a 42", {
      kind: "send",
      frame: { type: "publish", id: 7, topic: "chat:a", payload: 42 },
    }],
    ["auth a.b.c", { kind: "send", frame: { type: "auth", id: 7, token: "a.b.c" } }],
    ['{"type":"ping"}', { kind: "send", frame: '{"type":"ping"}' }],
    ["sub", { kind: "invalid", message: "Usage: sub TOPIC" }],
    ["sub a b", { kind: "invalid", message: "Usage: sub TOPIC" }],
    ["pub chat:a", { kind: "invalid", message: "Usage: pub TOPIC PAYLOAD" }],
    ["nope", { kind: "invalid", message: "Unknown command 'nope': type 'help' for the list" }],
  ];
  for (const [line, expected] of table) assert.deepEqual(parseReplLine(line, 7), expected, line);
});

Deno.test("parseReplLine reads history and presence with the commands' options", () => {
  const table: [string, ReplAction][] = [
    ["history chat:a", { kind: "history", topic: "chat:a", query: {} }],
    ["history chat:a --limit 5 --reverse", {
      kind: "history",
      topic: "chat:a",
      query: { limit: 5, reverse: true },
    }],
    ["HISTORY chat:a --since 41:e1", {
      kind: "history",
      topic: "chat:a",
      query: { since: { offset: 41, epoch: "e1" } },
    }],
    ["presence room:1", { kind: "presence", topic: "room:1", query: {} }],
    ["presence room:1 --stats", { kind: "presence", topic: "room:1", query: { stats: true } }],
    ["history", {
      kind: "invalid",
      message: "Usage: history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]",
    }],
    ["history --limit 5", {
      kind: "invalid",
      message: "Usage: history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]",
    }],
    ["history chat:a --stats", {
      kind: "invalid",
      message: "Usage: history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]",
    }],
    ["history chat:a --limit", {
      kind: "invalid",
      message: "Usage: history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]",
    }],
    ["history chat:a --limit 5000", {
      kind: "invalid",
      message: "Expected a whole number from 0 to 1000, got '5000'",
    }],
    ["presence", { kind: "invalid", message: "Usage: presence TOPIC [--stats]" }],
    ["presence room:1 extra", { kind: "invalid", message: "Usage: presence TOPIC [--stats]" }],
  ];
  for (const [line, expected] of table) assert.deepEqual(parseReplLine(line, 7), expected, line);
});
