/**
 * `realtime-cli publish`: one message from the argument, or one per stdin line.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg, jsonOrString } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "../errors.ts";
import { hubUrl } from "../url.ts";
import { SUPPORTED_ALGORITHMS } from "../../auth/algorithms.ts";
import { idempotencyKeyProblem } from "../../protocol/idempotency_key.ts";

/** Room a stdin line's suffix (`-<line>`) leaves within a key's 64 characters. */
const MAX_STDIN_KEY_LENGTH = 48;

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function publishCommand(ctx: Context) {
  return new Command("publish")
    .summary("Publish a payload, or one message per stdin line")
    .description(
      "Publish to a topic and wait for each ack. The payload is the argument (JSON if it parses, " +
        "else a string) or, when absent, one message per stdin line (empty lines skipped). " +
        "Exit status is non-zero if any message got an error frame: 2 forbidden, 1 bad request. " +
        "With --sign-key each message is signed (a JWS with claims topic, data, jti, iat) and sent " +
        "as {type: publish, topic, jws}, for topics whose rule requires signed publications; a " +
        "refused signature exits 2 (1 for SIGNATURE_TOO_LARGE). With --idempotency-key a message " +
        "sent again with the same key (a retry after a timeout) is published once; from stdin, " +
        "message n carries KEY-n, so running the same input again publishes nothing twice.",
    )
    .argument("<topic>", "a concrete topic, such as chat:lobby")
    .argument("[payload]", "the payload; omit to read stdin")
    .option("--string", "send payloads as strings even when they parse as JSON")
    .option(
      "--sign-key <file>",
      "sign each message with this key file: PKCS#8 PEM, private or oct JWK, or a raw secret (32+ bytes)",
    )
    .addOption(
      new Option(
        "--sign-alg <alg>",
        "signing algorithm (default: HS256 for a secret, else the key's)",
      )
        .choices(SUPPORTED_ALGORITHMS),
    )
    .option(
      "--idempotency-key <key>",
      "publish at most once per key within the hub's window (1 to 64 printable ASCII, no space)",
    )
    .addOption(
      new Option("--timeout <duration>", "deadline for connecting and for each ack").argParser(
        durationArg,
      ).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli publish chat:lobby '{"text":"hi"}'
  realtime-cli publish chat:lobby hello              # the string "hello"
  tail -f app.log | realtime-cli publish logs:app --string
  realtime-cli publish prices:eur '{"bid":1.08}' --sign-key pricing-private.pem
  realtime-cli publish orders:42 '{"paid":true}' --idempotency-key order-42-paid`,
    )
    .action(async (topic, payload, options) => {
      const { openConnection, closedError } = await import("../connection.ts");
      const { readLines } = await import("../lines.ts");
      const { tokenVia, url } = ctx.globals;
      const token = ctx.requiredToken;
      if (options.signAlg !== undefined && options.signKey === undefined) {
        throw new CliError(ExitCode.Usage, "--sign-alg needs --sign-key");
      }
      const key = options.idempotencyKey;
      if (key !== undefined) {
        // The frame's own rule, checked before connecting.
        const problem = idempotencyKeyProblem(key);
        if (problem !== undefined) {
          throw new CliError(ExitCode.Usage, `--idempotency-key: ${problem}`);
        }
        if (payload === undefined && key.length > MAX_STDIN_KEY_LENGTH) {
          throw new CliError(
            ExitCode.Usage,
            `--idempotency-key is ${key.length} characters: with stdin each line adds -<n>, so at most ${MAX_STDIN_KEY_LENGTH} are allowed`,
          );
        }
      }
      // Read before connecting: a bad key file fails without touching the hub.
      const signer = options.signKey === undefined ? undefined : await (
        await import("../publication_keys.ts")
      ).readSigningKeyFile(options.signKey, options.signAlg);
      const connection = await openConnection({
        url: hubUrl(url),
        token,
        via: tokenVia,
        timeoutMs: options.timeout,
        signal: ctx.io.signal,
        awaitWelcome: true,
      });
      const value = (text: string) => options.string ? text : jsonOrString(text);
      let id = 0;
      let failures = 0;
      const send = async (body: unknown) => {
        id++;
        const frame: { type: string; [field: string]: unknown } = signer === undefined
          ? { type: "publish", topic, payload: body }
          : { type: "publish", topic, jws: await signer.sign(topic, body) };
        if (key !== undefined) frame.idempotencyKey = payload === undefined ? `${key}-${id}` : key;
        const refused = await connection.request(
          frame,
          { timeoutMs: options.timeout, what: `the ack of message ${id}`, topic },
        );
        if (refused !== undefined) {
          failures++;
          ctx.warn(`message ${id} to '${topic}' failed: ${refused.message} (${refused.code})`);
          ctx.fail(exitCodeForErrorFrame(refused.code));
        }
      };
      try {
        if (payload !== undefined) {
          await send(value(payload));
        } else {
          if (ctx.io.lineEditing) {
            ctx.status("reading messages from stdin, one per line; Ctrl-D ends");
          }
          for await (const line of readLines(ctx.io.stdin(), ctx.io.signal)) {
            if (line.trim() === "") continue;
            if (connection.closeInfo !== undefined) break;
            await send(value(line));
          }
          if (connection.closeInfo !== undefined) {
            throw closedError(connection.closeInfo, "the next message");
          }
        }
      } finally {
        await connection.close(1000);
      }
      if (id > 1) ctx.status(`published ${id - failures} of ${id} messages to ${topic}`);
    });
}
