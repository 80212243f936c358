// PresenceSet against a real hub: the member list follows joins and leaves
// live, stays right across a network cut (a TCP proxy between one client
// and the hub) during which someone joined and someone left, and its
// snapshot is the same object until the members change.

import assert from "node:assert/strict";
import { PresenceSet, RealtimeClient } from "../../src/client/mod.ts";
import { startTestHub } from "../_support/hub.ts";
import { startTcpProxy } from "../_support/tcp_proxy.ts";
import { next } from "./_helpers.ts";

const ACL = { "room:*": ["subscribe", "presence"] };

/** Resolves once the set's users, sorted and joined, are `want`. */
function until(set: PresenceSet, want: string, timeoutMs = 15_000): Promise<void> {
  const users = () => set.members.map((m) => m.user).sort().join();
  if (users() === want) return Promise.resolve();
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const timer = setTimeout(
    () => reject(new Error(`Timed out waiting for '${want}': have '${users()}'`)),
    timeoutMs,
  );
  const off = set.onChange(() => {
    if (users() === want) resolve();
  });
  return promise.finally(() => {
    clearTimeout(timer);
    off();
  });
}

Deno.test("PresenceSet follows joins and leaves, and keeps its snapshot until they change", async () => {
  await using h = await startTestHub("deno");
  await using alice = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: ACL }),
  });
  await using bob = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "bob", acl: ACL }),
  });
  using room = new PresenceSet(alice, "room:1");
  assert.deepEqual(room.snapshot, { members: [], ready: false, error: undefined });
  await until(room, "alice");
  const first = room.snapshot;
  assert.equal(first.ready, true);
  assert.equal(room.snapshot, first);
  const unsubscribe = bob.subscribe("room:1", () => {});
  await until(room, "alice,bob");
  assert.notEqual(room.snapshot, first);
  unsubscribe();
  await until(room, "alice");
  room.close();
  assert.equal(alice.subscriptionState("room:1"), "unsubscribed");
});

Deno.test("PresenceSet is right again after a cut during which one joined and one left", async () => {
  await using h = await startTestHub("deno");
  await using proxy = startTcpProxy({ hostname: "127.0.0.1", port: Number(new URL(h.url).port) });
  await using alice = new RealtimeClient({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    token: await h.token({ sub: "alice", acl: ACL }),
    backoff: { baseMs: 50, maxMs: 200 },
  });
  await using bob = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "bob", acl: ACL }),
  });
  await using carol = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "carol", acl: ACL }),
  });
  using room = new PresenceSet(alice, "room:1");
  const carolIn = carol.subscribe("room:1", () => {});
  await until(room, "alice,carol");

  proxy.refuse(true);
  proxy.cutAll();
  await next(alice, "state", (state) => state === "reconnecting");
  // While alice is away: bob joins, carol leaves. Alice hears neither.
  await bob.subscribe("room:1", () => {}).ready;
  carolIn();
  assert.equal(room.members.map((m) => m.user).sort().join(), "alice,carol");

  proxy.refuse(false);
  await until(room, "alice,bob");
  assert.equal(room.snapshot.error, undefined);
});

Deno.test("PresenceSet reports a refusal as its error", async () => {
  await using h = await startTestHub("deno");
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: { "room:*": ["subscribe"] } }),
  });
  using room = new PresenceSet(rt, "room:1");
  const failed = Promise.withResolvers<void>();
  room.onChange(() => room.snapshot.error !== undefined && failed.resolve());
  await failed.promise;
  assert.equal((room.snapshot.error as { code?: string }).code, "FORBIDDEN");
  assert.deepEqual(room.members, []);
});
