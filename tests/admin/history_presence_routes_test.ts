// The admin routes for a topic's history and presence, over real HTTP
// against a real hub: answers, and bad input answered 4xx.

import assert from "node:assert/strict";
import type { AclRule } from "../../src/acl/rules.ts";
import { signPublication } from "../../src/signing/sign.ts";
import { SECRET } from "../signing/_keys.ts";
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

Deno.test("GET /topics/:topic/history and /presence need the credential and are audited", async () => {
  await using f = await startAdmin({}, HISTORY);
  await f.h.hub.publish("chat:lobby", { secret: "payload" }, { from: "bob" });
  for (const route of ["history", "presence"]) {
    for (const credential of [null, "not-the-admin-key-at-all"]) {
      const refused = await call(f.base, "GET", `${P}/topics/chat:lobby/${route}`, { credential });
      assert.equal(refused.status, 401, `${route} with ${credential}`);
      assert.equal(refused.json.code, "AUTH_FAILED");
      assert.equal(refused.json.publications, undefined, "nothing of the topic in a refusal");
    }
  }
  assert.equal((await call(f.base, "GET", `${P}/topics/chat:lobby/history`)).status, 200);
  assert.equal((await call(f.base, "GET", `${P}/topics/chat:lobby/presence`)).status, 200);
  const entries = f.audit.filter((e) => e.event.startsWith("admin.topic_"));
  assert.deepEqual(entries.map((e) => [e.event, e.topic]), [
    ["admin.topic_history", "chat:lobby"],
    ["admin.topic_presence", "chat:lobby"],
  ]);
  assert.ok(!JSON.stringify(f.audit).includes("payload"), "the audit holds no payloads");
  assert.ok(!JSON.stringify(f.audit).includes("not-the-admin-key"), "nor a credential");
});

Deno.test("GET /topics/:topic/history answers the same publications as a WebSocket history reply, jws included", async () => {
  const rules: AclRule[] = [
    { effect: "allow", actions: ["subscribe", "history"], topics: ["**"] },
    { effect: "allow", actions: ["publish"], topics: ["signed:*"], signed: { keys: SECRET } },
  ];
  await using f = await startAdmin({}, {
    acl: { rules },
    history: [{ pattern: "signed:*", size: 10, ttlMs: 60_000 }],
  });
  const publisher = await f.open("sensor", {});
  const jws = await signPublication("signed:room", { celsius: 21 }, SECRET);
  const ack = await publisher.request({ type: "publish", id: 1, topic: "signed:room", jws });
  assert.equal(ack.type, "ack", JSON.stringify(ack));
  const ws = await publisher.request({ type: "history", id: 2, topic: "signed:room" });
  assert.equal(ws.type, "history", JSON.stringify(ws));
  assert.equal(ws.publications[0].jws, jws);
  const admin = await call(f.base, "GET", `${P}/topics/signed:room/history`);
  assert.equal(admin.status, 200, admin.text);
  assert.deepEqual(admin.json.publications, ws.publications);
  assert.deepEqual([admin.json.offset, admin.json.epoch], [ws.offset, ws.epoch]);
});
