// HTTP edges of the accounts handler: bounded JSON bodies, JSON answers with
// stable codes, cookies, credentials from headers. Nothing here echoes a
// password or a token.

import { readJsonObjectBody } from "../hub/http_body.ts";
import { AccountsError } from "./errors.ts";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 8 * 1024;

const NO_STORE = { "cache-control": "no-store", "content-type": "application/json" };

export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(NO_STORE);
  for (const [k, v] of new Headers(headers)) h.append(k, v);
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: h });
}

export function errorResponse(error: AccountsError, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  if (error.retryAfterSeconds !== undefined) h.set("retry-after", String(error.retryAfterSeconds));
  if (error.status === 401) h.set("www-authenticate", 'Bearer realm="realtime"');
  return json(error.status, { code: error.code, message: error.message }, h);
}

/** Whether the request carries a body at all (so an empty refresh can use the cookie). */
export function hasBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  return req.headers.has("content-type") || (length !== null && length !== "0") ||
    (length === null && req.headers.has("transfer-encoding"));
}

/** Reads a JSON object body: `application/json`, at most 8 KiB, valid UTF-8 and JSON. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const read = await readJsonObjectBody(req, MAX_BODY_BYTES);
  if (read.ok) return read.value;
  switch (read.refusal) {
    case "media-type":
      throw new AccountsError("UNSUPPORTED_MEDIA_TYPE", read.message);
    case "too-large":
      throw new AccountsError("PAYLOAD_TOO_LARGE", read.message);
    case "empty":
      // An empty body is simply not JSON here, as it always was.
      throw new AccountsError("INVALID_REQUEST", "Request body is not valid JSON");
    default:
      throw new AccountsError("INVALID_REQUEST", read.message);
  }
}

/** A required string field (its value is never quoted in the error). */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string") {
    throw new AccountsError(
      "INVALID_REQUEST",
      `Field '${name}' must be a string, got ${value === null ? "null" : typeof value}`,
    );
  }
  return value;
}

/** `Authorization: Basic` credentials, or `undefined` when the header is not Basic. */
export function basicCredentials(req: Request): { username: string; password: string } | undefined {
  const header = req.headers.get("authorization");
  if (header === null || !/^basic /i.test(header)) return undefined;
  const encoded = header.slice(6).trim();
  let decoded: string;
  try {
    if (encoded.length > 2048) throw new Error();
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new AccountsError(
      "INVALID_REQUEST",
      "Authorization header is not valid Basic credentials",
    );
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    throw new AccountsError(
      "INVALID_REQUEST",
      "Authorization header is not valid Basic credentials",
    );
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The bearer token, or `undefined`. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.get("authorization");
  const match = header === null ? null : /^bearer +([^\s]+)$/i.exec(header);
  return match?.[1];
}

/** The value of one cookie, or `undefined`. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Attributes of the refresh cookie. */
export interface CookieShape {
  name: string;
  path: string;
  secure: boolean;
}

export function setCookie(shape: CookieShape, value: string, maxAgeSeconds: number): string {
  return `${shape.name}=${value}; HttpOnly;${
    shape.secure ? " Secure;" : ""
  } SameSite=Strict; Path=${shape.path}; Max-Age=${maxAgeSeconds}`;
}

export function clearCookie(shape: CookieShape): string {
  return setCookie(shape, "", 0);
}
