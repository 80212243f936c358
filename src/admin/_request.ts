// Reading and checking untrusted admin request input: the JSON body (type,
// size, depth) and path parameters.

import { HubError } from "../protocol/errors.ts";
import { readJsonObjectBody } from "../hub/http_body.ts";
import { errorResponse } from "./credential.ts";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Longest accepted user id, as for a token's `sub`. */
export const MAX_USER_LENGTH = 256;

/** Input the admin API refuses: answered with its status and `BAD_REQUEST`. */
export class AdminInputError extends HubError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super("BAD_REQUEST", message);
    this.name = "AdminInputError";
    this.status = status;
    this.headers = headers;
  }

  toResponse(): Response {
    return errorResponse(this.status, this.code, this.message, this.headers);
  }
}

/** Nesting depth of a parsed JSON value (a scalar is 0, `{}` is 1), without recursion. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * Reads a JSON object body: `application/json`, at most 64 KiB, valid UTF-8
 * and JSON, at most `maxDepth` levels deep (the body object being level 1).
 */
export async function readJsonObject(
  req: Request,
  maxDepth: number,
): Promise<Record<string, unknown>> {
  const read = await readJsonObjectBody(req, MAX_BODY_BYTES);
  if (!read.ok) {
    switch (read.refusal) {
      case "media-type":
        throw new AdminInputError(415, read.message);
      case "too-large":
        throw new AdminInputError(
          413,
          `Request body is too large: at most ${MAX_BODY_BYTES} bytes`,
        );
      default:
        throw new AdminInputError(400, read.message);
    }
  }
  const value = read.value;
  const depth = depthOf(value, maxDepth);
  if (depth > maxDepth) {
    throw new AdminInputError(
      400,
      `Request body is nested more than ${maxDepth} levels deep`,
    );
  }
  return value;
}

/** Decodes one raw path segment. */
export function decodeSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AdminInputError(400, `Invalid '${name}' in path: not valid percent-encoding`);
  }
}

/** Checks a user id: a string of 1 to 256 characters. */
export function checkUser(value: unknown, name: string): string {
  if (typeof value !== "string") {
    throw new AdminInputError(400, `Invalid '${name}': expected a string, got ${kind(value)}`);
  }
  if (value.length === 0 || value.length > MAX_USER_LENGTH) {
    throw new AdminInputError(
      400,
      `Invalid '${name}': it has ${value.length} characters, expected 1 to ${MAX_USER_LENGTH}`,
    );
  }
  return value;
}

/** Checks an event name: a string of 1 to 128 characters. */
export function checkEvent(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 128) {
    throw new AdminInputError(
      400,
      `Invalid 'event': expected a string of 1 to 128 characters, got ${kind(value)}`,
    );
  }
  return value;
}

/** Requires a field to be present (any JSON value, `null` included). */
export function requireField(body: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(body, name)) throw new AdminInputError(400, `Missing '${name}'`);
  return body[name];
}

/** A short description of a value's type for error messages, never the value itself. */
export function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  return typeof value;
}
