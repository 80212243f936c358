/**
 * The signing rule on the publish path: after the ACL allowed a publish,
 * what the topic's `signed` rule says about it. One call per publication,
 * whatever the number of subscribers: the hub verifies once, then fans out
 * the verified payload with the exact JWS. Internal.
 *
 * @module
 */

import type { AclSignatureRequirement } from "../acl/signing.ts";
import { admitPublication } from "../signing/admit.ts";
import {
  createPublicationSigner,
  type PublicationSigner,
  type PublicationSigningKey,
} from "../signing/sign.ts";
import type { LogEntry } from "./log.ts";
import type { PublishErrorCode } from "./publish_error.ts";

/** A publication to fan out: the payload, and the JWS it was verified from. */
export interface PublishAdmitted {
  readonly ok: true;
  readonly payload: unknown;
  readonly jws?: string;
}

/** A refused publication: the code and message of the `error` frame. */
export interface PublishRefused {
  readonly ok: false;
  readonly code: PublishErrorCode;
  readonly message: string;
}

/** The outcome of {@linkcode SignedPublish.admit}. */
export type PublishAdmission = PublishAdmitted | PublishRefused;

/** Options of {@linkcode createSignedPublish}. */
export interface SignedPublishOptions {
  /** The signing requirement of a topic under the rules in force now. */
  signingFor(topic: string): AclSignatureRequirement | undefined;
  /** Reports a configured key the hub cannot import. */
  log(entry: LogEntry): void;
  /**
   * The replay window shared with the other hubs of the engine (the
   * engine's `claimOnce`): `false` for a `jti` another hub (or this one)
   * already accepted. Absent: this hub's own replay memory is the window.
   */
  claimOnce?(topic: string, id: string, ttlMs: number): Promise<boolean>;
  /** Current time, epoch ms. */
  now?(): number;
}

/** The signing rule of one hub, created by {@linkcode createSignedPublish}. */
export interface SignedPublish {
  /**
   * Admits a publication the ACL allowed. Returns `undefined`, at no cost,
   * for a plain publication to a topic that requires no signature; else a
   * promise that never rejects. One sender's admissions settle in the
   * order asked, so its signed publications keep their order.
   */
  admit(
    sender: object,
    topic: string,
    payload: unknown,
    jws: string | undefined,
  ): Promise<PublishAdmission> | undefined;
  /**
   * Signs a server-side publication and admits it as a client's would be,
   * so a key the topic does not accept fails here, not at every subscriber.
   * Rejects with a `TypeError` when the key cannot sign.
   */
  sign(
    topic: string,
    payload: unknown,
    key: PublicationSigningKey | PublicationSigner,
  ): Promise<PublishAdmission>;
}

/**
 * The `jti` of a verified compact JWS and until when (by its `iat`) a
 * replay of it must be refused.
 */
function replayOf(jws: string, holdMs: number): { id: string; until: number } | undefined {
  try {
    const part = jws.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const { jti, iat } = JSON.parse(new TextDecoder().decode(bytes));
    return typeof jti === "string" && typeof iat === "number"
      ? { id: jti, until: iat * 1000 + holdMs }
      : undefined;
  } catch {
    return undefined;
  }
}

function isSigner(key: unknown): key is PublicationSigner {
  return typeof key === "object" && key !== null &&
    typeof (key as PublicationSigner).sign === "function";
}

/**
 * Creates the signing rule of a hub.
 *
 * @param options Where the rules are read and errors reported.
 * @returns The signing rule.
 */
export function createSignedPublish(options: SignedPublishOptions): SignedPublish {
  const { signingFor, log, claimOnce } = options;
  const tails = new WeakMap<object, Promise<PublishAdmission>>();

  async function verify(
    topic: string,
    payload: unknown,
    jws: string | undefined,
  ): Promise<PublishAdmission> {
    const requirement = signingFor(topic);
    let admitted;
    try {
      admitted = await admitPublication(requirement?.verifier, { topic, payload, jws });
    } catch (error) {
      // Only a configured key the server cannot import throws: the server's
      // fault, reported without key material.
      log({
        level: "error",
        event: "signing.key_unusable",
        topic,
        rule: requirement?.rule.id ?? requirement?.rule.index,
        error: error instanceof Error ? error.name : typeof error,
      });
      return {
        ok: false,
        code: "INTERNAL",
        message: `Cannot verify publications to '${topic}' now: the server cannot use its key`,
      };
    }
    const hold = requirement?.verifier.replayHoldMs;
    if (!admitted.ok || admitted.jws === undefined || hold === undefined || !claimOnce) {
      return admitted;
    }
    const replay = replayOf(admitted.jws, hold);
    return replay === undefined ? admitted : await shared(topic, replay, admitted);
  }

  /** The publication, unless another hub accepted its `jti` within the window. */
  async function shared(
    topic: string,
    replay: { id: string; until: number },
    admitted: PublishAdmitted,
  ): Promise<PublishAdmission> {
    const ttlMs = replay.until - (options.now ?? Date.now)();
    if (ttlMs <= 0) return admitted; // stale: the verifier refused it already
    try {
      if (await claimOnce!(topic, replay.id, ttlMs)) {
        return { ok: true, payload: admitted.payload, jws: admitted.jws };
      }
      return {
        ok: false,
        code: "SIGNATURE_REPLAYED",
        message: "Signed publication was already published",
      };
    } catch (error) {
      // Fail closed: without the shared window a replay on another hub could pass.
      log({
        level: "error",
        event: "signing.replay_check_failed",
        topic,
        error: error instanceof Error ? error.name : typeof error,
      });
      return {
        ok: false,
        code: "INTERNAL",
        message: "Cannot publish now: the engine is unavailable",
      };
    }
  }

  function admit(
    sender: object,
    topic: string,
    payload: unknown,
    jws: string | undefined,
  ): Promise<PublishAdmission> | undefined {
    if (jws === undefined && signingFor(topic) === undefined) return undefined;
    const verdict = verify(topic, payload, jws);
    const before = tails.get(sender);
    const ordered = before === undefined ? verdict : before.then(() => verdict);
    tails.set(sender, ordered);
    void ordered.then(() => {
      if (tails.get(sender) === ordered) tails.delete(sender);
    });
    return ordered;
  }

  async function sign(
    topic: string,
    payload: unknown,
    key: PublicationSigningKey | PublicationSigner,
  ): Promise<PublishAdmission> {
    const signer = isSigner(key) ? key : createPublicationSigner(key);
    const jws = await signer.sign(topic, payload);
    return await verify(topic, null, jws);
  }

  return { admit, sign };
}
