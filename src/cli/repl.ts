/**
 * The commands of the interactive session (`realtime-cli connect`), parsed
 * into frames by a pure function.
 *
 * @module
 */

import { jsonOrString } from "./args.ts";

/** What one typed line asks for. */
export type ReplAction =
  | { kind: "send"; frame: unknown }
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
  auth TOKEN           authenticate (first message) or refresh the token
  {"type":...}         send a raw JSON frame as typed
  help                 this help
  quit                 close the connection and exit (also Ctrl-D)`;

/**
 * Parses one line of the interactive session.
 *
 * @param line The line as typed.
 * @param id The request id to use for a frame.
 * @returns What to do.
 */
export function parseReplLine(line: string, id: number): ReplAction {
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
    case "auth":
      if (first === undefined || rest !== undefined) {
        return { kind: "invalid", message: "Usage: auth TOKEN" };
      }
      return { kind: "send", frame: { type: "auth", id, token: first } };
    default:
      return { kind: "invalid", message: `Unknown command '${command}': type 'help' for the list` };
  }
}
