/**
 * `realtime-cli tail`: `tail -f` for topics, built on the public
 * `RealtimeClient`, which reconnects (next URL, back-off) and resubscribes
 * with recovery when the connection drops. On topics with history it resumes
 * where it left off without duplicates and says on stderr when it could not.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { countArg, durationArg, sinceArg } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "../errors.ts";
import { describeCloseCode, exitCodeForClose } from "../close_codes.ts";
import type { CloseInfo, RealtimeMessage, StateChange } from "../../client/mod.ts";
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
      const { RealtimeClient, RealtimeError } = await import("../../client/mod.ts");
      const { handshakeError } = await import("../connection.ts");
      const { tokenVia, urls: rawUrls } = ctx.globals;
      const token = ctx.requiredToken;
      const since = options.since;
      if (since !== undefined && (topics.length !== 1 || /\*/.test(topics[0]))) {
        throw new CliError(
          ExitCode.Usage,
          "--since needs exactly one concrete topic: patterns are not recovered",
        );
      }
      // Read before connecting: a bad key file fails without touching the hub.
      const verifier = options.verifyKey === undefined ? undefined : await (
        await import("../publication_keys.ts")
      ).readVerifyingKeyFile(options.verifyKey);
      const urls = rawUrls.map(hubUrl);
      const elsewhere = urls.length > 1;
      const colors = ctx.colors;
      // The client reconnects (next URL, back-off) and resubscribes with
      // recovery; tail prints, says what happens on stderr, and decides when to stop.
      const client = new RealtimeClient({
        url: urls.map(String),
        token,
        tokenVia,
        autoConnect: false,
        backoff: BACKOFF,
        connectTimeoutMs: options.connectTimeout,
        requestTimeoutMs: options.connectTimeout,
      });
      const finished = Promise.withResolvers<void>();
      finished.promise.catch(() => {}); // awaited below; a late failure is not unhandled
      let ended = false;
      const finish = (error?: unknown) => {
        if (ended) return;
        ended = true;
        if (error === undefined) finished.resolve();
        else finished.reject(error);
      };
      const stop = ctx.io.signal;
      const onStop = () => finish();
      stop.addEventListener("abort", onStop, { once: true });
      if (stop.aborted) finish();
      let received = 0;
      const timer = options.timeout === undefined ? undefined : setTimeout(() =>
        finish(
          new CliError(
            ExitCode.Timeout,
            `Timed out after ${formatDuration(options.timeout!)}${
              options.count === undefined ? "" : ` with ${received} of ${options.count} messages`
            }`,
          ),
        ), options.timeout);

      // Connection status: the first connection tries each URL once; once
      // tailing, only the close codes CLOSE_POLICY stops on end it.
      let tailing = false;
      let failures = 0;
      let announced = false;
      let attemptUrl = urls[0];
      const closeWhy = (info: CloseInfo) =>
        `${info.code} ${describeCloseCode(info.code)}${info.reason ? `: ${info.reason}` : ""}`;
      // Why an attempt that never got its welcome failed, as a CLI error.
      const attemptError = (change: StateChange): CliError => {
        const close = change.close;
        if (close === undefined || close.failure !== undefined || close.code === 1006) {
          if (close === undefined && change.error?.code !== "DISCONNECTED") {
            return new CliError(
              ExitCode.Timeout,
              `Timed out after ${formatDuration(options.connectTimeout)} waiting for the hub at ${
                displayUrl(attemptUrl)
              }`,
            );
          }
          return handshakeError(close?.failure ?? "", attemptUrl, token);
        }
        return new CliError(
          exitCodeForClose(close.code),
          `Connection closed (${closeWhy(close)}) while waiting for the welcome frame`,
        );
      };
      client.on("state", (state, change) => {
        if (state === "connecting") attemptUrl = new URL(change.url);
        if (state === "open") {
          tailing = true;
          failures = 0;
        } else announced = false;
        if (state === "reconnecting") {
          const delay = formatDuration(change.retryInMs ?? 0);
          const next = elsewhere ? `${delay} on ${displayUrl(new URL(change.url))}` : delay;
          if (change.previous === "open") {
            const close = change.close ?? { code: 1006, reason: "" };
            ctx.status(`connection lost (${closeWhy(close)}); reconnecting in ${next}`);
            return;
          }
          const error = attemptError(change);
          const retry = error.exitCode === ExitCode.Connection ||
            error.exitCode === ExitCode.Timeout;
          if (!retry || (!tailing && ++failures >= urls.length)) finish(error);
          else ctx.status(`${error.message}; retrying in ${next}`);
        } else if (state === "closed" && change.error !== undefined) {
          const close = change.close;
          if (close === undefined) {
            // The client refused to connect by itself, such as with an expired token.
            const { code, message } = change.error;
            const auth = code === "AUTH_FAILED" || code === "TOKEN_EXPIRED";
            finish(new CliError(auth ? ExitCode.Auth : ExitCode.Connection, message));
          } else if (change.previous !== "open") finish(attemptError(change));
          else {
            const exit = exitCodeForClose(close.code);
            finish(
              new CliError(
                exit === ExitCode.Ok ? ExitCode.Connection : exit,
                `The hub closed the connection (${closeWhy(close)})`,
              ),
            );
          }
        }
      });
      client.on("subscription_state", (topic, state, change) => {
        if (state === "unsubscribed" && change.error !== undefined) {
          const error = change.error;
          finish(
            error.message.startsWith("The hub ended")
              ? new CliError(ExitCode.Auth, error.message)
              : new CliError(
                exitCodeForErrorFrame(error.code),
                `Cannot subscribe to '${topic}': ${error.message} (${error.code})`,
              ),
          );
        } else if (state === "subscribing" && announced) {
          ctx.status(`gap on '${topic}': resubscribing from its last offset`);
        } else if (
          state === "subscribed" && !announced && client.state === "open" &&
          topics.every((t) => client.subscriptionState(t) === "subscribed")
        ) {
          announced = true;
          ctx.status(
            `subscribed to ${topics.join(", ")} on ${displayUrl(new URL(client.url))} as ${
              String(client.user)
            }`,
          );
        }
      });
      client.on("subscribed", ({ topic, recovered, position }) => {
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
      });
      client.on("error", (error) => {
        // Errors of a subscription or connection are reported above.
        if (error.topic === undefined && error.closeCode === undefined) {
          ctx.warn(`hub error ${error.code}: ${error.message}`);
        }
      });

      // Messages: printed in arrival order (verification is awaited in turn),
      // once even when several patterns match (the client hands each the same object).
      let printing = Promise.resolve();
      let last: RealtimeMessage | undefined;
      const print = async (message: RealtimeMessage) => {
        if (ended) return;
        received++;
        let frame: Record<string, unknown> = { type: "message", ...message };
        let verdict: string | undefined;
        if (verifier !== undefined) {
          const result = message.jws === undefined
            ? { ok: false as const, code: "SIGNATURE_REQUIRED" }
            : await verifier.verify(message.topic!, message.jws);
          if (result.ok) {
            frame = { ...frame, payload: result.payload, verified: true };
            verdict = colors.green("verified");
          } else {
            ctx.fail(ExitCode.Auth);
            frame = { ...frame, verified: false, verificationError: result.code };
            verdict = colors.red(`UNVERIFIED:${result.code}`);
          }
        }
        ctx.out(options.json ? JSON.stringify(frame) : formatMessageLine(frame, colors, verdict));
        if (options.count !== undefined && received >= options.count) finish();
      };
      const onMessage = (message: RealtimeMessage) => {
        if (message === last) return;
        last = message;
        printing = printing.then(() => print(message)).catch(finish);
      };

      try {
        client.connect();
        let position = since?.epoch === undefined
          ? undefined
          : { offset: since.offset, epoch: since.epoch };
        if (since !== undefined && position === undefined) {
          // --since OFFSET without an epoch: the topic's current epoch, read once.
          const topic = topics[0];
          const epoch = await Promise.race([
            client.opened().then(() => client.history(topic, { limit: 0 })).then(
              (reply) => reply.position.epoch,
              (error) => {
                if (!(error instanceof RealtimeError)) throw error;
                throw new CliError(
                  exitCodeForErrorFrame(error.code),
                  `Cannot resume '${topic}' from offset ${since.offset}: ${error.message} (${error.code})`,
                );
              },
            ),
            finished.promise.then(() => undefined),
          ]);
          if (epoch !== undefined) position = { offset: since.offset, epoch };
        }
        for (const topic of topics) {
          // Refusals are reported by subscription_state.
          client.subscribe(topic, onMessage, {
            onError: () => {},
            ...(position === undefined ? {} : { since: position }),
          });
        }
        await finished.promise;
      } finally {
        clearTimeout(timer);
        stop.removeEventListener("abort", onStop);
        await client.close();
      }
    });
}
