// The one-off requests (history, presence, presence stats, RPC): their checks
// and messages load with the first call, so a page that only subscribes and
// publishes never downloads them (`RealtimeClient` imports this file
// dynamically). What the page holds anyway (the error class, the answer
// parsers) comes in through `QueryKit` rather than imports: a bundler makes a
// shared chunk of every file both sides import, and each chunk is one more
// file to fetch and gzip on its own.

import type { validateTopic } from "../topic/topic.ts";
import type { RealtimeError, RealtimeErrorOptions } from "./errors.ts";
import type { HistoryOptions, HistoryResult, historyResult } from "./history.ts";
import type { PresenceMember, presenceMembers, PresenceStats } from "./presence.ts";
import type { OutgoingRequest, Reply } from "./_requests.ts";

/** What the client lends the requests. */
export interface QueryKit {
  /** Sends a request once open and waits for its answer (the client's `#ask`). */
  ask(frame: OutgoingRequest, what: string, timeoutMs?: number): Promise<Reply>;
  RealtimeError: typeof RealtimeError;
  historyResult: typeof historyResult;
  presenceMembers: typeof presenceMembers;
  validateTopic: typeof validateTopic;
}

function unexpected(kit: QueryKit, reply: Reply, options: RealtimeErrorOptions): RealtimeError {
  return new kit.RealtimeError("INTERNAL", `The hub answered with '${reply.type}'`, options);
}

function checkTopic(kit: QueryKit, topic: string, what: string): void {
  const problem = kit.validateTopic(topic);
  if (problem !== undefined) throw new TypeError(`Cannot read ${what}: ${problem}`);
}

export async function history(
  kit: QueryKit,
  topic: string,
  options: HistoryOptions,
): Promise<HistoryResult> {
  checkTopic(kit, topic, "history");
  const { since, limit, reverse } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit <= 1000)) {
    throw new RangeError(
      `Cannot read history of '${topic}' with limit ${limit}: an integer from 0 to 1000 is required`,
    );
  }
  const frame: { -readonly [K in keyof OutgoingRequest]: OutgoingRequest[K] } = {
    type: "history",
    topic,
  };
  if (since !== undefined) frame.since = { offset: since.offset, epoch: since.epoch };
  if (limit !== undefined) frame.limit = limit;
  if (reverse === true) frame.reverse = true;
  const reply = await kit.ask(frame, "History request", options.timeoutMs);
  if (reply.type !== "history") throw unexpected(kit, reply, { topic });
  return kit.historyResult(reply);
}

export async function presence(
  kit: QueryKit,
  topic: string,
  timeoutMs: number | undefined,
): Promise<PresenceMember[]> {
  checkTopic(kit, topic, "presence");
  const reply = await kit.ask({ type: "presence", topic }, "Presence request", timeoutMs);
  if (reply.type !== "presence") throw unexpected(kit, reply, { topic });
  return kit.presenceMembers(reply);
}

export async function presenceStats(
  kit: QueryKit,
  topic: string,
  timeoutMs: number | undefined,
): Promise<PresenceStats> {
  checkTopic(kit, topic, "presence");
  const reply = await kit.ask(
    { type: "presence_stats", topic },
    "Presence stats request",
    timeoutMs,
  );
  if (reply.type !== "presence_stats") throw unexpected(kit, reply, { topic });
  return { connections: reply.connections, users: reply.users };
}

export async function rpc(
  kit: QueryKit,
  method: string,
  data: unknown,
  timeoutMs: number | undefined,
): Promise<unknown> {
  if (typeof method !== "string" || !/^[A-Za-z0-9_.:/-]{1,128}$/.test(method)) {
    throw new TypeError(
      `Cannot call '${
        String(method).slice(0, 32)
      }': a method is 1 to 128 of letters, digits and '_.:/-'`,
    );
  }
  const reply = await kit.ask({ type: "rpc", method, data }, `Call of '${method}'`, timeoutMs);
  if (reply.type !== "rpc") {
    throw unexpected(kit, reply, { retry: false });
  }
  return reply.data;
}
