/**
 * Verifying signed publications: a compact JWS whose payload is a JWT claims
 * set `{topic, data, jti, iat, exp?}` signed by the owner of a topic.
 *
 * @module
 */

import { compactVerify } from "../auth/jose.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import { createKeySource } from "../auth/_key_source.ts";
import { keySourceOptions, type PublicationKeys } from "./_keys.ts";
import { createReplayMemory, type ReplayMemory } from "./replay_memory.ts";
import { ALG_NAME, compactHeader, freshnessRefusal, joseRefusal, refuse, UTF8 } from "./_checks.ts";

export type { PublicationKeys } from "./_keys.ts";

/** The error codes a refused signed publication carries. */
export type SignatureErrorCode = Extract<
  ErrorCode,
  | "SIGNATURE_REQUIRED"
  | "SIGNATURE_INVALID"
  | "SIGNATURE_ALGORITHM"
  | "SIGNATURE_TOPIC"
  | "SIGNATURE_EXPIRED"
  | "SIGNATURE_REPLAYED"
  | "SIGNATURE_TOO_LARGE"
  | "RATE_LIMITED"
>;

/** The claims of a signed publication, as signed. */
export interface PublicationClaims {
  /** The concrete topic the publication is for. */
  topic: string;
  /** The message; `null` when the claim is absent. */
  data: unknown;
  /** A unique id, so the publication cannot be replayed. */
  jti?: string;
  /** When it was signed, in epoch seconds. */
  iat?: number;
  /** After when it may no longer be published, in epoch seconds. */
  exp?: number;
  /** Any other claim the signer added. */
  [claim: string]: unknown;
}

/** A signed publication that verified. */
export interface VerifiedPublication {
  /** Discriminant. */
  ok: true;
  /** The message: the `data` claim. */
  payload: unknown;
  /** The compact JWS exactly as received. */
  jws: string;
  /** Every claim of the JWS payload. */
  claims: PublicationClaims;
}

/** A signed publication that was refused, with a stable code and a message safe to show. */
export interface RefusedPublication {
  /** Discriminant. */
  ok: false;
  /** Why, as a stable code. */
  code: SignatureErrorCode;
  /** What was wrong; never contains the JWS, a key or a claim value. */
  message: string;
}

/** The outcome of {@linkcode PublicationVerifier.verify}. */
export type PublicationVerification = VerifiedPublication | RefusedPublication;

/** Options for {@linkcode createPublicationVerifier}. */
export interface PublicationVerifierOptions {
  /**
   * The keys: a shared secret (a string that is not PEM, at least 32 bytes,
   * or bytes), a PEM public key or certificate, a public JWK, a symmetric
   * (`oct`) JWK used as a secret, or a JWK set of public keys.
   */
  keys: PublicationKeys;
  /**
   * The algorithms to accept; derived from the key when omitted, exactly as
   * for tokens (a secret allows only HS*, a public key never HS*, `none`
   * never). Listing one the key cannot serve throws a TypeError.
   *
   * @default {undefined}
   */
  algorithms?: string[];
  /**
   * How long after its `iat` a publication is accepted, and so how long its
   * `jti` is remembered, in milliseconds.
   *
   * @default {300_000}
   */
  replayWindowMs?: number;
  /** Most `jti` values remembered at once; beyond it publications get `RATE_LIMITED`. @default {100_000} */
  maxReplayEntries?: number;
  /**
   * The memory of accepted `jti` values, instead of a new one of
   * `maxReplayEntries`: give a verifier that replaces another (for the same
   * topics and keys) the memory of the one it replaces, so what was accepted
   * before is still refused as a replay.
   *
   * @default {undefined} (a new memory)
   */
  replays?: ReplayMemory;
  /** Longest compact JWS accepted, checked before any decoding. @default {32_768} */
  maxJwsBytes?: number;
  /** Allowed clock skew for `iat`, `exp` and `nbf`, in seconds. @default {5} */
  clockToleranceSec?: number;
  /**
   * Check `iat`, `exp`, `nbf` and `jti` (what the hub does before fan-out).
   * A subscriber verifying what it received, possibly from history long
   * after, turns this off: the signature and the topic are then what count.
   *
   * @default {true}
   */
  checkFreshness?: boolean;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Verifies signed publications; created by {@linkcode createPublicationVerifier}. */
export interface PublicationVerifier {
  /**
   * Verifies one signed publication for a topic. Never rejects for bad
   * input; rejects with a `TypeError` only when a configured key cannot be
   * imported (the server's fault, not the publisher's).
   *
   * @param topic The concrete topic it is published to.
   * @param jws The compact JWS as received.
   * @returns The verified publication or the refusal.
   */
  verify(topic: string, jws: string): Promise<PublicationVerification>;
  /** The algorithms this verifier accepts. */
  readonly algorithms: readonly string[];
  /**
   * How long after a publication's `iat` its `jti` must be remembered to
   * refuse a replay (the replay window plus the clock tolerance), in ms;
   * absent when the verifier checks no freshness. A hub sharing its replay
   * memory with other hubs keeps each `jti` that long in the engine.
   */
  readonly replayHoldMs?: number;
}

function checkOptions(options: PublicationVerifierOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("Cannot create a publication verifier as 'options' is not an object");
  }
  const numbers: [string, number | undefined, number][] = [
    ["replayWindowMs", options.replayWindowMs, 1000],
    ["maxReplayEntries", options.maxReplayEntries, 1],
    ["maxJwsBytes", options.maxJwsBytes, 16],
    ["clockToleranceSec", options.clockToleranceSec, 0],
  ];
  for (const [name, value, min] of numbers) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new RangeError(
        `Cannot create a publication verifier as '${name}' is ${value}: expected a whole number of at least ${min}`,
      );
    }
  }
  if (
    options.replays !== undefined &&
    (typeof options.replays !== "object" || options.replays === null ||
      typeof options.replays.add !== "function")
  ) {
    throw new TypeError(
      "Cannot create a publication verifier as 'replays' is not a ReplayMemory",
    );
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    throw new TypeError("Cannot create a publication verifier as 'now' is not a function");
  }
  if (options.checkFreshness !== undefined && typeof options.checkFreshness !== "boolean") {
    throw new TypeError(
      "Cannot create a publication verifier as 'checkFreshness' is not a boolean",
    );
  }
}

