/**
 * Tokens and keys: mint and verify JWTs, read them from requests, key
 * files and JWKS, the development key, roles and revocations.
 *
 * @example Mint and verify a token
 * ```ts
 * import { createTokenVerifier, mintToken } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-development-secret-of-32-bytes!!";
 * const token = await mintToken({ sub: "alice" }, { secret }, { ttl: "1h" });
 * assert.equal((await createTokenVerifier({ secret }).verify(token)).sub, "alice");
 * ```
 *
 * @module
 */

export * from "./principal.ts";
export * from "./errors.ts";
export * from "./duration.ts";
export * from "./algorithms.ts";
export * from "./mint.ts";
export * from "./verify.ts";
export * from "./roles.ts";
export * from "./extract.ts";
export * from "./dev_key.ts";
export * from "./keys.ts";
export * from "./revocations.ts";
