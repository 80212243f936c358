// The admin routes for a topic's history and presence, over real HTTP
// against a real hub: answers, and bad input answered 4xx.

import assert from "node:assert/strict";
import { call, startAdmin } from "./_helpers.ts";

const P = "/v1/realtime";
const HISTORY = { history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }] };

Deno.test("GET /topics/:topic/history returns what history holds, newest first when asked", async () => {
  await using f = await startAdmin({}, HISTORY);
  for (let i = 1; i <= 3; i++) await f.h.hub.publish("chat:lobby", { n: i }, { from: "bob" });
  const all = await call(f.base, "GET", `${P}/topics/chat:lobby/history`);
  assert.equal(all.status, 200);
  assert.equal(all.json.offset, 3);
  assert.deepEqual(all.json.publications.map((p: { payload: unknown }) => p.payload), [
    { n: 1 },
    { n: 2 },
    { n: 3 },
  ]);
  const newest = await call(f.base, "GET", `${P}/topics/chat:lobby/history?limit=1&reverse=true`);
  assert.deepEqual(newest.json.publications.map((p: { offset: number }) => p.offset), [3]);
  const after = await call(
    f.base,
    "GET",
    `${P}/topics/chat:lobby/history?offset=2&epoch=${all.json.epoch}`,
  );
  assert.deepEqual(after.json.publications.map((p: { offset: number }) => p.offset), [3]);
  assert.equal(after.json.publications[0].from, "bob");
});

Deno.test("GET /topics/:topic/history rejects bad input with 4xx", async () => {
  await using f = await startAdmin({}, HISTORY);
  for (
    const [path, status] of [
      ["chat%3A*/history", 400],
      ["chat:lobby/history?limit=-1", 400],
      ["chat:lobby/history?limit=5000", 400],
      ["chat:lobby/history?offset=1", 400],
      ["chat:lobby/history?offset=x&epoch=e", 400],
      ["news:a/history", 404],
    ] as const
  ) {
    const res = await call(f.base, "GET", `${P}/topics/${path}`);
    assert.equal(res.status, status, path);
    assert.equal(res.json.code, "BAD_REQUEST", path);
  }
});

Deno.test("GET /topics/:topic/presence lists connections and counts users", async () => {
  await using f = await startAdmin();
  const tab1 = await f.open("alice");
  const tab2 = await f.open("alice");
  const bob = await f.open("bob");
  for (const s of [tab1, tab2, bob]) {
    await s.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  }
  const res = await call(f.base, "GET", `${P}/topics/chat:lobby/presence`);
  assert.equal(res.status, 200);
  assert.equal(res.json.connections, 3);
  assert.equal(res.json.users, 2);
  assert.deepEqual(res.json.clients.map((c: { user: string }) => c.user).sort(), [
    "alice",
    "alice",
    "bob",
  ]);
  assert.equal((await call(f.base, "GET", `${P}/topics/chat%3A*/presence`)).status, 400);
});
