/**
 * `realtime-cli tail`: `tail -f` for topics, reconnecting and resubscribing
 * when the connection drops. On topics with history it resumes where it left
 * off (the client's {@linkcode Subscription} keeps the position and drops
 * duplicates) and says on stderr when it could not.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { countArg, durationArg, sinceArg } from "../args.ts";
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
        "Given several --url (hubs sharing one Redis), each reconnect goes to the next one, as " +
        "RealtimeClient does, and the first connection tries each once before giving up. " +
        "Status lines go to stderr. On topics with history, tail resumes after a reconnect " +
        "without gaps or duplicates, and says 'could not recover' on stderr when the hub no " +
        "longer held what was missed or the token lacks 'history' on the topic (recovered: " +
        "false). Patterns are not recovered. " +
        "With --verify-key each message's signature (its jws) is verified against the key file " +
        "and a column says 'verified' or 'UNVERIFIED:CODE' (--json: a 'verified' field, and " +
        "'verificationError' when false); the exit status is then 2 if any message did not verify.",
    )
    .argument("<topics...>", "topics or patterns, such as chat:lobby or 'chat:*'")
    .option("--json", "print each message frame as one JSON line")
    .option(
      "--verify-key <file>",
      "verify each message's signature: PEM public key or certificate, JWK, JWK set, or a raw secret",
    )
    .option("-n, --count <n>", "exit 0 after N messages", countArg)
    .option(
      "--since <offset[:epoch]>",
      "first print what history holds after OFFSET (one concrete topic; the current epoch when none is given)",
      sinceArg,
    )
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
  realtime-cli tail chat:lobby --count 1 --timeout 30s --json | jq .payload
  realtime-cli tail chat:lobby --since 0        # everything history holds, then live
  realtime-cli tail 'prices:*' --verify-key pricing-public.pem`,
    )
    .action(async (topics, options) => {
      const { ReconnectSchedule } = await import("../../client/_reconnect.ts");
      const { systemClock } = await import("../../client/_resolve_options.ts");
      const { openConnection } = await import("../connection.ts");
      const { Subscription } = await import("../../client/subscription.ts");
      const { RealtimeError } = await import("../../client/errors.ts");
      const { tokenVia, urls: rawUrls } = ctx.globals;
      const token = ctx.requiredToken;
      if (options.since !== undefined && (topics.length !== 1 || /\*/.test(topics[0]))) {
        throw new CliError(
          ExitCode.Usage,
          "--since needs exactly one concrete topic: patterns are not recovered",
        );
      }
      // One Subscription per topic: it keeps the position, builds the
      // subscribe frame (with since after a reconnect) and drops duplicates.
      const subs = topics.map((topic) => new Subscription(topic));
      let sinceEpochPending = options.since !== undefined && options.since.epoch === undefined;
      if (options.since?.epoch !== undefined) {
        subs[0].resumeFrom({ offset: options.since.offset, epoch: options.since.epoch });
      }
      // Read before connecting: a bad key file fails without touching the hub.
      const verifier = options.verifyKey === undefined ? undefined : await (
        await import("../publication_keys.ts")
      ).readVerifyingKeyFile(options.verifyKey);
      const urls = rawUrls.map(hubUrl);
      const stop = ctx.io.signal;
      const deadline = new AbortController();
      const timer = options.timeout === undefined
        ? undefined
        : setTimeout(() => deadline.abort(), options.timeout);
      const done = AbortSignal.any([stop, deadline.signal]);
      let received = 0;
      // The client's schedule: which URL next, attempts in a row, back-off, one timer.
      const schedule = new ReconnectSchedule({
        clock: systemClock,
        backoff: BACKOFF,
        random: Math.random,
        maxAttempts: Infinity,
        urls,
      });
      const elsewhere = urls.length > 1;
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
          const { retryInMs, url } = schedule.schedule(() => {
            done.removeEventListener("abort", stopWaiting);
            resolve();
          });
          const delay = formatDuration(retryInMs);
          ctx.status(status(elsewhere ? `${delay} on ${displayUrl(url)}` : delay));
          if (done.aborted) stopWaiting();
          else done.addEventListener("abort", stopWaiting, { once: true });
        });

      const refusal = (topic: string, refused: { code: string; message: string }) =>
        new CliError(
          exitCodeForErrorFrame(refused.code),
          `Cannot subscribe to '${topic}': ${refused.message} (${refused.code})`,
        );
      // Subscribes one topic (again) and says on stderr how a recovery went.
      const subscribe = async (opened: Connection, sub: InstanceType<typeof Subscription>) => {
        const topic = sub.topic;
        const answer = await opened.ask({ ...sub.frame() }, {
          timeoutMs: options.connectTimeout,
          what: `the reply to subscribe '${topic}'`,
          topic,
        });
        if (answer instanceof RealtimeError) throw refusal(topic, answer);
        const reply = answer.type === "ack" ? answer : { type: "ack" as const };
        const { recovered, position } = sub.confirm(reply);
        if (recovered === true) {
          ctx.status(`resumed '${topic}': every missed message follows (recovered: true)`);
        } else if (recovered === false) {
          ctx.warn(
            `could not recover messages missed on '${topic}' (recovered: false): ${
              position === undefined
                ? "the topic keeps no history"
                : `the hub no longer holds them, or the token lacks 'history' on the topic; continuing after offset ${position.offset}`
            }`,
          );
        }
      };
      // --since OFFSET without an epoch: the topic's current epoch, read once.
      const resolveSince = async (opened: Connection) => {
        if (!sinceEpochPending) return;
        const topic = subs[0].topic;
        const answer = await opened.ask({ type: "history", topic, limit: 0 }, {
          timeoutMs: options.connectTimeout,
          what: `the position of '${topic}'`,
          topic,
        });
        if (answer instanceof RealtimeError) {
          throw new CliError(
            exitCodeForErrorFrame(answer.code),
            `Cannot resume '${topic}' from offset ${
              options.since!.offset
            }: ${answer.message} (${answer.code})`,
          );
        }
        if (answer.type === "history") {
          subs[0].resumeFrom({ offset: options.since!.offset, epoch: answer.epoch });
        }
        sinceEpochPending = false;
      };

      // One attempt: connect, then subscribe to every topic.
      const attach = async (): Promise<Connection> => {
        const opened = await openConnection({
          url: schedule.url,
          token,
          via: tokenVia,
          timeoutMs: options.connectTimeout,
          signal: done,
          awaitWelcome: true,
        });
        try {
          await resolveSince(opened);
          for (const sub of subs) sub.unconfirm();
          for (const sub of subs) await subscribe(opened, sub);
          return opened;
        } catch (error) {
          await opened.close(1000);
          throw error;
        }
      };

      // A gap (seen here or told by the hub): unsubscribe, subscribe with since.
      const resubscribe = async (opened: Connection, sub: InstanceType<typeof Subscription>) => {
        if (!sub.confirmed) return;
        sub.unconfirm();
        opened.send({ type: "unsubscribe", topic: sub.topic });
        ctx.status(`gap on '${sub.topic}': resubscribing from offset ${sub.position?.offset}`);
        await subscribe(opened, sub);
      };

      try {
        while (!done.aborted) {
          try {
            connection = await attach();
          } catch (error) {
            // The first connection fails fast (once every URL was tried); once
            // tailing, only auth and usage failures stop it.
            if (done.aborted) break;
            const code = error instanceof CliError ? error.exitCode : ExitCode.Connection;
            const untried = schedule.attempt + 1 < urls.length;
            const retry = (tailing || untried) &&
              (code === ExitCode.Connection || code === ExitCode.Timeout);
            if (!retry) throw error;
            schedule.moveOn();
            await waitToReconnect((delay) => `${(error as Error).message}; retrying in ${delay}`);
            continue;
          }
          tailing = true;
          schedule.reset();
          ctx.status(
            `subscribed to ${topics.join(", ")} on ${displayUrl(schedule.url)} as ${
              String(connection.welcome?.user)
            }`,
          );
          while (true) {
            const frame = await connection.next(undefined, done);
            if (frame === undefined) break;
            if (frame.type === "message") {
              const topic = typeof frame.topic === "string" ? frame.topic : undefined;
              if (topic === undefined) continue;
              const message = {
                topic,
                payload: frame.payload,
                from: typeof frame.from === "string" ? frame.from : null,
                ts: Number(frame.ts),
                ...(typeof frame.offset === "number" ? { offset: frame.offset } : {}),
              };
              // Printed once, unless a subscription already had it (or it
              // comes after a gap, which a resubscribe with since fills).
              let print = true;
              for (const sub of subs) {
                if (!sub.matches(topic)) continue;
                const outcome = sub.deliver(message);
                if (outcome !== "delivered") print = false;
                if (outcome === "gap") await resubscribe(connection, sub);
              }
              if (!print) continue;
              received++;
              if (verifier === undefined) {
                ctx.out(options.json ? JSON.stringify(frame) : formatMessageLine(frame, colors));
              } else {
                // Awaited in turn: lines keep the order messages arrived in.
                const result = typeof frame.jws === "string"
                  ? await verifier.verify(topic, frame.jws)
                  : { ok: false as const, code: "SIGNATURE_REQUIRED" };
                if (!result.ok) ctx.fail(ExitCode.Auth);
                const shown = result.ok ? { ...frame, payload: result.payload } : frame;
                ctx.out(
                  options.json
                    ? JSON.stringify(
                      result.ok
                        ? { ...shown, verified: true }
                        : { ...shown, verified: false, verificationError: result.code },
                    )
                    : formatMessageLine(
                      shown,
                      colors,
                      result.ok
                        ? colors.green("verified")
                        : colors.red(`UNVERIFIED:${result.code}`),
                    ),
                );
              }
              if (options.count !== undefined && received >= options.count) {
                await connection.close(1000);
                return;
              }
            } else if (frame.type === "insufficient_state") {
              const sub = subs.find((s) => s.topic === frame.topic);
              if (sub !== undefined) await resubscribe(connection, sub);
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
          schedule.moveOn();
          await waitToReconnect((delay) => `connection lost (${why}); reconnecting in ${delay}`);
        }
        if (deadline.signal.aborted && !stop.aborted) throw timedOut();
      } finally {
        clearTimeout(timer);
        await connection?.close(1000);
      }
    });
}
