// The operator credential of the accounts admin routes: the admin API key
// (compared as SHA-256 digests in constant time) or a hub JWT carrying the
// admin role. Mirrors the admin API's rule without importing its internals.

import type { TokenVerifier } from "../auth/verify.ts";
import { AccountsError } from "./errors.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export interface OperatorAuth {
  apiKey?: string;
  verifier?: TokenVerifier;
  adminRole: string;
}

/** Resolves to the actor (`api_key` or the JWT's subject), or throws UNAUTHORIZED / FORBIDDEN. */
export function createOperatorCheck(auth: OperatorAuth): (req: Request) => Promise<string> {
  const keyDigest = auth.apiKey === undefined ? undefined : digest(auth.apiKey);
  const unauthorized = () =>
    new AccountsError(
      "UNAUTHORIZED",
      "An admin credential is required: Authorization: Bearer <key or token>",
    );
  return async function operator(req) {
    const match = /^Bearer[ \t]+(\S{1,8192})[ \t]*$/i.exec(req.headers.get("authorization") ?? "");
    if (match === null) throw unauthorized();
    const credential = match[1];
    if (keyDigest !== undefined && equal(await keyDigest, await digest(credential))) {
      return "api_key";
    }
    if (auth.verifier === undefined) throw unauthorized();
    let principal;
    try {
      principal = await auth.verifier.verify(credential);
    } catch {
      throw unauthorized();
    }
    if (!principal.roles.includes(auth.adminRole)) {
      throw new AccountsError("FORBIDDEN", `The '${auth.adminRole}' role is required`);
    }
    return principal.sub;
  };
}
