/**
 * `realtime-cli rpc`: call a method the application registered on the hub.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg, jsonOrString } from "../args.ts";
import type { Context } from "../context.ts";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function rpcCommand(ctx: Context) {
  return new Command("rpc")
    .summary("Call a method the application registered on the hub")
    .description(
      "Send an rpc request and print the method's result as one line of JSON. The data is the " +
        "argument (JSON if it parses, else a string; null when absent). A refusal exits with the " +
        "code of its error (2 forbidden, 1 bad request or unknown method, 3 otherwise).",
    )
    .argument("<method>", "the method, such as time.now")
    .argument("[data]", "the data sent with the call")
    .addOption(
      new Option("--timeout <duration>", "deadline for connecting and for the reply").argParser(
        durationArg,
      ).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli rpc time.now
  realtime-cli rpc orders.get '{"id":42}'`,
    )
    .action(async (method, data, options) => {
      const { openConnection } = await import("../connection.ts");
      const { RealtimeError } = await import("../../client/errors.ts");
      const { CliError, exitCodeForErrorFrame } = await import("../errors.ts");
      const { hubUrl } = await import("../url.ts");
      const { tokenVia, url } = ctx.globals;
      const connection = await openConnection({
        url: hubUrl(url),
        token: ctx.requiredToken,
        via: tokenVia,
        timeoutMs: options.timeout,
        signal: ctx.io.signal,
        awaitWelcome: true,
      });
      try {
        const answer = await connection.ask(
          { type: "rpc", method, data: data === undefined ? null : jsonOrString(data) },
          { timeoutMs: options.timeout, what: `the answer of '${method}'` },
        );
        if (answer instanceof RealtimeError) {
          throw new CliError(
            exitCodeForErrorFrame(answer.code),
            `Cannot call '${method}': ${answer.message} (${answer.code})`,
          );
        }
        ctx.out(JSON.stringify(answer.type === "rpc" ? answer.data : null));
      } finally {
        await connection.close(1000);
      }
    });
}
