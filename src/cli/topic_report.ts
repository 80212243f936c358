/**
 * Reading a topic's history or presence through a {@linkcode TopicAsk} and
 * printing it, shared by the `history` and `presence` commands and by the
 * interactive session's commands of the same names.
 *
 * @module
 */

import { historyResult } from "../client/history.ts";
import { presenceMembers } from "../client/presence.ts";
import type { SinceArg } from "./args.ts";
import type { Colors } from "./colors.ts";
import { CliError, ExitCode } from "./errors.ts";
import { compactJson, formatMessageLine } from "./format.ts";
import type { TopicAsk } from "./topic_query.ts";

/** Where a report goes: results to `out`, the summary to `status`. */
export interface ReportOutput {
  /** Styles for `out`. */
  readonly colors: Colors;
  /** Prints one result line. */
  out(line: string): void;
  /** Prints the summary line. */
  status(line: string): void;
}

/** What to read of a topic's history, as `history`'s options say it. */
export interface HistoryQuery {
  /** At most this many publications (the hub's default when absent). */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
  /** After this position (before it with `reverse`); the current epoch when it names none. */
  since?: SinceArg;
  /** One JSON line per publication. */
  json?: boolean;
}

/**
 * Reads a topic's history and prints one line per publication, then its
 * position as the summary.
 *
 * @param ask Asks about the topic.
 * @param topic The topic, for the summary.
 * @param query What to read.
 * @param output Where to print.
 * @throws {CliError} On a refusal, or 3 when the hub answers with another frame.
 */
export async function reportHistory(
  ask: TopicAsk,
  topic: string,
  query: HistoryQuery,
  output: ReportOutput,
): Promise<void> {
  const read = async (frame: Record<string, unknown>) => {
    const answer = await ask({ type: "history", ...frame });
    if (answer.type !== "history") {
      throw new CliError(ExitCode.Connection, `The hub answered with '${answer.type}'`);
    }
    return historyResult(answer);
  };
  const frame: Record<string, unknown> = {};
  if (query.limit !== undefined) frame.limit = query.limit;
  if (query.reverse) frame.reverse = true;
  if (query.since !== undefined) {
    const epoch = query.since.epoch ?? (await read({ limit: 0 })).position.epoch;
    frame.since = { offset: query.since.offset, epoch };
  }
  const { publications, position } = await read(frame);
  for (const publication of publications) {
    output.out(
      query.json
        ? JSON.stringify({ type: "message", ...publication })
        : `${output.colors.dim(`#${publication.offset}`)} ${
          formatMessageLine(publication as unknown as Record<string, unknown>, output.colors)
        }`,
    );
  }
  output.status(
    `${publications.length} publications; '${topic}' is at offset ${position.offset} ` +
      `of epoch ${position.epoch} (tail --since ${position.offset}:${position.epoch})`,
  );
}

/** What to show of a topic's presence. */
export interface PresenceQuery {
  /** Only the counts. */
  stats?: boolean;
  /** JSON lines. */
  json?: boolean;
}

/**
 * Reads who is subscribed to a topic and prints one line per connection
 * (user, connection id, info) then the counts, or with `stats` the counts only.
 *
 * @param ask Asks about the topic.
 * @param topic The topic, for the summary.
 * @param query What to show.
 * @param output Where to print.
 * @throws {CliError} On a refusal, or 3 when the hub answers with another frame.
 */
export async function reportPresence(
  ask: TopicAsk,
  topic: string,
  query: PresenceQuery,
  output: ReportOutput,
): Promise<void> {
  const answer = await ask({ type: query.stats ? "presence_stats" : "presence" });
  if (answer.type === "presence_stats") {
    output.out(
      query.json
        ? JSON.stringify({ connections: answer.connections, users: answer.users })
        : `${answer.connections} connections, ${answer.users} users`,
    );
  } else if (answer.type === "presence") {
    const members = presenceMembers(answer);
    for (const m of members) {
      output.out(
        query.json
          ? JSON.stringify(m)
          : `${output.colors.cyan(m.user)} ${m.connectionId}${
            m.info === undefined ? "" : ` ${compactJson(m.info)}`
          }`,
      );
    }
    const users = new Set(members.map((m) => m.user)).size;
    output.status(`${members.length} connections, ${users} users on '${topic}'`);
  } else {
    throw new CliError(ExitCode.Connection, `The hub answered with '${answer.type}'`);
  }
}
