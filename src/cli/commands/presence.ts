/**
 * `realtime-cli presence`: who is subscribed to a topic.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "../errors.ts";
import { compactJson } from "../format.ts";
import { hubUrl } from "../url.ts";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function presenceCommand(ctx: Context) {
  return new Command("presence")
    .summary("Print who is subscribed to a topic")
    .description(
      "Print one line per connection subscribed to a topic: user, connection id, and the " +
        "connection info from its token when there is some. With --stats, print the number of " +
        "connections and of distinct users instead. Needs the ACL action 'presence'.",
    )
    .argument("<topic>", "a concrete topic, such as room:1")
    .option("--stats", "print only the counts")
    .option("--json", "print the hub's reply as JSON")
    .addOption(
      new Option("--timeout <duration>", "deadline for connecting and for the reply").argParser(
        durationArg,
      ).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli presence room:1
  realtime-cli presence room:1 --stats`,
    )
    .action(async (topic, options) => {
      const { openConnection } = await import("../connection.ts");
      const { RealtimeError } = await import("../../client/errors.ts");
      const { presenceMembers } = await import("../../client/presence.ts");
      const { tokenVia, url } = ctx.globals;
      const token = ctx.requiredToken;
      if (topic.includes("*")) {
        throw new CliError(
          ExitCode.Usage,
          `Presence needs a concrete topic, got the pattern '${topic}'`,
        );
      }
      const connection = await openConnection({
        url: hubUrl(url),
        token,
        via: tokenVia,
        timeoutMs: options.timeout,
        signal: ctx.io.signal,
        awaitWelcome: true,
      });
      try {
        const type = options.stats ? "presence_stats" : "presence";
        const answer = await connection.ask({ type, topic }, {
          timeoutMs: options.timeout,
          what: `the presence of '${topic}'`,
          topic,
        });
        if (answer instanceof RealtimeError) {
          throw new CliError(
            exitCodeForErrorFrame(answer.code),
            `Cannot read the presence of '${topic}': ${answer.message} (${answer.code})`,
          );
        }
        if (answer.type === "presence_stats") {
          ctx.out(
            options.json
              ? JSON.stringify({ connections: answer.connections, users: answer.users })
              : `${answer.connections} connections, ${answer.users} users`,
          );
        } else if (answer.type === "presence") {
          const members = presenceMembers(answer);
          for (const m of members) {
            ctx.out(
              options.json
                ? JSON.stringify(m)
                : `${ctx.colors.cyan(m.user)} ${m.connectionId}${
                  m.info === undefined ? "" : ` ${compactJson(m.info)}`
                }`,
            );
          }
          const users = new Set(members.map((m) => m.user)).size;
          ctx.status(`${members.length} connections, ${users} users on '${topic}'`);
        } else {
          throw new CliError(ExitCode.Connection, `The hub answered with '${answer.type}'`);
        }
      } finally {
        await connection.close(1000);
      }
    });
}
