/**
 * `realtime-cli acl check`: lints the ACL rules of a hub config file.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { collectList } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";

/**
 * Creates `acl check`.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function aclCheckCommand(ctx: Context) {
  return new Command("check")
    .summary("Lint ACL rules in a config file (exit 1 on errors)")
    .description(
      "Lint the ACL rules of a hub config file: invalid patterns and templates, unknown actions, " +
        "rules that can never apply, templates naming claims tokens do not carry (with --claims). " +
        "Exit status 1 when there are errors (or warnings, with --strict).",
    )
    .option("--config <file>", "hub config file with an 'acl' section (default: $REALTIME_CONFIG)")
    .option(
      "--claims <names>",
      "claims tokens carry (comma-separated, dotted paths allowed); enables the claim check",
      collectList,
    )
    .option("--strict", "exit 1 on warnings too")
    .addOption(new Option("--json", "print the issues as a JSON array"))
    .action(async (options) => {
      const { loadServerConfig } = await import("../../server/config.ts");
      const { lintAcl } = await import("../../acl/lint.ts");
      const file = options.config ?? ctx.io.env.REALTIME_CONFIG;
      if (file === undefined || file === "") {
        throw new CliError(ExitCode.Usage, "Cannot check: name the config file with --config FILE");
      }
      const config = await loadServerConfig({}, file);
      if (config.acl === undefined) {
        throw new CliError(ExitCode.Usage, `Cannot check '${file}': it has no 'acl' section`);
      }
      const issues = lintAcl(config.acl, options.claims ? { claims: options.claims } : {});
      const errors = issues.filter((i) => i.severity === "error").length;
      const warnings = issues.length - errors;
      if (options.json) {
        ctx.out(JSON.stringify(issues));
      } else {
        const c = ctx.colors;
        for (const issue of issues) {
          const label = issue.severity === "error" ? c.red("error") : c.yellow("warning");
          ctx.out(`${file}: ${label}: ${issue.message}`);
        }
        const count = config.acl.rules?.length ?? 0;
        ctx.status(
          `${count} ${count === 1 ? "rule" : "rules"} checked: ${errors} ${
            errors === 1 ? "error" : "errors"
          }, ${warnings} ${warnings === 1 ? "warning" : "warnings"}`,
        );
      }
      if (errors > 0 || (options.strict && warnings > 0)) ctx.fail(ExitCode.Usage);
    });
}
