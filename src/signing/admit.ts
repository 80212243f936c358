/**
 * The decision the hub takes on a publish once the ACL allowed it: a plain
 * payload, or a signed one verified with the topic's verifier.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/codes.ts";
import type { PublicationVerifier, SignatureErrorCode } from "./verify.ts";

/** A publication the hub may fan out. */
export interface AdmittedPublication {
  /** Discriminant. */
  ok: true;
  /** The payload to deliver: the frame's, or the verified `data` claim. */
  payload: unknown;
  /** The compact JWS to deliver with it, for a signed publication. */
  jws?: string;
}

/** A publication the hub refuses, with the code and message of its `error` frame. */
export interface RefusedAdmission {
  /** Discriminant. */
  ok: false;
  /** Stable code. */
  code: SignatureErrorCode | Extract<ErrorCode, "BAD_REQUEST">;
  /** Safe to show: never the JWS or a key. */
  message: string;
}

/** The outcome of {@linkcode admitPublication}. */
export type Admission = AdmittedPublication | RefusedAdmission;

/** The fields of a publish frame {@linkcode admitPublication} reads. */
export interface PublishInput {
  /** The concrete topic. */
  topic: string;
  /** The plain payload (ignored when `jws` is set). */
  payload: unknown;
  /** The compact JWS of a signed publication. */
  jws?: string;
}

/**
 * Admits a publish the ACL allowed. A topic with a verifier (from
 * `acl.signingFor(topic)`) takes only signed publications: a plain one gets
 * `SIGNATURE_REQUIRED`, a signed one is verified. A topic without one takes
 * only plain publications: the hub forwards no signature it has not
 * verified, so a signed one gets `BAD_REQUEST`.
 *
 * @param verifier The topic's verifier, or `undefined` when it requires none.
 * @param publish The publish frame's topic, payload and jws.
 * @returns What to fan out, or the refusal to answer with.
 * @throws {TypeError} Only when a configured key cannot be imported (see
 * {@linkcode PublicationVerifier.verify}).
 *
 * @example Admit publishes to a signed topic
 * ```ts
 * import { admitPublication, createPublicationVerifier, signPublication } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const verifier = createPublicationVerifier({ keys: secret });
 * const jws = await signPublication("prices:eur", 1.08, secret);
 *
 * const signed = await admitPublication(verifier, { topic: "prices:eur", payload: null, jws });
 * assert.deepEqual(signed, { ok: true, payload: 1.08, jws });
 *
 * const plain = await admitPublication(verifier, { topic: "prices:eur", payload: 9.99 });
 * assert.equal(plain.ok ? "ok" : plain.code, "SIGNATURE_REQUIRED");
 * ```
 */
export async function admitPublication(
  verifier: PublicationVerifier | undefined,
  publish: PublishInput,
): Promise<Admission> {
  const { topic, payload, jws } = publish;
  if (verifier === undefined) {
    if (jws === undefined) return { ok: true, payload };
    return {
      ok: false,
      code: "BAD_REQUEST",
      message: "Topic takes no signed publications: publish a 'payload' instead",
    };
  }
  if (jws === undefined) {
    return {
      ok: false,
      code: "SIGNATURE_REQUIRED",
      message: "Topic takes only signed publications: publish a 'jws' instead of a 'payload'",
    };
  }
  const result = await verifier.verify(topic, jws);
  if (!result.ok) return { ok: false, code: result.code, message: result.message };
  return { ok: true, payload: result.payload, jws: result.jws };
}
