// Carrying signed rules' replay memories from the rules being replaced to
// the new ones. A publication accepted before a rules update can be
// published again after it only if it still verifies, so only if its key is
// among the keys of the rule that now decides its topic. So a new signed
// pattern takes the memory the same pattern had under keys sharing a key
// with its own (the same keys, or a rotation adding or dropping one). A
// memory no new rule takes is kept aside, dormant, until the last id it
// holds would be stale anyway: rules switched to other keys and back, or a
// signed rule removed and restored, find it again.

import type { PublicationKeys } from "../signing/verify.ts";
import type { ReplayMemory } from "../signing/replay_memory.ts";

/** A signed pattern's replay memory and the keys it was filled under. */
export interface CarriedMemory {
  readonly keys: ReadonlySet<string>;
  readonly memory: ReplayMemory;
}

/** One identity per key: a set of keys is the identities of its members. */
export function keyIdentities(keys: PublicationKeys): Set<string> {
  if (typeof keys === "object" && keys !== null && !(keys instanceof Uint8Array)) {
    const members = (keys as { keys?: unknown }).keys;
    if (Array.isArray(members)) return new Set(members.map((key) => identity(key)));
  }
  return new Set([identity(keys)]);
}

function identity(key: unknown): string {
  if (key instanceof Uint8Array) return "bytes:" + Array.from(key, hex).join("");
  if (typeof key === "string") return "text:" + key;
  return "json:" + canonicalJson(key);
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/** JSON with object keys sorted, so equal keys written in another order are equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${
      Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
        .join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The memory a new signed pattern takes over from those the pattern had:
 * the one filled under the same keys, else one sharing a key.
 */
export function carriedMemory(
  had: readonly CarriedMemory[] | undefined,
  keys: ReadonlySet<string>,
): ReplayMemory | undefined {
  if (had === undefined) return undefined;
  const same = had.find((h) => h.keys.size === keys.size && [...keys].every((k) => h.keys.has(k)));
  if (same !== undefined) return same.memory;
  return had.find((h) => [...keys].some((k) => h.keys.has(k)))?.memory;
}

/**
 * Adds to `into` the memories of `had` that no new rule took and that may
 * still refuse something at `now`: kept for a later update to find.
 */
export function keepDormant(
  had: ReadonlyMap<string, readonly CarriedMemory[]>,
  into: Map<string, CarriedMemory[]>,
  now: number,
): void {
  for (const [pattern, memories] of had) {
    const taken = new Set(into.get(pattern)?.map((m) => m.memory));
    for (const carried of memories) {
      if (taken.has(carried.memory) || carried.memory.heldUntil <= now) continue;
      const list = into.get(pattern) ?? [];
      list.push(carried);
      into.set(pattern, list);
    }
  }
}
