/**
 * Which key the CLI signs and verifies with: a key file, the environment the
 * hub reads, a config file, or the development key `deno task start` uses.
 *
 * @module
 */

import type { JwsAlgorithm } from "../auth/algorithms.ts";
import type { SigningKeyInput } from "../auth/mint.ts";
import type { JwtOptions, TokenVerifier } from "../auth/verify.ts";
import { DEFAULT_DEV_KEY_DIR } from "../auth/dev_key.ts";
import type { ServerConfig } from "../server/config.ts";
import { CliError, ExitCode } from "./errors.ts";

/** The development key's directory, relative to the working directory, as `deno task start` uses it. */
export const DEV_KEY_DIR = DEFAULT_DEV_KEY_DIR;

/** A key to sign with, and where it came from. */
export interface SigningChoice {
  /** The key for `mintToken`. */
  key: SigningKeyInput;
  /** The algorithm, when the key decides it. */
  alg?: JwsAlgorithm;
  /** The key id to put in the header (from a JWK's `kid`). */
  kid?: string;
  /** Where the key came from, for messages. */
  source: string;
  /** Set when the development key was created by this call. */
  createdDevKey?: string;
}

/**
 * Finds the signing key: `--key FILE`, else `REALTIME_JWT_SECRET`, else the
 * development key (created if absent, as `deno task start` does).
 *
 * @param keyFile The `--key` argument.
 * @param alg The `--alg` argument.
 * @param env The environment.
 * @returns The key and its source.
 */
export async function resolveSigningKey(
  keyFile: string | undefined,
  alg: JwsAlgorithm | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SigningChoice> {
  if (keyFile !== undefined) {
    const { readKeyFile } = await import("../auth/keys.ts");
    const file = await readKeyFile(keyFile);
    if (file.kind === "secret") return { key: { secret: file.secret }, source: `'${keyFile}'` };
    if (file.kind !== "private") {
      throw new CliError(
        ExitCode.Usage,
        `Cannot sign with '${keyFile}': it holds a public key; pass the private key with --key`,
      );
    }
    const jwk = typeof file.privateKey === "string" ? undefined : file.privateKey as JsonWebKey & {
      kid?: string;
    };
    const chosen = alg ?? (jwk?.alg as JwsAlgorithm | undefined) ?? file.algorithms[0];
    return {
      key: { privateKey: file.privateKey, alg: chosen },
      alg: chosen,
      kid: jwk?.kid,
      source: `'${keyFile}'`,
    };
  }
  if (env.REALTIME_JWT_SECRET !== undefined && env.REALTIME_JWT_SECRET !== "") {
    return { key: { secret: env.REALTIME_JWT_SECRET }, source: "REALTIME_JWT_SECRET" };
  }
  for (const name of ["REALTIME_JWT_PUBLIC_KEY", "REALTIME_JWKS_URL"]) {
    if (env[name] !== undefined && env[name] !== "") {
      throw new CliError(
        ExitCode.Usage,
        `Cannot sign without --key: ${name} is set, so the hub verifies with a public key; pass its private key with --key FILE`,
      );
    }
  }
  const { ensureDevKey } = await import("../auth/dev_key.ts");
  const devKey = await ensureDevKey(DEV_KEY_DIR);
  return {
    key: { secret: devKey.secret },
    source: `the development key (${devKey.path})`,
    createdDevKey: devKey.created ? devKey.path : undefined,
  };
}

/** A verifier and where its key came from. */
export interface VerifierChoice {
  /** The verifier. */
  verifier: TokenVerifier;
  /** Where the key came from, for messages. */
  source: string;
}

/**
 * Finds the verification key: `--key FILE`, else what the hub's
 * configuration names (environment or config file), else the development
 * key if it exists. Claim checks (issuer, audience, roles claim) come from
 * the configuration.
 *
 * @param keyFile The `--key` argument.
 * @param config The configuration, from `loadServerConfig`.
 * @param configPath The config file, for messages.
 * @param env The environment.
 * @returns The verifier, or `undefined` when no key is available.
 */
export async function resolveVerifier(
  keyFile: string | undefined,
  config: ServerConfig,
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<VerifierChoice | undefined> {
  const { createTokenVerifier } = await import("../auth/verify.ts");
  const { hasConfiguredKey } = await import("../server/config.ts");
  const auth = config.auth ?? {};
  const checks: JwtOptions = {
    issuer: auth.issuer,
    audience: auth.audience,
    clockToleranceSec: auth.clockToleranceSec,
    rolesClaim: auth.rolesClaim,
  };
  if (keyFile !== undefined) {
    const { readKeyFile } = await import("../auth/keys.ts");
    const file = await readKeyFile(keyFile);
    const key: JwtOptions = file.kind === "secret"
      ? { secret: file.secret }
      : file.kind === "jwks"
      ? { jwks: file.jwks }
      : file.kind === "public"
      ? { publicKey: file.publicKey }
      : { publicKey: file.publicJwk };
    return { verifier: createTokenVerifier({ ...checks, ...key }), source: `'${keyFile}'` };
  }
  if (hasConfiguredKey(config)) {
    const from = ["REALTIME_JWT_SECRET", "REALTIME_JWT_PUBLIC_KEY", "REALTIME_JWKS_URL"]
      .find((name) => env[name] !== undefined);
    const file = configPath ?? env.REALTIME_CONFIG;
    return {
      verifier: createTokenVerifier(auth as JwtOptions),
      source: from ?? (file === undefined ? "the configured key" : `the key in '${file}'`),
    };
  }
  const { loadDevKey } = await import("../auth/dev_key.ts");
  const secret = await loadDevKey(DEV_KEY_DIR);
  if (secret === undefined) return undefined;
  return {
    verifier: createTokenVerifier({ ...checks, secret }),
    source: `the development key (${DEV_KEY_DIR}/dev-key.json)`,
  };
}
