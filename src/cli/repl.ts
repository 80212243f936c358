/**
 * The commands of the interactive session (`realtime-cli connect`), parsed
 * into frames by a pure function.
 *
 * @module
 */

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { jsonOrString, limitArg, sinceArg } from "./args.ts";
import type { HistoryQuery, PresenceQuery } from "./topic_report.ts";

/** What one typed line asks for. */
export type ReplAction =
  | { kind: "send"; frame: unknown }
  | { kind: "history"; topic: string; query: HistoryQuery }
  | { kind: "presence"; topic: string; query: PresenceQuery }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "empty" }
  | { kind: "invalid"; message: string };

/** The session's help, shown by `help`. */
export const REPL_HELP = `Commands:
  sub TOPIC            subscribe to a topic or pattern (chat:*, org:acme:**)
  unsub TOPIC          unsubscribe
  pub TOPIC PAYLOAD    publish; PAYLOAD is JSON if it parses, else a string
  ping                 ping the hub
  history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]
                       print what the topic's history holds, as 'realtime-cli history'
  presence TOPIC [--stats]
                       print who is subscribed to the topic, as 'realtime-cli presence'
  auth TOKEN           authenticate (first message) or refresh the token
  {"type":...}         send a raw JSON frame as typed
  help                 this help
  quit                 close the connection and exit (also Ctrl-D)`;

/**
 * Parses one line of the interactive session.
 *
 * @param line The line as typed.
 * @param id The request id to use for a frame (`history` and `presence` are
 * asked with the connection's own ids).
 * @returns What to do.
 */
export function parseReplLine(line: string, id: number | string): ReplAction {
  const text = line.trim();
  if (text === "") return { kind: "empty" };
  if (text.startsWith("{") || text.startsWith("[")) return { kind: "send", frame: text };
  const match = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(text)!;
  const [, command, first, rest] = match;
  switch (command.toLowerCase()) {
    case "help":
    case "?":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "quit" };
    case "ping":
      return { kind: "send", frame: { type: "ping", id } };
    case "sub":
    case "subscribe":
    case "unsub":
    case "unsubscribe": {
      const type = command.startsWith("sub") ? "subscribe" : "unsubscribe";
      if (first === undefined || rest !== undefined) {
        return { kind: "invalid", message: `Usage: ${command} TOPIC` };
      }
      return { kind: "send", frame: { type, id, topic: first } };
    }
    case "pub":
    case "publish":
      if (first === undefined || rest === undefined) {
        return { kind: "invalid", message: `Usage: ${command} TOPIC PAYLOAD` };
      }
      return {
        kind: "send",
        frame: { type: "publish", id, topic: first, payload: jsonOrString(rest) },
      };
    case "history":
    case "presence":
      return topicQuery(command.toLowerCase() as "history" | "presence", first, rest);
    case "auth":
      if (first === undefined || rest !== undefined) {
        return { kind: "invalid", message: "Usage: auth TOKEN" };
      }
      return { kind: "send", frame: { type: "auth", id, token: first } };
    default:
      return { kind: "invalid", message: `Unknown command '${command}': type 'help' for the list` };
  }
}

const QUERY_USAGE = {
  history: "Usage: history TOPIC [--limit N] [--reverse] [--since OFFSET[:EPOCH]]",
  presence: "Usage: presence TOPIC [--stats]",
} as const;

/** Parses the options of `history` and `presence`, with the parsers of the commands' own. */
function topicQuery(
  kind: "history" | "presence",
  topic: string | undefined,
  rest: string | undefined,
): ReplAction {
  const usage: ReplAction = { kind: "invalid", message: QUERY_USAGE[kind] };
  if (topic === undefined || topic.startsWith("-")) return usage;
  const words = rest === undefined ? [] : rest.trim().split(/\s+/);
  const history: HistoryQuery = {};
  const presence: PresenceQuery = {};
  try {
    for (let i = 0; i < words.length; i++) {
      const word = words[i];
      if (kind === "presence" && word === "--stats") presence.stats = true;
      else if (kind === "history" && word === "--reverse") history.reverse = true;
      else if (kind === "history" && word === "--limit" && i + 1 < words.length) {
        history.limit = limitArg(words[++i]);
      } else if (kind === "history" && word === "--since" && i + 1 < words.length) {
        history.since = sinceArg(words[++i]);
      } else return usage;
    }
  } catch (error) {
    if (error instanceof InvalidArgumentError) return { kind: "invalid", message: error.message };
    throw error;
  }
  return kind === "history" ? { kind, topic, query: history } : { kind, topic, query: presence };
}
