/**
 * Key files for signed publications: `publish --sign-key FILE` and
 * `tail --verify-key FILE`. A file holds a PEM key, a JWK, a JWK set, or a
 * raw shared secret (the whole file, without its final line break). Keys
 * come from files only, never from the command line, where they would
 * end up in shell history and process listings.
 *
 * @module
 */

import type { JwsAlgorithm } from "../auth/algorithms.ts";
import { looksLikePem } from "../auth/_key_shape.ts";
import type { PublicationSigner } from "../signing/sign.ts";
import type { PublicationVerifier } from "../signing/verify.ts";
import { CliError, ExitCode } from "./errors.ts";

/** What a publication key file held, before it is checked for its use. */
type Read =
  | { kind: "secret"; secret: Uint8Array }
  | { kind: "private"; privateKey: string | JsonWebKey }
  | { kind: "public"; publicKey: string | JsonWebKey }
  | { kind: "jwks"; jwks: { keys: JsonWebKey[] } };

function usage(option: string, path: string, detail: string): CliError {
  return new CliError(ExitCode.Usage, `Cannot use ${option} '${path}': ${detail}`);
}

async function read(path: string, option: string): Promise<Read> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw usage(
      option,
      path,
      error instanceof Deno.errors.NotFound ? "no such file" : "unreadable",
    );
  }
  if (looksLikePem(text) || text.trimStart().startsWith("{")) {
    const { readKeyFile } = await import("../auth/keys.ts");
    try {
      return await readKeyFile(path);
    } catch (error) {
      throw usage(option, path, (error as Error).message);
    }
  }
  // A raw secret: the file's bytes, less the line break an editor adds.
  return { kind: "secret", secret: new TextEncoder().encode(text.replace(/\r?\n$/, "")) };
}

function checked<T>(option: string, path: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw usage(option, path, error.message);
    }
    throw error;
  }
}

/**
 * Reads `--sign-key FILE` into a signer: a PKCS#8 PEM or private JWK (its
 * `kid` goes in the header), a symmetric JWK, or a raw secret of at least
 * 32 bytes.
 *
 * @param path The file.
 * @param alg `--sign-alg`, when given.
 * @returns The signer, its key imported once.
 * @throws {CliError} With exit code 1 when the file holds no usable private key or secret.
 */
export async function readSigningKeyFile(
  path: string,
  alg: JwsAlgorithm | undefined,
): Promise<PublicationSigner> {
  const option = "--sign-key";
  const file = await read(path, option);
  if (file.kind === "public" || file.kind === "jwks") {
    throw usage(option, path, "it holds a public key: signing needs the private key");
  }
  const key = file.kind === "secret" ? file.secret : file.privateKey;
  const kid = typeof key === "object" && !(key instanceof Uint8Array)
    ? (key as { kid?: unknown }).kid
    : undefined;
  const { createPublicationSigner } = await import("../signing/sign.ts");
  const signer = checked(option, path, () =>
    createPublicationSigner(key, {
      alg,
      kid: typeof kid === "string" && kid !== "" ? kid : undefined,
    }));
  // Imported now, so a key WebCrypto refuses fails before connecting.
  await checked(option, path, () => signer.sign("cli:check", null)).catch((error) => {
    throw usage(option, path, (error as Error).message);
  });
  return signer;
}

/**
 * Reads `--verify-key FILE` into a subscriber-mode verifier (signature and
 * `topic` claim; not `exp` or `jti`, so history replays verify): a PEM
 * public key or certificate, a public JWK, a JWK set, a symmetric JWK, or a
 * raw secret of at least 32 bytes.
 *
 * @param path The file.
 * @returns The verifier.
 * @throws {CliError} With exit code 1 when the file holds no usable public key or secret.
 */
export async function readVerifyingKeyFile(path: string): Promise<PublicationVerifier> {
  const option = "--verify-key";
  const file = await read(path, option);
  if (file.kind === "private") {
    throw usage(option, path, "it holds a private key: verify with its public key");
  }
  const keys = file.kind === "secret"
    ? file.secret
    : file.kind === "jwks"
    ? file.jwks
    : file.publicKey;
  const { createPublicationVerifier } = await import("../signing/verify.ts");
  return checked(option, path, () => createPublicationVerifier({ keys, checkFreshness: false }));
}
