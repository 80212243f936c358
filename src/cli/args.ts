/**
 * Parsers for option values, shared by the commands. Each throws commander's
 * `InvalidArgumentError`, which commander reports as a usage error.
 *
 * @module
 */

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { parseDuration } from "../auth/duration.ts";

/**
 * Reads a value the way `publish` and `--claim` do: JSON when it parses,
 * else the text as a string (so `hello` is `"hello"` and `42` is `42`).
 *
 * @param text The text.
 * @returns The JSON value or the string.
 */
export function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Parses `--ttl 15m`, `--timeout 30s`: a duration in milliseconds. */
export function durationArg(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Parses a count such as `--count 5`: a whole number of at least 1. */
export function countArg(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`Expected a whole number of at least 1, got '${text}'`);
  }
  return value;
}

/** A `--since` position: an offset, and the epoch when one was given. */
export interface SinceArg {
  /** Resume after this offset. */
  offset: number;
  /** The stream's epoch; absent means the topic's current one. */
  epoch?: string;
}

/**
 * Parses `--since 42` or `--since 42:k3x9` (offset, then optionally the
 * epoch after the first colon).
 */
export function sinceArg(text: string): SinceArg {
  const colon = text.indexOf(":");
  const offsetText = colon < 0 ? text : text.slice(0, colon);
  const epoch = colon < 0 ? undefined : text.slice(colon + 1);
  const offset = Number(offsetText);
  if (!/^\d+$/.test(offsetText) || !Number.isSafeInteger(offset)) {
    throw new InvalidArgumentError(
      `Expected OFFSET or OFFSET:EPOCH with a whole number as OFFSET, got '${text.slice(0, 80)}'`,
    );
  }
  if (epoch !== undefined && (epoch.length === 0 || epoch.length > 64)) {
    throw new InvalidArgumentError(
      `Expected an EPOCH of 1 to 64 characters after the colon, got ${epoch.length}`,
    );
  }
  return epoch === undefined ? { offset } : { offset, epoch };
}

/** Parses `--limit` of `history`: 0 to 1000. */
export function limitArg(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 1000) {
    throw new InvalidArgumentError(`Expected a whole number from 0 to 1000, got '${text}'`);
  }
  return value;
}

/** Parses `--port`: 0 (any free port) to 65535. */
export function portArg(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) {
    throw new InvalidArgumentError(`Expected a port number 0-65535, got '${text}'`);
  }
  return value;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Collects `--role a,b` and `--role a --role b` alike. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return [...(previous ?? []), ...items];
}

/**
 * Splits `NAME=VALUE` at the first `=`.
 *
 * @param text The argument.
 * @param what What it is, for the message (`--claim`).
 * @returns The name and the raw value.
 */
export function splitPair(text: string, what: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) {
    throw new InvalidArgumentError(`Expected ${what} in the form NAME=VALUE, got '${text}'`);
  }
  return [text.slice(0, at), text.slice(at + 1)];
}

/** What `--acl` accepts, for help texts: both forms, the first preferred. */
export const ACL_OPTION_HELP =
  "a capability, such as 'chat:*=subscribe,publish'; repeatable (JSON such as " +
  `'{"chat:*":["subscribe"]}' is accepted too)`;

/**
 * Collects `--acl` into a capability claim, as `token mint` and `users add`
 * take it: `PATTERN=ACTIONS` (`'chat:*=subscribe,publish'`), or a JSON
 * object of patterns to action arrays (`'{"chat:*":["subscribe"]}'`), the
 * form `users add` took first. Repeated options merge. A pattern never starts
 * with `{` (the topic grammar has no braces), so the two forms cannot be
 * confused. Actions are checked later, by the capability parser.
 *
 * @param text One `--acl` value.
 * @param previous What earlier `--acl` options collected.
 * @returns The merged claim.
 */
export function collectAcl(
  text: string,
  previous: Record<string, string[]> | undefined,
): Record<string, string[]> {
  const merged = { ...previous };
  const add = (pattern: string, actions: string[]) => {
    merged[pattern] = [...new Set([...(merged[pattern] ?? []), ...actions])];
  };
  if (text.trimStart().startsWith("{")) {
    for (const [pattern, actions] of Object.entries(aclJson(text))) add(pattern, actions);
    return merged;
  }
  const [pattern, list] = splitPair(text, "a capability");
  const actions = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (actions.length === 0) {
    throw new InvalidArgumentError(
      `Expected actions after '=' in capability '${pattern}', such as 'subscribe,publish'`,
    );
  }
  add(pattern, actions);
  return merged;
}

function aclJson(text: string): Record<string, string[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(
      `Expected a capability as PATTERN=ACTIONS or a JSON object, got invalid JSON '${
        text.slice(0, 80)
      }'`,
    );
  }
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.values(value).some((v) => !Array.isArray(v) || v.some((a) => typeof a !== "string"))
  ) {
    throw new InvalidArgumentError(
      `Expected a JSON capability object of string arrays, such as '{"chat:*":["subscribe"]}', got '${
        text.slice(0, 80)
      }'`,
    );
  }
  return value as Record<string, string[]>;
}

/** Collects `--claim org=acme` (JSON values parsed) into an object. */
export function collectClaim(
  text: string,
  previous: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const [name, raw] = splitPair(text, "a claim");
  return { ...previous, [name]: jsonOrString(raw) };
}
