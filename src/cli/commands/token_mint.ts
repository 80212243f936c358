/**
 * `realtime-cli token mint`: signs a token the local hub accepts.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { SUPPORTED_ALGORITHMS } from "../../auth/algorithms.ts";
import {
  ACL_OPTION_HELP,
  collect,
  collectAcl,
  collectClaim,
  collectList,
  durationArg,
} from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function tokenMintCommand(ctx: Context) {
  return new Command("mint")
    .summary("Sign a token (zero-config with the development key)")
    .description(
      "Sign a token and print it. The key is --key FILE, else REALTIME_JWT_SECRET, else the " +
        "development key in .realtime/dev-key.json (created if absent, as `deno task start` does).",
    )
    .requiredOption("--sub <subject>", "the subject (user id)")
    .option("--role <role>", "a role; repeat or comma-separate", collectList)
    .option("--acl <pattern=actions>", ACL_OPTION_HELP, collectAcl)
    .option(
      "--claim <name=value>",
      "any other claim (value parsed as JSON if it can be)",
      collectClaim,
    )
    .addOption(
      new Option("--ttl <duration>", "lifetime: 30s, 15m, 1h, 7d").argParser(durationArg)
        .default(15 * 60_000, "15m"),
    )
    .option("--iss <issuer>", "the iss claim (default: $REALTIME_JWT_ISSUER)")
    .option(
      "--aud <audience>",
      "the aud claim; repeatable (default: $REALTIME_JWT_AUDIENCE)",
      collect,
    )
    .addOption(
      new Option("--alg <alg>", "algorithm (default: HS256 for a secret, the key's own otherwise)")
        .choices(SUPPORTED_ALGORITHMS),
    )
    .option("--key <file>", "signing key: PEM (PKCS#8) or JWK file, private or oct")
    .option("--kid <id>", "key id header (default: the JWK's kid)")
    .option("--json", "print {token, header, claims, expiresAt} as JSON")
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli token mint --sub alice --acl 'chat:*=subscribe,publish'
  realtime-cli token mint --sub ops --role admin --aud realtime-admin --ttl 15m --key private.jwk.json
  export REALTIME_TOKEN=$(realtime-cli token mint --sub alice --acl 'chat:*=*')`,
    )
    .action(async (options) => {
      const { mintToken } = await import("../../auth/mint.ts");
      const { parseCapabilities } = await import("../../acl/capabilities.ts");
      const { resolveSigningKey } = await import("../keys.ts");
      const env = ctx.io.env;
      const claims: Record<string, unknown> = { ...options.claim };
      for (const reserved of ["sub", "roles", "acl", "exp", "iat", "nbf", "iss", "aud"]) {
        if (reserved in claims) {
          throw new CliError(
            ExitCode.Usage,
            `Cannot set claim '${reserved}' with --claim: use ${
              ["exp", "iat", "nbf"].includes(reserved) ? "--ttl" : `--${reserved.replace(/s$/, "")}`
            } instead`,
          );
        }
      }
      if (options.acl !== undefined) {
        const parsed = parseCapabilities(options.acl);
        if (!parsed.ok) throw new CliError(ExitCode.Usage, parsed.message);
      }
      if (options.ttl < 1000) {
        throw new CliError(
          ExitCode.Usage,
          "Cannot mint a token with a ttl under 1s: use 1s or more",
        );
      }
      const signing = await resolveSigningKey(options.key, options.alg, env);
      if (signing.createdDevKey !== undefined) {
        ctx.status(`created the development key in ${signing.createdDevKey}`);
      }
      const aud = options.aud ?? list(env.REALTIME_JWT_AUDIENCE);
      const token = await mintToken(
        {
          ...claims,
          sub: options.sub,
          ...(options.role === undefined ? {} : { roles: options.role }),
          ...(options.acl === undefined ? {} : { acl: options.acl }),
        },
        signing.key,
        {
          alg: options.alg ?? signing.alg,
          ttl: Math.floor(options.ttl / 1000),
          iss: options.iss ?? (env.REALTIME_JWT_ISSUER || undefined),
          aud: aud === undefined ? undefined : aud.length === 1 ? aud[0] : aud,
          kid: options.kid ?? signing.kid,
        },
      );
      if (!options.json) return ctx.out(token);
      const { decodeToken } = await import("../jwt.ts");
      const { header, claims: claimSet } = decodeToken(token);
      ctx.out(JSON.stringify({
        token,
        header,
        claims: claimSet,
        expiresAt: new Date((claimSet.exp as number) * 1000).toISOString(),
        key: signing.source,
      }));
    });
}

function list(text: string | undefined): string[] | undefined {
  const items = text?.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return items === undefined || items.length === 0 ? undefined : items;
}
