/**
 * One shared, deeply frozen copy of each object or array claim value that
 * many tokens carry alike (`roles: ["member"]`, a capability claim): every
 * connection of such tokens then holds the same value, not a parsed copy of
 * its own, and what is derived from it once per object (the ACL's parsed
 * grants) is derived once for all of them. Internal to the verifier.
 *
 * @module
 */

/** Longest JSON text of a value that is shared; larger values stay per token. */
const MAX_SHARED_CHARS = 2048;

/** Distinct values kept; past it the table starts over, so it stays bounded. */
const MAX_SHARED_VALUES = 1024;

/** Shares identical claim values between verified tokens. */
export class ClaimInterner {
  #values = new Map<string, unknown>();

  /**
   * Replaces each object or array value of `payload` with the shared copy of
   * an equal one, in place (the payload is the verifier's own, not frozen
   * yet). Primitive values stay as they are.
   */
  intern(payload: Record<string, unknown>): void {
    for (const name in payload) {
      const value = payload[name];
      if (typeof value !== "object" || value === null) continue;
      const text = JSON.stringify(value);
      if (text.length > MAX_SHARED_CHARS) continue;
      const shared = this.#values.get(text);
      if (shared !== undefined) {
        payload[name] = shared;
        continue;
      }
      if (this.#values.size >= MAX_SHARED_VALUES) this.#values.clear();
      this.#values.set(text, deepFreeze(value));
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
