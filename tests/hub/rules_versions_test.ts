// Rule replacements carry a version: a hub applies an update newer than the
// rules it holds, once, and never an older one (such as an update made
// before it started, handed back by the engine after a reconnect).

import assert from "node:assert/strict";
import { createRulesUpdates, rulesVersion } from "../../src/hub/_rules_updates.ts";
import type { AclRule } from "../../src/acl/rules.ts";
import type { ControlCommand } from "../../src/engine/engine.ts";

function setup(startedAt: number) {
  let now = startedAt;
  let current: AclRule[] = [];
  let replaced = 0;
  const sent: ControlCommand[] = [];
  const updates = createRulesUpdates({
    current: () => current,
    replace(rules) {
      current = rules;
      replaced++;
    },
    recheck: () => Promise.resolve(),
    control(command) {
      sent.push(command);
      return Promise.resolve();
    },
    audit() {},
    log() {},
    now: () => now,
  });
  return {
    updates,
    sent,
    replaced: () => replaced,
    current: () => current,
    at: (t: number) => now = t,
  };
}

const DENY: AclRule[] = [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }];

/** Lets the queued replacement run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("rulesVersion orders as text by time", () => {
  assert.ok(rulesVersion(9_000) < rulesVersion(10_000));
  assert.ok(rulesVersion(1_700_000_000_000) < rulesVersion(1_700_000_000_001));
});

Deno.test("createRulesUpdates applies a newer version once, and ignores an older or repeated one", async () => {
  const hub = setup(2_000_000);
  hub.updates.applyCommand(DENY, rulesVersion(1_000_000)); // made before this hub started
  await settle();
  assert.equal(hub.replaced(), 0);
  const newer = rulesVersion(3_000_000);
  hub.updates.applyCommand(DENY, newer);
  await settle();
  assert.deepEqual([hub.replaced(), hub.current(), hub.updates.version], [1, DENY, newer]);
  hub.updates.applyCommand([], newer); // the engine hands it back after a reconnect
  await settle();
  assert.equal(hub.replaced(), 1);
});

Deno.test("createRulesUpdates sends its update with a version newer than the rules it held", async () => {
  const hub = setup(2_000_000);
  const started = hub.updates.version;
  hub.at(2_000_500);
  await hub.updates.update(DENY);
  const command = hub.sent[0] as Extract<ControlCommand, { type: "update_rules" }>;
  assert.equal(command.type, "update_rules");
  assert.ok(command.version !== undefined && command.version > started);
  assert.equal(hub.updates.version, command.version);
});
