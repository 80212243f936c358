/**
 * Asking the hub about one concrete topic (its history, who is present), as
 * the `history` and `presence` commands do: the token is required, a
 * pattern is refused before connecting, a refusal becomes the exit code for
 * its error code, and the connection is closed whatever happens.
 *
 * @module
 */

import type { ConnectionReply } from "../client/connection.ts";
import { RealtimeError } from "../client/errors.ts";
import { openConnection } from "./connection.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "./errors.ts";
import { hubUrl } from "./url.ts";

/** Sends one request about the topic and returns the reply; throws a {@linkcode CliError} on a refusal. */
export type TopicAsk = (
  frame: { type: string; [field: string]: unknown },
) => Promise<ConnectionReply>;

/**
 * Connects, lets `run` ask about `topic`, and closes the connection.
 *
 * @param ctx The command's context (globals, token, signal).
 * @param topic A concrete topic.
 * @param subject What is asked, for messages: `history` or `presence`.
 * @param timeoutMs Deadline for connecting and for each reply.
 * @param run What to ask and print.
 * @returns What `run` returns.
 * @throws {CliError} 1 (usage) for a pattern or a missing token, the exit code
 * of the hub's refusal, or those of {@linkcode openConnection}.
 *
 * @example Print a topic's presence counts
 * ```ts ignore
 * await queryTopic(ctx, "room:1", "presence", 10_000, async (ask) => {
 *   const answer = await ask({ type: "presence_stats" });
 *   ctx.out(JSON.stringify(answer));
 * });
 * ```
 */
export async function queryTopic<T>(
  ctx: Context,
  topic: string,
  subject: "history" | "presence",
  timeoutMs: number,
  run: (ask: TopicAsk) => Promise<T>,
): Promise<T> {
  const { tokenVia, url } = ctx.globals;
  const token = ctx.requiredToken;
  if (topic.includes("*")) {
    const Subject = subject[0].toUpperCase() + subject.slice(1);
    throw new CliError(
      ExitCode.Usage,
      `${Subject} needs a concrete topic, got the pattern '${topic}'`,
    );
  }
  const connection = await openConnection({
    url: hubUrl(url),
    token,
    via: tokenVia,
    timeoutMs,
    signal: ctx.io.signal,
    awaitWelcome: true,
  });
  const ask: TopicAsk = async (frame) => {
    const answer = await connection.ask({ ...frame, topic }, {
      timeoutMs,
      what: `the ${subject} of '${topic}'`,
      topic,
    });
    if (answer instanceof RealtimeError) {
      throw new CliError(
        exitCodeForErrorFrame(answer.code),
        `Cannot read the ${subject} of '${topic}': ${answer.message} (${answer.code})`,
      );
    }
    return answer;
  };
  try {
    return await run(ask);
  } finally {
    await connection.close(1000);
  }
}
