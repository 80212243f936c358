/**
 * `realtime-cli keys generate`: a signing key pair as JWKs, or a secret.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { SUPPORTED_ALGORITHMS } from "../../auth/algorithms.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";

/**
 * The path of the public half next to a private key file:
 * `key.json` gives `key.pub.json`, `key` gives `key.pub.json`.
 *
 * @param out The private key's path.
 * @returns The public key's path.
 */
export function publicPath(out: string): string {
  return `${out.replace(/\.json$/i, "")}.pub.json`;
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

async function writeKey(path: string, value: unknown, mode: number, force: boolean) {
  if (force) {
    // Remove rather than overwrite, so the new file gets `mode` from its creation on.
    await Deno.remove(path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  try {
    await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n", {
      createNew: true,
      mode,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new CliError(
        ExitCode.Usage,
        `Cannot write '${path}': it exists (use --force to replace it)`,
      );
    }
    throw error;
  }
  if (Deno.build.os !== "windows") await Deno.chmod(path, mode); // whatever the umask
}

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function keysGenerateCommand(ctx: Context) {
  return new Command("generate")
    .summary("Generate a key pair (JWK) or a secret")
    .description(
      "Generate a signing key: a key pair as JWKs for RS*/PS*/ES*/EdDSA, a random secret (oct JWK) " +
        "for HS*. With --out the private key (or secret) is written with mode 0600 and the public " +
        "key next to it as NAME.pub.json; without it both are printed as JSON.",
    )
    .addOption(
      new Option("--alg <alg>", "algorithm").choices(SUPPORTED_ALGORITHMS).default(
        "ES256" as const,
      ),
    )
    .option("--out <file>", "write the private key (or secret) here, mode 0600")
    .option("--force", "replace existing files")
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli keys generate --alg ES256 --out signing.json   # signing.json + signing.pub.json
  REALTIME_JWT_PUBLIC_KEY="$(cat signing.pub.json)" realtime-cli serve
  realtime-cli token mint --sub alice --key signing.json`,
    )
    .action(async (options) => {
      const { generateKeyPair } = await import("../../auth/keys.ts");
      const key = await generateKeyPair(options.alg);
      const force = options.force === true;
      if (key.kind === "secret") {
        const jwk = { kty: "oct", k: base64Url(key.secret), alg: key.alg, use: "sig" };
        if (options.out === undefined) return ctx.out(JSON.stringify(jwk, null, 2));
        await writeKey(options.out, jwk, 0o600, force);
        return ctx.status(`wrote the ${key.alg} secret to ${options.out} (mode 0600)`);
      }
      if (options.out === undefined) {
        return ctx.out(JSON.stringify({ private: key.privateJwk, public: key.publicJwk }, null, 2));
      }
      const pub = publicPath(options.out);
      if (pub === options.out) {
        throw new CliError(
          ExitCode.Usage,
          `Cannot use '${options.out}' for both halves of the key`,
        );
      }
      await writeKey(options.out, key.privateJwk, 0o600, force);
      await writeKey(pub, key.publicJwk, 0o644, force);
      ctx.status(
        `wrote the ${key.alg} private key to ${options.out} (mode 0600) and the public key to ${pub} (kid ${key.kid})`,
      );
    });
}
