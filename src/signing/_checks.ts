/**
 * The checks of a signed publication that need no key: its format, the
 * mapping of jose's failures to stable codes, and the claims that make it
 * fresh (`iat`, `exp`, `nbf`, `jti`).
 *
 * @module
 */

import {
  base64urlDecode,
  JOSEAlgNotAllowed,
  JOSENotSupported,
  JWSSignatureVerificationFailed,
} from "../auth/jose.ts";
import { AuthError } from "../auth/errors.ts";
import { KeyImportError } from "../auth/_key_source.ts";
import type { ReplayMemory } from "./replay_memory.ts";
import type { PublicationClaims, RefusedPublication, SignatureErrorCode } from "./verify.ts";

/** Longest `jti` accepted: it is held in memory for the whole replay window. */
export const MAX_JTI_LENGTH = 128;
/** A strict UTF-8 decoder: a JWS segment that is not UTF-8 is malformed. */
export const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** An `alg` value safe to repeat in a message; anything else is not echoed. */
export const ALG_NAME = /^[A-Za-z0-9+-]{1,16}$/;

/** Three base64url parts; the header and payload non-empty, the signature possibly empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The protected header of a compact JWS, or `undefined` when it is not one.
 * Decoded with jose's base64url rather than `Uint8Array.fromBase64`, which
 * older browsers lack: subscribers verify in browsers too.
 */
export function compactHeader(jws: string): Record<string, unknown> | undefined {
  if (!COMPACT.test(jws)) return undefined;
  try {
    const header = JSON.parse(UTF8.decode(base64urlDecode(jws.slice(0, jws.indexOf(".")))));
    return typeof header === "object" && header !== null && !Array.isArray(header)
      ? header
      : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal with its stable code and message. */
export function refuse(code: SignatureErrorCode, message: string): RefusedPublication {
  return { ok: false, code, message };
}

/** The refusal for a failure of jose's `compactVerify`; a key the server cannot import rethrows. */
export function joseRefusal(error: unknown): RefusedPublication {
  if (error instanceof KeyImportError) throw error;
  if (error instanceof AuthError) {
    return error.reason === "alg_not_allowed"
      ? refuse("SIGNATURE_ALGORITHM", "Signed publication algorithm is not allowed for this topic")
      : refuse("SIGNATURE_INVALID", "Signed publication key is unknown");
  }
  if (error instanceof JOSEAlgNotAllowed || error instanceof JOSENotSupported) {
    return refuse(
      "SIGNATURE_ALGORITHM",
      "Signed publication algorithm is not allowed for this topic",
    );
  }
  if (error instanceof JWSSignatureVerificationFailed) {
    return refuse("SIGNATURE_INVALID", "Signed publication signature does not verify");
  }
  return refuse("SIGNATURE_INVALID", "Signed publication is not a valid compact JWS");
}

/** What the freshness checks need from the verifier. */
export interface FreshnessContext {
  readonly replayWindowMs: number;
  readonly toleranceMs: number;
  readonly replays: ReplayMemory;
}

/**
 * Why a publication is not fresh, or `undefined` when it is and its `jti`
 * was recorded (so this runs last, after every other check passed).
 */
export function freshnessRefusal(
  claims: PublicationClaims,
  at: number,
  context: FreshnessContext,
): RefusedPublication | undefined {
  const { replayWindowMs, toleranceMs, replays } = context;
  const { iat, exp, nbf, jti } = claims;
  if (typeof iat !== "number" || !Number.isFinite(iat)) {
    return refuse("SIGNATURE_INVALID", "Signed publication has no numeric 'iat' claim");
  }
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    return refuse(
      "SIGNATURE_INVALID",
      `Signed publication has no 'jti' claim of 1 to ${MAX_JTI_LENGTH} characters`,
    );
  }
  for (const [name, value] of [["exp", exp], ["nbf", nbf]] as const) {
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      return refuse("SIGNATURE_INVALID", `Signed publication claim '${name}' is not a number`);
    }
  }
  if (iat * 1000 > at + toleranceMs) {
    return refuse("SIGNATURE_EXPIRED", "Signed publication is issued in the future");
  }
  const staleAt = iat * 1000 + replayWindowMs + toleranceMs;
  if (staleAt <= at) {
    return refuse(
      "SIGNATURE_EXPIRED",
      `Signed publication is older than the replay window of ${replayWindowMs} ms`,
    );
  }
  const expiresAt = typeof exp === "number" ? exp * 1000 + toleranceMs : Infinity;
  if (expiresAt <= at) return refuse("SIGNATURE_EXPIRED", "Signed publication has expired");
  if (typeof nbf === "number" && nbf * 1000 > at + toleranceMs) {
    return refuse("SIGNATURE_EXPIRED", "Signed publication is not valid yet");
  }
  // Remembered until it would be stale anyway: a replay is either remembered or too old.
  switch (replays.add(jti, Math.min(staleAt, expiresAt), at)) {
    case "replayed":
      return refuse("SIGNATURE_REPLAYED", "Signed publication was already published");
    case "full":
      return refuse(
        "RATE_LIMITED",
        "Too many signed publications within the replay window: retry later",
      );
  }
  return undefined;
}
