// The topic details' history and presence sections, their pure parts by table.

import assert from "node:assert/strict";
import {
  historyCells,
  historySummary,
  PAYLOAD_CHARS,
} from "../../../src/admin/console/_history_section.ts";
import { presenceSummary, presentUsers } from "../../../src/admin/console/_presence_section.ts";

Deno.test("historyCells shows each field as text, cutting long payloads", () => {
  const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
  const long = "x".repeat(PAYLOAD_CHARS * 2);
  const cases: [string, Parameters<typeof historyCells>[0], string[]][] = [
    ["from a user, with an event", { offset: 7, payload: { a: 1 }, from: "bob", ts, event: "e" }, [
      "7",
      "03:04:05",
      "bob",
      "e",
      '{"a":1}',
    ]],
    ["from the server, HTML kept as text", {
      offset: 8,
      payload: "<b>x</b>",
      from: null,
      ts,
    }, ["8", "03:04:05", "(server)", "", '"<b>x</b>"']],
    ["a long payload", { offset: 9, payload: long, from: "a", ts }, [
      "9",
      "03:04:05",
      "a",
      "",
      JSON.stringify(long).slice(0, PAYLOAD_CHARS) + "…",
    ]],
  ];
  for (const [name, publication, cells] of cases) {
    assert.deepEqual(historyCells(publication), cells, name);
  }
});

Deno.test("historySummary names the count and the stream position", () => {
  assert.equal(
    historySummary({ offset: 3, epoch: "ep", publications: [] }),
    "Nothing in history (position 3, epoch ep)",
  );
  const p = { offset: 3, payload: 1, from: null, ts: 0 };
  assert.equal(
    historySummary({ offset: 3, epoch: "ep", publications: [p, p] }),
    "Newest 2, newest first (position 3, epoch ep)",
  );
});

Deno.test("presentUsers groups connections by user, most connections first", () => {
  const answer = {
    connections: 4,
    users: 3,
    clients: [
      { user: "bob", connectionId: "c1" },
      { user: "alice", connectionId: "c2", info: { name: "<i>A</i>" } },
      { user: null, connectionId: "c3" },
      { user: "alice", connectionId: "c4" },
    ],
  };
  assert.deepEqual(presentUsers(answer), [
    { user: "alice", connections: ["c2", "c4"], info: '{"name":"<i>A</i>"}' },
    { user: "(anonymous)", connections: ["c3"], info: "" },
    { user: "bob", connections: ["c1"], info: "" },
  ]);
  assert.equal(presenceSummary(answer), "4 connections, 3 users");
  assert.equal(presenceSummary({ connections: 1, users: 1, clients: [] }), "1 connection, 1 user");
});
