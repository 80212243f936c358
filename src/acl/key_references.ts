/**
 * Secret keys of signed rules, named by fingerprint where they must not
 * travel. The admin API answers rules with each secret `signed.keys`
 * replaced by `{"fingerprint": "sha256:..."}`, takes such a reference back
 * in place of the key it names, and refuses a secret sent over HTTP; the
 * engine's control channel carries rules the same way, and each hub
 * resolves the references from the keys it holds. Public keys are shown
 * and sent as they are.
 *
 * @module
 */

import type { AclRule } from "./rules.ts";
import { isSecretKeys, publicationKeysFingerprint } from "../signing/key_fingerprint.ts";
import type { PublicationKeys } from "../signing/verify.ts";
import { ruleLabel } from "./_validate.ts";

/**
 * What stands for a secret `signed.keys` outside the process that holds it.
 *
 * @example A rule as `GET /v1/realtime/rules` answers it
 * ```ts
 * import type { KeyReference } from "./key_references.ts";
 *
 * const keys: KeyReference = { fingerprint: "sha256:0123456789abcdef0123456789abcdef" };
 * const rule = { effect: "allow", actions: ["publish"], topics: ["prices:*"], signed: { keys } };
 * ```
 */
export interface KeyReference {
  /** `sha256:` and 32 hex digits, from `publicationKeysFingerprint`. */
  readonly fingerprint: string;
}

const FINGERPRINT_RE = /^sha256:[0-9a-f]{32}$/;

/** Most secrets a key ring remembers; the oldest is forgotten first. */
const MAX_REMEMBERED = 256;

/**
 * Whether a value is a {@linkcode KeyReference}: an object whose only field
 * is a well-formed `fingerprint`.
 *
 * @param value Any value, such as a rule's `signed.keys` from JSON.
 * @returns Whether it names keys by fingerprint.
 */
export function isKeyReference(value: unknown): value is KeyReference {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = Object.keys(value);
  const fingerprint = (value as { fingerprint?: unknown }).fingerprint;
  return fields.length === 1 && typeof fingerprint === "string" && FINGERPRINT_RE.test(fingerprint);
}

/** A rule's `signed.keys`, read safely from anything. */
function signedKeys(rule: unknown): unknown {
  if (typeof rule !== "object" || rule === null) return undefined;
  const signed = (rule as { signed?: unknown }).signed;
  return typeof signed === "object" && signed !== null
    ? (signed as { keys?: unknown }).keys
    : undefined;
}

function withKeys<T>(rule: T, keys: unknown): T {
  const r = rule as { signed: Record<string, unknown> };
  return { ...r, signed: { ...r.signed, keys } } as T;
}

function label(rule: unknown, index: number): string {
  const id = (rule as { id?: unknown }).id;
  return ruleLabel(index, typeof id === "string" ? id : undefined);
}

/**
 * The rules with every secret `signed.keys` replaced by its
 * {@linkcode KeyReference}; other rules and public keys are kept as they are.
 *
 * @param rules The rules, such as `hub.rules`.
 * @returns New rules safe to show or send.
 */
export async function redactRules(rules: readonly AclRule[]): Promise<AclRule[]> {
  return await Promise.all(rules.map(async (rule) => {
    const keys = signedKeys(rule);
    if (keys === undefined || !isSecretKeys(keys)) return rule;
    const fingerprint = await publicationKeysFingerprint(keys as PublicationKeys);
    return withKeys(rule, { fingerprint } satisfies KeyReference);
  }));
}

/**
 * What is wrong with rules that came over HTTP: the first one carrying a
 * secret in `signed.keys`, which is never accepted there.
 *
 * @param rules Rules from a request body.
 * @returns The problem (without the secret), or `undefined`.
 */
export function secretKeysProblem(rules: readonly unknown[]): string | undefined {
  const index = rules.findIndex((rule) => {
    const keys = signedKeys(rule);
    return keys !== undefined && !isKeyReference(keys) && isSecretKeys(keys);
  });
  if (index < 0) return undefined;
  return `Invalid ACL rule ${
    label(rules[index], index)
  }: signed.keys holds a secret key, which is never sent over HTTP: set it in the hub's configuration, and refer to a key the hub holds by the {"fingerprint": ...} the rules are answered with`;
}

/**
 * The secret keys a hub has held, by fingerprint, to resolve the
 * references in rules from the admin API or another hub.
 */
export interface KeyRing {
  /** Remembers the secret keys of rules now in force. */
  remember(rules: readonly AclRule[]): Promise<void>;
  /**
   * The rules with every {@linkcode KeyReference} replaced by the key it
   * names; rules without one are returned as given.
   *
   * @throws {TypeError} Naming the rule and fingerprint of a reference to a key this ring does not hold.
   */
  resolve<T>(rules: readonly T[]): Promise<T[]>;
}

/**
 * Creates an empty {@linkcode KeyRing}.
 *
 * @returns The key ring.
 *
 * @example Resolve a reference to a key in force
 * ```ts
 * import { createKeyRing, redactRules } from "./key_references.ts";
 * import type { AclRule } from "./rules.ts";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const rules: AclRule[] = [
 *   { effect: "allow", actions: ["publish"], topics: ["prices:*"], signed: { keys: secret } },
 * ];
 * const ring = createKeyRing();
 * await ring.remember(rules);
 * const shown = await redactRules(rules);
 * assert.equal(JSON.stringify(shown).includes(secret), false);
 * assert.equal((await ring.resolve(shown))[0].signed?.keys, secret);
 * ```
 */
export function createKeyRing(): KeyRing {
  const keys = new Map<string, PublicationKeys>();
  // Remembering hashes asynchronously: a resolve waits for what came before it.
  let remembered: Promise<void> = Promise.resolve();
  async function add(rules: readonly AclRule[]): Promise<void> {
    for (const rule of rules) {
      const secret = signedKeys(rule);
      if (secret === undefined || !isSecretKeys(secret)) continue;
      const fingerprint = await publicationKeysFingerprint(secret as PublicationKeys);
      keys.delete(fingerprint); // re-inserted as the newest
      keys.set(fingerprint, secret as PublicationKeys);
      if (keys.size > MAX_REMEMBERED) keys.delete(keys.keys().next().value!);
    }
  }
  return {
    remember(rules) {
      // A key that cannot be hashed is not remembered; it never stops later ones.
      remembered = remembered.then(() => add(rules)).catch(() => {});
      return remembered;
    },
    async resolve(rules) {
      if (!rules.some((rule) => isKeyReference(signedKeys(rule)))) return [...rules];
      await remembered;
      return rules.map((rule, index) => {
        const reference = signedKeys(rule);
        if (!isKeyReference(reference)) return rule;
        const secret = keys.get(reference.fingerprint);
        if (secret === undefined) {
          throw new TypeError(
            `Invalid ACL rule ${
              label(rule, index)
            }: signed.keys names the key ${reference.fingerprint}, which this hub does not hold: set the key in the hub's configuration`,
          );
        }
        return withKeys(rule, secret);
      });
    },
  };
}
