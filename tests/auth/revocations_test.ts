// The revocation list as a pure table: which tokens a cut-off refuses, and when it is dropped.

import assert from "node:assert/strict";
import { AuthError } from "../../src/auth/errors.ts";
import { createRevocations } from "../../src/auth/revocations.ts";

const T0 = 1_800_000_000_000;
const principal = (sub: string, iat?: number) => ({
  sub,
  roles: [],
  claims: iat === undefined ? {} : { iat },
  expiresAt: null,
});

Deno.test("createRevocations refuses tokens issued at or before the cut-off, and only its user's", () => {
  const revocations = createRevocations({ now: () => T0 });
  revocations.revoke("ops2");
  const rows: [string, number | undefined, boolean][] = [
    ["ops2", T0 / 1000 - 3600, true],
    ["ops2", T0 / 1000, true],
    ["ops2", undefined, true],
    ["ops2", T0 / 1000 + 1, false],
    ["alice", T0 / 1000 - 3600, false],
    ["alice", undefined, false],
  ];
  for (const [sub, iat, revoked] of rows) {
    assert.equal(revocations.isRevoked(principal(sub, iat)), revoked, `${sub} iat=${iat}`);
  }
  assert.throws(
    () => revocations.check(principal("ops2")),
    (error) => error instanceof AuthError && error.reason === "revoked",
  );
  revocations.check(principal("alice"));
});

Deno.test("createRevocations keeps a cut-off forever by default, so a token without exp stays revoked", () => {
  let now = T0;
  const revocations = createRevocations({ now: () => now });
  revocations.revoke("svc");
  now += 365 * 86_400_000;
  assert.equal(revocations.isRevoked(principal("svc", T0 / 1000 - 1)), true);
  assert.equal(revocations.size, 1);
});

Deno.test("createRevocations drops a cut-off once keepMs has passed, and not before", () => {
  let now = T0;
  const revocations = createRevocations({ now: () => now, keepMs: 3_605_000 });
  revocations.revoke("a");
  revocations.revoke("b");
  now += 3_605_000;
  assert.equal(revocations.isRevoked(principal("a", T0 / 1000 - 1)), true);
  now += 1;
  assert.equal(revocations.isRevoked(principal("a", T0 / 1000 - 1)), false);
  assert.equal(revocations.size, 1);
  revocations.revoke("c"); // pruning on revoke drops b
  assert.equal(revocations.size, 1);
});

Deno.test("createRevocations refuses a keepMs that is not positive", () => {
  for (const keepMs of [0, -1, NaN, "1" as unknown as number]) {
    assert.throws(() => createRevocations({ keepMs }), RangeError);
  }
});

Deno.test("createRevocations compares iat_ms to the millisecond, and only when it lies in the iat second", () => {
  const cut = T0 + 400;
  const revocations = createRevocations({ now: () => cut });
  revocations.revoke("alice");
  const at = (claims: Record<string, unknown>) =>
    revocations.isRevoked({ sub: "alice", roles: [], claims, expiresAt: null });
  const second = T0 / 1000;
  const rows: [Record<string, unknown>, boolean][] = [
    [{ iat: second }, true],
    [{ iat: second, iat_ms: cut + 1 }, false],
    [{ iat: second, iat_ms: cut }, true],
    [{ iat: second, iat_ms: cut - 300 }, true],
    // An iat_ms outside the iat second is ignored: it cannot move iat.
    [{ iat: second, iat_ms: cut + 5_000 }, true],
    [{ iat: second - 1, iat_ms: cut + 1 }, true],
    [{ iat: second, iat_ms: "1800000000700" }, true],
    [{ iat_ms: cut + 1 }, true],
    [{ iat: second + 1 }, false],
  ];
  for (const [claims, revoked] of rows) {
    assert.equal(at(claims), revoked, JSON.stringify(claims));
  }
});

Deno.test("createRevocations.revokeSession refuses that session's tokens whenever issued, and only them", () => {
  let now = T0;
  const revocations = createRevocations({ now: () => now, keepMs: 60_000 });
  revocations.revokeSession("alice", "s1");
  const token = (sub: string, sid: string | undefined, iat: number) => ({
    sub,
    roles: [],
    claims: sid === undefined ? { iat } : { iat, sid },
    expiresAt: null,
  });
  const later = T0 / 1000 + 30;
  assert.equal(revocations.isRevoked(token("alice", "s1", later)), true);
  assert.equal(revocations.isRevoked(token("alice", "s2", later)), false);
  assert.equal(revocations.isRevoked(token("alice", undefined, later)), false);
  assert.equal(revocations.isRevoked(token("bob", "s1", later)), false);
  assert.equal(revocations.size, 1);
  now += 60_001;
  assert.equal(revocations.isRevoked(token("alice", "s1", later)), false);
  assert.equal(revocations.size, 0);
});

Deno.test("createRevocations.revoke with 'at' keeps the latest cut-off and ignores one past keepMs", () => {
  let now = T0;
  const revocations = createRevocations({ now: () => now, keepMs: 60_000 });
  const issued = (iatMs: number) => ({
    sub: "alice",
    roles: [],
    claims: { iat: Math.floor(iatMs / 1000), iat_ms: iatMs },
    expiresAt: null,
  });
  revocations.revoke("alice", { at: T0 - 10_000 });
  assert.equal(revocations.isRevoked(issued(T0 - 10_000)), true);
  assert.equal(revocations.isRevoked(issued(T0 - 9_000)), false);
  // An older cut-off (a stored one read back late) never moves it backward.
  revocations.revoke("alice", { at: T0 - 20_000 });
  assert.equal(revocations.isRevoked(issued(T0 - 15_000)), true);
  now += 120_000;
  // One made longer ago than keepMs protects nothing: not kept.
  revocations.revoke("alice", { at: T0 });
  assert.equal(revocations.size, 0);
  revocations.revokeSession("alice", "s1", { at: now - 1000 });
  assert.equal(revocations.size, 1);
});
