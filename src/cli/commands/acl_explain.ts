/**
 * `realtime-cli acl explain`: one decision of the hub's ACL engine, offline,
 * with the rule or capability that made it.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { tokenArgument } from "../token_input.ts";

/**
 * Creates `acl explain`.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function aclExplainCommand(ctx: Context) {
  return new Command("explain")
    .summary("Explain why a token may or may not use a topic (exit 2 if denied)")
    .description(
      "Say whether a token may subscribe or publish to a topic, and which rule or capability " +
        "decided, with the hub's own engine (rules from --config, capabilities from the token). " +
        "The token is verified when a key is available (--key, the hub's configuration, or the " +
        "development key) and only decoded otherwise; the output says which. An application " +
        "'authorize' hook is not known offline. Exit status 2 when denied.",
    )
    .addArgument(
      new Command().createArgument("<action>", "the action").choices(
        ["subscribe", "publish", "presence", "history"] as const,
      ),
    )
    .argument("<topic>", "a topic, or a pattern for subscribe")
    .option("--config <file>", "hub config file with the 'acl' rules (default: $REALTIME_CONFIG)")
    .option("--key <file>", "verification key: PEM, JWK or JWK set")
    .option("--json", "print the decision as JSON")
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli acl explain subscribe 'chat:*' --token "$TOKEN" --config hub.json
  realtime-cli acl explain publish chat:announce --token "$TOKEN" --json`,
    )
    .action(async (action, topic, options) => {
      const { loadServerConfig } = await import("../../server/config.ts");
      const { compileAcl } = await import("../../acl/compile.ts");
      const { readRoles } = await import("../../auth/roles.ts");
      const { AuthError } = await import("../../auth/errors.ts");
      const { decodeToken } = await import("../jwt.ts");
      const { resolveVerifier } = await import("../keys.ts");
      const token = await tokenArgument(ctx, undefined);
      const env = ctx.io.env;
      const config = await loadServerConfig(env, options.config);
      const acl = compileAcl(config.acl ?? {});
      const choice = await resolveVerifier(options.key, config, options.config, env);
      let principal;
      let verified: string;
      if (choice !== undefined) {
        try {
          principal = await choice.verifier.verify(token);
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          throw new CliError(
            ExitCode.Auth,
            `The token would be refused before any ACL check: ${error.message} (key: ${choice.source})`,
          );
        }
        verified = `verified with ${choice.source}`;
      } else {
        const { claims } = decodeToken(token);
        const sub = typeof claims.sub === "string" ? claims.sub : "";
        principal = {
          sub,
          roles: readRoles(claims, config.auth?.rolesClaim ?? "roles"),
          claims,
          expiresAt: typeof claims.exp === "number" ? claims.exp * 1000 : null,
        };
        verified = "NOT verified (no key found): decoded only";
      }
      const decision = acl.decide(principal, action, topic);
      const rules = acl.rules.length;
      const source = options.config ?? env.REALTIME_CONFIG;
      if (options.json) {
        ctx.out(JSON.stringify({
          ...decision,
          action,
          topic,
          sub: principal.sub,
          roles: principal.roles,
          token: choice === undefined ? "decoded" : "verified",
          key: choice?.source ?? null,
          rules,
        }));
      } else {
        const c = ctx.colors;
        ctx.out(
          [
            `${decision.allowed ? c.green("allowed") : c.red("denied")}: ${action} '${topic}'`,
            `  ${decision.message}`,
            `  subject: ${principal.sub}${
              principal.roles.length ? ` (roles: ${principal.roles.join(", ")})` : ""
            }`,
            `  token: ${verified}`,
            `  rules: ${rules} ${rules === 1 ? "rule" : "rules"}${
              source === undefined ? " (no config file)" : ` from '${source}'`
            }`,
          ].join("\n"),
        );
      }
      if (decision.reason === "invalid") ctx.fail(ExitCode.Usage);
      else if (!decision.allowed) ctx.fail(ExitCode.Auth);
    });
}
