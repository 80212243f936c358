// Checks of untrusted engine arguments, shared by the engines: each returns
// what is wrong with the value seen, or undefined.

import type {
  ControlCommand,
  EnginePublication,
  EnginePublishOptions,
  HistoryQuery,
  PresenceEntry,
  StreamPosition,
} from "./engine.ts";
import { idempotencyKeyProblem } from "../protocol/idempotency_key.ts";

export function publicationProblem(publication: EnginePublication): string | undefined {
  if (typeof publication !== "object" || publication === null) {
    return `Invalid publication: expected an object, got ${publication}`;
  }
  if (typeof publication.data !== "string") {
    return `Invalid publication: 'data' must be a JSON string, got ${typeof publication.data}`;
  }
  return undefined;
}

/** What is wrong with a publish's options, if anything. */
export function publishOptionsProblem(
  options: EnginePublishOptions | undefined,
): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    return `Invalid publish options: expected an object, got ${options}`;
  }
  if (options.onRepeat !== undefined && typeof options.onRepeat !== "function") {
    return "Invalid publish options: 'onRepeat' must be a function";
  }
  const key = options.idempotencyKey;
  if (key !== undefined) {
    const problem = idempotencyKeyProblem(key);
    if (problem !== undefined) return `Invalid publish options: ${problem}`;
  }
  return undefined;
}

export function entryProblem(entry: PresenceEntry): string | undefined {
  if (typeof entry !== "object" || entry === null) {
    return `Invalid presence entry: expected an object, got ${entry}`;
  }
  if (typeof entry.connection !== "string" || entry.connection === "") {
    return "Invalid presence entry: 'connection' must be a non-empty string";
  }
  if (typeof entry.user !== "string") {
    return `Invalid presence entry: 'user' must be a string, got ${typeof entry.user}`;
  }
  return undefined;
}

export function positionProblem(position: StreamPosition, name: string): Error | undefined {
  if (typeof position !== "object" || position === null) {
    return new TypeError(`Invalid '${name}': expected {offset, epoch}, got ${position}`);
  }
  if (typeof position.epoch !== "string") {
    return new TypeError(
      `Invalid '${name}.epoch': expected a string, got ${typeof position.epoch}`,
    );
  }
  if (!Number.isSafeInteger(position.offset) || position.offset < 0) {
    return new RangeError(
      `Invalid '${name}.offset': expected a non-negative integer, got ${position.offset}`,
    );
  }
  return undefined;
}

export function queryProblem(query: HistoryQuery): Error | undefined {
  if (typeof query !== "object" || query === null) {
    return new TypeError(`Invalid history query: expected an object, got ${query}`);
  }
  if (!Number.isSafeInteger(query.limit) || query.limit < 0) {
    return new RangeError(
      `Invalid 'limit': expected a non-negative integer, got ${query.limit}`,
    );
  }
  if (query.reverse !== undefined && typeof query.reverse !== "boolean") {
    return new TypeError(`Invalid 'reverse': expected a boolean, got ${typeof query.reverse}`);
  }
  return query.since === undefined ? undefined : positionProblem(query.since, "since");
}

/** Every `type` of a {@linkcode ControlCommand}. */
const CONTROL_TYPES = new Set<string>([
  "send_to_user",
  "broadcast_users",
  "disconnect_user",
  "revoke",
  "update_rules",
  "disconnect_connection",
  "query",
  "answer",
]);

export function isControlType(type: unknown): boolean {
  return typeof type === "string" && CONTROL_TYPES.has(type);
}

export function controlProblem(command: ControlCommand): string | undefined {
  if (typeof command === "object" && command !== null && isControlType(command.type)) {
    return undefined;
  }
  const type = typeof command === "object" && command !== null ? command.type : command;
  return `Invalid control command: unknown type '${type}'`;
}
