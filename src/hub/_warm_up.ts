/**
 * Start-up warm-up: runs the code a connection goes through (token
 * verification, the ACL, frame parsing and encoding) on made-up input before
 * the server listens, so the first clients of a fresh process, all of them
 * at once after a deploy, do not pay for compiling it and for its lazy
 * set-up. Pure: it touches no connection, metric, log or engine.
 *
 * @module
 */

import type { Acl } from "../acl/compile.ts";
import type { AclAction } from "../acl/rules.ts";
import { mintToken } from "../auth/mint.ts";
import type { Principal } from "../auth/principal.ts";
import type { TokenVerifier } from "../auth/verify.ts";
import type { JwsAlgorithm } from "../auth/algorithms.ts";
import { encodeAck, encodeFrame, errorFrame } from "../protocol/encode.ts";
import { type FrameLimits, parseClientFrame } from "../protocol/parse.ts";
import { encodeV1Publication } from "./codec/v1.ts";
import { Outgoing } from "./codec/outgoing.ts";

/** What the warm-up exercises. */
export interface WarmUpParts {
  /** The hub's verifier, when it verifies tokens. */
  readonly verifier: TokenVerifier | undefined;
  /** The HS secret, to mint tokens the verifier accepts; without it a token with a bad signature is checked. */
  readonly secret: string | Uint8Array | undefined;
  /** The `iss` and `aud` the verifier requires, if any. */
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** The compiled ACL. */
  readonly acl: Acl;
  /** The frame bounds. */
  readonly limits: FrameLimits;
}

/** Rounds of the cheap steps: enough for V8 to compile them past the interpreter. */
const ROUNDS = 500;
/** Token verifications: each is tens of microseconds, a few suffice to compile the path. */
const VERIFICATIONS = 20;

/**
 * Runs the hot paths on made-up input. Never throws: a step that fails
 * (a verifier that refuses the made-up token) has still run its code.
 *
 * @param parts The hub's verifier, ACL and frame bounds.
 */
export async function warmUp(parts: WarmUpParts): Promise<void> {
  const { verifier, acl, limits } = parts;
  let principal: Principal = {
    sub: "warm-up",
    roles: Object.freeze(["warm-up"]),
    claims: Object.freeze({ sub: "warm-up", acl: { "warm-up:*": ["subscribe", "publish"] } }),
    expiresAt: null,
  };
  if (verifier !== undefined) {
    const token = await warmUpToken(parts);
    for (let i = 0; i < VERIFICATIONS; i++) {
      try {
        principal = await verifier.verify(token);
      } catch {
        // Refused (no secret to mint with): the verification ran all the same.
      }
    }
  }
  const frames = [
    '{"type":"subscribe","id":1,"topic":"warm-up:a"}',
    '{"type":"publish","id":2,"topic":"warm-up:a","payload":{"seq":1,"t":1.5,"text":"x"}}',
    '{"type":"ping","id":3}',
    '{"type":"unsubscribe","id":4,"topic":"warm-up:a"}',
  ];
  const actions: AclAction[] = ["subscribe", "publish"];
  for (let i = 0; i < ROUNDS; i++) {
    for (const frame of frames) parseClientFrame(frame, limits);
    for (const action of actions) acl.decide(principal, action, `warm-up:${i % 8}`);
    encodeAck(i);
    encodeFrame(errorFrame("FORBIDDEN", "warm-up", i));
    encodeFrame({ type: "welcome", connectionId: `c${i}`, user: "warm-up", expiresAt: null });
    encodeV1Publication(
      new Outgoing(
        "warm-up:a",
        { data: `{"seq":${i}}`, from: "warm-up", ts: i },
        undefined,
        undefined,
      ),
    );
  }
}

async function warmUpToken(parts: WarmUpParts): Promise<string> {
  const claims = { sub: "warm-up", roles: ["warm-up"], acl: { "warm-up:*": ["subscribe"] } };
  const alg = parts.verifier?.algorithms[0];
  if (parts.secret !== undefined && alg !== undefined && alg.startsWith("HS")) {
    try {
      return await mintToken(claims, { secret: parts.secret }, {
        ttl: "5m",
        iss: parts.issuer,
        aud: parts.audience,
        alg: alg as JwsAlgorithm,
      });
    } catch {
      // Fall through to a token the verifier refuses at its signature.
    }
  }
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
  const exp = Math.floor(Date.now() / 1000) + 300;
  return `${part({ alg: alg ?? "HS256", typ: "JWT" })}.${part({ ...claims, exp })}.${
    part("no-signature")
  }`;
}