/**
 * Creates a verifier for signed publications. Options are validated and keys
 * imported once, here. Each publication is checked in a fixed order: size
 * (before any decoding), format, algorithm (the header's `alg` must be in the
 * allowlist fixed by the key type: never trusted on its own), signature, then
 * the claims: `topic` must equal the topic published to; with freshness
 * checks, `iat` must lie within the replay window (and not in the future),
 * `exp` and `nbf`, when present, must hold, and `jti` must not have been
 * accepted before. A `jti` is recorded only once everything else passed.
 *
 * @param options The keys and the checks to apply.
 * @returns A verifier whose `verify` resolves to the verified publication or
 * a refusal with a stable code.
 * @throws {TypeError} When the keys or options are unusable (a private key,
 * an algorithm the key cannot serve, `none`).
 * @throws {RangeError} When a secret is shorter than 32 bytes or a number is out of range.
 *
 * @example Verify what a publisher signed
 * ```ts
 * import { createPublicationVerifier, signPublication } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const verifier = createPublicationVerifier({ keys: secret });
 * const jws = await signPublication("sensors:42", { celsius: 21.5 }, secret);
 *
 * const result = await verifier.verify("sensors:42", jws);
 * assert.equal(result.ok, true);
 * if (result.ok) assert.deepEqual(result.payload, { celsius: 21.5 });
 *
 * const again = await verifier.verify("sensors:42", jws);
 * assert.equal(again.ok ? "accepted" : again.code, "SIGNATURE_REPLAYED");
 * ```
 */
export function createPublicationVerifier(
  options: PublicationVerifierOptions,
): PublicationVerifier {
  checkOptions(options);
  const {
    keys,
    replayWindowMs = 300_000,
    maxReplayEntries = 100_000,
    maxJwsBytes = 32_768,
    clockToleranceSec = 5,
    checkFreshness = true,
    now = Date.now,
  } = options;
  const source = createKeySource({
    ...keySourceOptions(keys, "keys"),
    algorithms: options.algorithms,
    subject: "publication verifier",
  });
  const algorithms = Object.freeze([...source.algorithms]);
  const allowed = new Set<string>(algorithms);
  const joseAlgorithms = [...algorithms];
  const toleranceMs = clockToleranceSec * 1000;
  const replays = options.replays ?? createReplayMemory({ maxEntries: maxReplayEntries });

  async function verify(topic: string, jws: string): Promise<PublicationVerification> {
    if (typeof jws !== "string" || jws.length === 0) {
      return refuse("SIGNATURE_INVALID", "Signed publication is missing");
    }
    // Length in UTF-16 units equals bytes for any well-formed (ASCII) JWS.
    if (jws.length > maxJwsBytes) {
      return refuse(
        "SIGNATURE_TOO_LARGE",
        `Signed publication is larger than ${maxJwsBytes} bytes`,
      );
    }
    const header = compactHeader(jws);
    if (header === undefined) {
      return refuse("SIGNATURE_INVALID", "Signed publication is not a valid compact JWS");
    }
    if (typeof header.alg !== "string" || !allowed.has(header.alg)) {
      const seen = typeof header.alg === "string" && ALG_NAME.test(header.alg)
        ? `'${header.alg}'`
        : "of the header";
      return refuse(
        "SIGNATURE_ALGORITHM",
        `Signed publication algorithm ${seen} is not allowed for this topic: expected ${
          algorithms.join(", ")
        }`,
      );
    }
    let bytes: Uint8Array;
    try {
      ({ payload: bytes } = await compactVerify(jws, source.resolve, {
        algorithms: joseAlgorithms,
      }));
    } catch (error) {
      return joseRefusal(error);
    }
    let claims: unknown;
    try {
      claims = JSON.parse(UTF8.decode(bytes));
    } catch {
      return refuse("SIGNATURE_INVALID", "Signed publication payload is not JSON");
    }
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
      return refuse("SIGNATURE_INVALID", "Signed publication payload is not a JSON object");
    }
    const signed = claims as PublicationClaims;
    if (typeof signed.topic !== "string") {
      return refuse("SIGNATURE_TOPIC", "Signed publication has no 'topic' claim");
    }
    if (signed.topic !== topic) {
      return refuse("SIGNATURE_TOPIC", "Signed publication was signed for another topic");
    }
    if (checkFreshness) {
      const refusal = freshnessRefusal(signed, now(), { replayWindowMs, toleranceMs, replays });
      if (refusal !== undefined) return refusal;
    }
    const payload = Object.hasOwn(signed, "data") ? signed.data : null;
    return { ok: true, payload, jws, claims: signed };
  }

  return checkFreshness
    ? { verify, algorithms, replayHoldMs: replayWindowMs + toleranceMs }
    : { verify, algorithms };
}
