// Replacing the rules in force, here and on every hub of the engine. The
// control channel carries the rules with each secret signing key replaced
// by its fingerprint (the secret stays in the processes configured with
// it); a hub resolves the fingerprints from the keys it has held, and one
// that does not hold a key keeps its rules and logs why. Replacements are
// applied one at a time, in the order they were asked for.
//
// Each replacement carries a version (when it was made, then a random
// part), which a networked engine keeps with the latest rules and hands
// back after a reconnect: a hub applies a version newer than the rules it
// holds (those it started with count as made when it started), so an update
// it missed while cut off reaches it, and neither a replay nor an older
// update made before it started undoes what it holds.

import type { AclRule } from "../acl/rules.ts";
import { createKeyRing, redactRules } from "../acl/key_references.ts";
import type { ControlCommand } from "../engine/engine.ts";
import { RulesError } from "../acl/rules_error.ts";
import type { LogEntry } from "./log.ts";

export interface RulesUpdatesDeps {
  /** The rules in force. */
  current(): readonly AclRule[];
  /** Compiles and installs rules; throws a TypeError, changing nothing, on bad rules. */
  replace(rules: AclRule[]): void;
  /** Re-checks every live subscription against the rules in force. */
  recheck(): Promise<void>;
  /** Sends a command to every hub, this one included; rejects when the engine could not. */
  control(command: ControlCommand): Promise<void>;
  audit(entry: LogEntry): void;
  log(entry: LogEntry): void;
  /** Current time, epoch ms. */
  now(): number;
}

export interface RulesUpdates {
  /** `hub.updateRules`: replaces the rules here, then on the other hubs. */
  update(rules: readonly unknown[]): Promise<void>;
  /** An `update_rules` command from the control channel, with its version when it has one. */
  applyCommand(rules: readonly AclRule[], version?: string): void;
  /** The version of the rules in force. */
  readonly version: string;
}

/** A rules version: the time, fixed width so versions order as text, then a random part. */
export function rulesVersion(now: number): string {
  return `${String(Math.max(0, Math.floor(now))).padStart(15, "0")}-${
    crypto.randomUUID().slice(0, 8)
  }`;
}

export function createRulesUpdates(deps: RulesUpdatesDeps): RulesUpdates {
  const keys = createKeyRing();
  void keys.remember(deps.current());
  let turn: Promise<unknown> = Promise.resolve();
  // What this hub last sent: the engine hands it back to this hub too.
  let sent: readonly AclRule[] | undefined;
  // The rules it started with count as made now.
  let version = rulesVersion(deps.now());

  async function apply(rules: readonly unknown[]): Promise<void> {
    const step = turn.then(async () => {
      try {
        const resolved = await keys.resolve(rules);
        deps.replace(resolved as AclRule[]); // throws, changing nothing, on bad rules
      } catch (error) {
        // A refusal of the rules, told apart from any other failure of the hub.
        if (error instanceof TypeError) throw new RulesError(error.message, { cause: error });
        throw error;
      }
      await keys.remember(deps.current());
    });
    turn = step.catch(() => {});
    await step;
    deps.audit({ level: "info", event: "acl.rules_updated", rules: rules.length });
    await deps.recheck();
  }

  return {
    async update(rules) {
      await apply(rules);
      sent = await redactRules(deps.current());
      version = rulesVersion(deps.now());
      // In force here whatever happens next; rejects when the others cannot be told.
      await deps.control({ type: "update_rules", rules: sent, version });
    },
    applyCommand(rules, received) {
      if (rules === sent) return;
      if (received !== undefined) {
        // Text from the engine: a version this hub holds, or an older one, changes nothing.
        if (typeof received !== "string" || received <= version) return;
        version = received;
      }
      apply(rules).catch((error) =>
        deps.log({
          level: "error",
          event: "acl.rules_refused",
          // Names the rule and the key's fingerprint, never a key.
          message: error instanceof TypeError ? error.message : undefined,
          error: error instanceof Error ? error.name : typeof error,
        })
      );
    },
    get version() {
      return version;
    },
  };
}
