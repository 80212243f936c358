/**
 * `realtime-cli history`: print what a topic's history holds.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg, limitArg, sinceArg } from "../args.ts";
import type { Context } from "../context.ts";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function historyCommand(ctx: Context) {
  return new Command("history")
    .summary("Print what a topic's history holds")
    .description(
      "Print the publications a topic's history holds, one line each (time, topic, sender, " +
        "payload), oldest first unless --reverse. The topic's position (offset and epoch) goes " +
        "to stderr; pass it to 'tail --since' to continue from there. Needs the ACL action " +
        "'history'. Exit 1 when the topic keeps no history.",
    )
    .argument("<topic>", "a concrete topic, such as chat:lobby")
    .option("--limit <n>", "at most N publications, 0 to 1000 (the hub's default is 100)", limitArg)
    .option("--reverse", "newest first")
    .option(
      "--since <offset[:epoch]>",
      "only publications after OFFSET (before it with --reverse); the current epoch when none is given",
      sinceArg,
    )
    .option("--json", "print each publication as one JSON line")
    .addOption(
      new Option("--timeout <duration>", "deadline for connecting and for the reply").argParser(
        durationArg,
      ).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli history chat:lobby --limit 20 --reverse
  realtime-cli history chat:lobby --since 41 --json | jq .payload`,
    )
    .action(async (topic, options) => {
      const { queryTopic } = await import("../topic_query.ts");
      const { reportHistory } = await import("../topic_report.ts");
      await queryTopic(
        ctx,
        topic,
        "history",
        options.timeout,
        (ask) => reportHistory(ask, topic, options, ctx),
      );
    });
}
