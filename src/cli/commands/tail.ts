/**
 * `realtime-cli tail`: `tail -f` for topics, reconnecting and resubscribing
 * when the connection drops.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { countArg, durationArg } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "../errors.ts";
import type { Connection } from "../connection.ts";
import { describeCloseCode, exitCodeForClose, shouldReconnect } from "../close_codes.ts";
import { formatDuration, formatMessageLine } from "../format.ts";
import { displayUrl, hubUrl } from "../url.ts";

/** Back-off bounds for reconnecting: quick after a dev hub restart, never hammering. */
const BACKOFF = { baseMs: 500, maxMs: 5_000 };

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function tailCommand(ctx: Context) {
  return new Command("tail")
    .summary("Print messages on topics, like tail -f (reconnects)")
    .description(
      "Print every message on topics or patterns, one line each: time, topic, sender, payload. " +
        "Reconnects with back-off and resubscribes when the connection drops (1001, network loss, " +
        "4008); stops on authentication failure (4001), revocation (4003) or protocol errors (4000). " +
        "Status lines go to stderr. Messages published while disconnected are not replayed.",
    )
    .argument("<topics...>", "topics or patterns, such as chat:lobby or 'chat:*'")
    .option("--json", "print each message frame as one JSON line")
    .option("-n, --count <n>", "exit 0 after N messages", countArg)
    .option(
      "--timeout <duration>",
      "exit 4 if still running after this long (with --count: fewer than N messages)",
      durationArg,
    )
    .addOption(
      new Option("--connect-timeout <duration>", "deadline for each connection attempt").argParser(
        durationArg,
      ).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli tail 'chat:*' --token "$TOKEN"
  realtime-cli tail chat:lobby --count 1 --timeout 30s --json | jq .payload`,
    )
    .action(async (topics, options) => {
      const { ReconnectSchedule } = await import("../../client/_reconnect.ts");
      const { systemClock } = await import("../../client/_resolve_options.ts");
      const { openConnection } = await import("../connection.ts");
      const { token, tokenVia, url: rawUrl } = ctx.globals;
      if (token === undefined) {
        throw new CliError(
          ExitCode.Usage,
          "No token: pass --token or set REALTIME_TOKEN (mint one with 'realtime-cli token mint --sub NAME')",
        );
      }
      const url = hubUrl(rawUrl);
      const where = displayUrl(url);
      const stop = ctx.io.signal;
      const deadline = new AbortController();
      const timer = options.timeout === undefined
        ? undefined
        : setTimeout(() => deadline.abort(), options.timeout);
      const done = AbortSignal.any([stop, deadline.signal]);
      let received = 0;
      // The client's schedule: attempts in a row, back-off, one timer.
      const schedule = new ReconnectSchedule({
        clock: systemClock,
        backoff: BACKOFF,
        random: Math.random,
        maxAttempts: Infinity,
      });
      let tailing = false;
      let connection: Connection | undefined;
      const colors = ctx.colors;

      const timedOut = () =>
        new CliError(
          ExitCode.Timeout,
          `Timed out after ${formatDuration(options.timeout!)}${
            options.count === undefined ? "" : ` with ${received} of ${options.count} messages`
          }`,
        );
      // Waits out the back-off (or until stopped), saying why and how long.
      const waitToReconnect = (status: (delay: string) => string) =>
        new Promise<void>((resolve) => {
          const stopWaiting = () => {
            schedule.cancel();
            resolve();
          };
          const { retryInMs } = schedule.schedule(() => {
            done.removeEventListener("abort", stopWaiting);
            resolve();
          });
          ctx.status(status(formatDuration(retryInMs)));
          if (done.aborted) stopWaiting();
          else done.addEventListener("abort", stopWaiting, { once: true });
        });

      // One attempt: connect, then subscribe to every topic.
      const attach = async (): Promise<Connection> => {
        const opened = await openConnection({
          url,
          token,
          via: tokenVia,
          timeoutMs: options.connectTimeout,
          signal: done,
          awaitWelcome: true,
        });
        try {
          for (const topic of topics) {
            const refused = await opened.request(
              { type: "subscribe", topic },
              {
                timeoutMs: options.connectTimeout,
                what: `the reply to subscribe '${topic}'`,
                topic,
              },
            );
            if (refused !== undefined) {
              throw new CliError(
                exitCodeForErrorFrame(refused.code),
                `Cannot subscribe to '${topic}': ${refused.message} (${refused.code})`,
              );
            }
          }
          return opened;
        } catch (error) {
          await opened.close(1000);
          throw error;
        }
      };

      try {
        while (!done.aborted) {
          try {
            connection = await attach();
          } catch (error) {
            // The first attempt fails fast; once tailing, only auth and usage failures stop it.
            if (done.aborted) break;
            const code = error instanceof CliError ? error.exitCode : ExitCode.Connection;
            const retry = tailing && (code === ExitCode.Connection || code === ExitCode.Timeout);
            if (!retry) throw error;
            await waitToReconnect((delay) => `${(error as Error).message}; retrying in ${delay}`);
            continue;
          }
          tailing = true;
          schedule.reset();
          ctx.status(
            `subscribed to ${topics.join(", ")} on ${where} as ${String(connection.welcome?.user)}`,
          );
          while (true) {
            const frame = await connection.next(undefined, done);
            if (frame === undefined) break;
            if (frame.type === "message") {
              received++;
              ctx.out(options.json ? JSON.stringify(frame) : formatMessageLine(frame, colors));
              if (options.count !== undefined && received >= options.count) {
                await connection.close(1000);
                return;
              }
            } else if (frame.type === "token_expiring") {
              ctx.status(
                `the token expires at ${
                  new Date(Number(frame.expiresAt)).toISOString()
                }; tail stops then (mint a longer-lived token)`,
              );
            } else if (frame.type === "unsubscribed") {
              throw new CliError(
                ExitCode.Auth,
                `The hub ended the subscription to '${String(frame.topic)}' (${
                  String(frame.code)
                })`,
              );
            } else if (frame.type === "error") {
              ctx.warn(`hub error ${String(frame.code)}: ${String(frame.message)}`);
            }
          }
          if (done.aborted) break;
          const info = connection.closeInfo ?? { code: 1006, reason: "" };
          const why = `${info.code} ${describeCloseCode(info.code)}${
            info.reason ? `: ${info.reason}` : ""
          }`;
          // shouldReconnect reads the table RealtimeClient follows; tail has a fixed
          // token, so after "refresh" (4001) it stops.
          if (!shouldReconnect(info.code)) {
            const exit = exitCodeForClose(info.code);
            throw new CliError(
              exit === ExitCode.Ok ? ExitCode.Connection : exit,
              `The hub closed the connection (${why})`,
            );
          }
          await waitToReconnect((delay) => `connection lost (${why}); reconnecting in ${delay}`);
        }
        if (deadline.signal.aborted && !stop.aborted) throw timedOut();
      } finally {
        clearTimeout(timer);
        await connection?.close(1000);
      }
    });
}
