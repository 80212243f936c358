/**
 * The error of a rules replacement that was refused: the rules (or a key
 * they name by fingerprint) are invalid, and nothing changed.
 *
 * @module
 */

/**
 * Thrown by `hub.updateRules` when the new rules cannot be compiled or name
 * a key the hub does not hold; the rules in force stay. A `TypeError`, as
 * every refusal of bad options is, so that callers may tell it apart from a
 * failure of the hub itself (which is never shown to an admin client).
 *
 * @example Refuse bad rules
 * ```ts
 * import { RulesError } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * const error = new RulesError("Rule 0 has no topics");
 * assert.ok(error instanceof TypeError);
 * assert.equal(error.name, "RulesError");
 * ```
 */
export class RulesError extends TypeError {
  /**
   * Creates the error of a refused rules replacement.
   *
   * @param message What is wrong with the rules (never a key).
   * @param options The original error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RulesError";
  }
}
