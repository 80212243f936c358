/**
 * `realtime-cli token verify`: the hub's own verifier, offline.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { tokenArgument } from "../token_input.ts";

/**
 * Creates `token verify`.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function tokenVerifyCommand(ctx: Context) {
  return new Command("verify")
    .summary("Verify a token with the hub's verifier (exit 2 if invalid)")
    .description(
      "Verify a token with the hub's own verifier. The key is --key FILE, else the hub's " +
        "configuration (REALTIME_JWT_SECRET, REALTIME_JWT_PUBLIC_KEY, REALTIME_JWKS_URL, --config), " +
        "else the development key. Exit status 2 when the token is not valid.",
    )
    .argument(
      "[jwt]",
      "the token, or '-' to read it from stdin (default: --token, $REALTIME_TOKEN)",
    )
    .option(
      "--key <file>",
      "verification key: PEM, JWK or JWK set (a private key's public half is used)",
    )
    .option("--config <file>", "hub config file, for its auth section (default: $REALTIME_CONFIG)")
    .option("--json", "print {valid, reason?, sub?, roles?, expiresAt?, key} as JSON")
    .action(async (jwt, options) => {
      const { loadServerConfig } = await import("../../server/config.ts");
      const { resolveVerifier } = await import("../keys.ts");
      const { AuthError } = await import("../../auth/errors.ts");
      const token = await tokenArgument(ctx, jwt);
      const env = ctx.io.env;
      const config = await loadServerConfig(env, options.config);
      const choice = await resolveVerifier(options.key, config, options.config, env);
      if (choice === undefined) {
        throw new CliError(
          ExitCode.Usage,
          "Cannot verify: no key found (pass --key FILE, set REALTIME_JWT_SECRET, or run where .realtime/dev-key.json exists)",
        );
      }
      try {
        const principal = await choice.verifier.verify(token);
        const expiresAt = principal.expiresAt === null
          ? null
          : new Date(principal.expiresAt).toISOString();
        if (options.json) {
          return ctx.out(JSON.stringify({
            valid: true,
            sub: principal.sub,
            roles: principal.roles,
            expiresAt,
            key: choice.source,
          }));
        }
        ctx.out(
          `${ctx.colors.green("valid")}: sub ${principal.sub}${
            principal.roles.length ? `, roles ${principal.roles.join(",")}` : ""
          }, ${
            expiresAt === null ? "never expires" : `expires ${expiresAt}`
          } (key: ${choice.source})`,
        );
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        if (options.json) {
          ctx.out(JSON.stringify({
            valid: false,
            reason: error.reason,
            message: error.message,
            key: choice.source,
          }));
        } else {
          ctx.out(`${ctx.colors.red("invalid")}: ${error.message} (key: ${choice.source})`);
        }
        ctx.fail(ExitCode.Auth);
      }
    });
}
