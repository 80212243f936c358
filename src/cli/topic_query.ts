/**
 * Asking the hub about one concrete topic (its history, who is present), as
 * the `history` and `presence` commands and the interactive session's
 * commands of the same names do: a pattern is refused before anything is
 * sent, and a refusal becomes a {@linkcode CliError} with the exit code for
 * its error code.
 *
 * @module
 */

import type { ConnectionReply } from "../client/connection.ts";
import { RealtimeError } from "../client/errors.ts";
import { type Connection, openConnection } from "./connection.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode, exitCodeForErrorFrame } from "./errors.ts";
import { hubUrl } from "./url.ts";

/** Sends one request about the topic and returns the reply; throws a {@linkcode CliError} on a refusal. */
export type TopicAsk = (
  frame: { type: string; [field: string]: unknown },
) => Promise<ConnectionReply>;

/** What is asked about a topic, for messages. */
export type TopicSubject = "history" | "presence";

/**
 * Refuses a pattern: history and presence are kept per concrete topic.
 *
 * @param topic The topic given.
 * @param subject What is asked.
 * @throws {CliError} 1 (usage) when `topic` is a pattern.
 */
export function checkConcreteTopic(topic: string, subject: TopicSubject): void {
  if (!topic.includes("*")) return;
  const Subject = subject[0].toUpperCase() + subject.slice(1);
  throw new CliError(
    ExitCode.Usage,
    `${Subject} needs a concrete topic, got the pattern '${topic}'`,
  );
}

/**
 * Asks about `topic` on a connection that is already open.
 *
 * @param connection The connection, which stays open.
 * @param topic A concrete topic (checked).
 * @param subject What is asked, for messages.
 * @param timeoutMs Deadline for each reply.
 * @returns The asking function.
 * @throws {CliError} 1 (usage) when `topic` is a pattern.
 */
export function topicAsker(
  connection: Connection,
  topic: string,
  subject: TopicSubject,
  timeoutMs: number,
): TopicAsk {
  checkConcreteTopic(topic, subject);
  return async (frame) => {
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
}

/**
 * Connects, lets `run` ask about `topic`, and closes the connection whatever
 * happens.
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
  subject: TopicSubject,
  timeoutMs: number,
  run: (ask: TopicAsk) => Promise<T>,
): Promise<T> {
  const { tokenVia, url } = ctx.globals;
  const token = ctx.requiredToken;
  checkConcreteTopic(topic, subject);
  const connection = await openConnection({
    url: hubUrl(url),
    token,
    via: tokenVia,
    timeoutMs,
    signal: ctx.io.signal,
    awaitWelcome: true,
  });
  try {
    return await run(topicAsker(connection, topic, subject, timeoutMs));
  } finally {
    await connection.close(1000);
  }
}
