/**
 * `realtime-cli token inspect`: a token decoded, with human times.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import type { Context } from "../context.ts";
import { tokenArgument } from "../token_input.ts";

const TIME_CLAIMS = ["iat", "nbf", "exp"];

/**
 * Creates `token inspect`.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function tokenInspectCommand(ctx: Context) {
  return new Command("inspect")
    .summary("Decode a token: header, claims, times, expiry")
    .description("Decode a token (without verifying it): header, claims, times, expiry")
    .argument(
      "[jwt]",
      "the token, or '-' to read it from stdin (default: --token, $REALTIME_TOKEN)",
    )
    .option("--json", "print {header, claims, expired, expiresAt, issuedAt, notBefore} as JSON")
    .action(async (jwt, options) => {
      const { decodeToken } = await import("../jwt.ts");
      const { formatInstant } = await import("../format.ts");
      const token = await tokenArgument(ctx, jwt);
      const { header, claims } = decodeToken(token);
      const now = Date.now();
      const at = (name: string) =>
        typeof claims[name] === "number" ? (claims[name] as number) * 1000 : undefined;
      const exp = at("exp");
      const nbf = at("nbf");
      const expired = exp !== undefined && exp <= now;
      const notYet = nbf !== undefined && nbf > now;
      if (options.json) {
        const iso = (ms: number | undefined) =>
          ms === undefined ? null : new Date(ms).toISOString();
        return ctx.out(JSON.stringify({
          header,
          claims,
          expired,
          notYetValid: notYet,
          expiresAt: iso(exp),
          issuedAt: iso(at("iat")),
          notBefore: iso(nbf),
        }));
      }
      const c = ctx.colors;
      const lines = [c.bold("Header")];
      for (const [name, value] of Object.entries(header)) lines.push(`  ${name}: ${show(value)}`);
      lines.push(c.bold("Claims"));
      for (const [name, value] of Object.entries(claims)) {
        const time = TIME_CLAIMS.includes(name) && typeof value === "number"
          ? `${value} = ${formatInstant(value * 1000, now)}`
          : show(value);
        lines.push(`  ${name}: ${time}`);
      }
      lines.push(
        c.bold("Status") + " " +
          (expired
            ? c.red(`expired ${formatInstant(exp!, now)}`)
            : notYet
            ? c.yellow(`not valid before ${formatInstant(nbf!, now)}`)
            : exp === undefined
            ? c.yellow("never expires")
            : c.green(`not expired (expires ${formatInstant(exp, now)})`)),
        c.dim("Signature not checked: use 'realtime-cli token verify'"),
      );
      ctx.out(lines.join("\n"));
    });
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
