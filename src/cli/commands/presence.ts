/**
 * `realtime-cli presence`: who is subscribed to a topic.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg } from "../args.ts";
import type { Context } from "../context.ts";

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
      const { queryTopic } = await import("../topic_query.ts");
      const { reportPresence } = await import("../topic_report.ts");
      await queryTopic(
        ctx,
        topic,
        "presence",
        options.timeout,
        (ask) => reportPresence(ask, topic, options, ctx),
      );
    });
}
