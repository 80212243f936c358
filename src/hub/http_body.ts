/**
 * Reading an HTTP body within a bound, and the JSON `{code, message}`
 * answer of a refusal: one implementation for every HTTP door (the hub's
 * SSE and HTTP publish, the admin API, the accounts API) and for the
 * answers of the proxy's backends. It lives in the hub layer, the lowest
 * with HTTP doors, so that every door above may import it; each caller
 * keeps its own status, code and wording where they differ.
 *
 * @module
 */

/**
 * Reads the body of a request (or of a backend's response), at most `max`
 * bytes. A larger body, declared by `content-length` or found while
 * reading, is cancelled rather than read to its end.
 *
 * @param message The request or response.
 * @param max Largest accepted body, in bytes.
 * @returns The bytes (empty when there is no body), or `undefined` when larger than `max`.
 *
 * @example Bounded reading
 * ```ts
 * import { readBodyBytes } from "./http_body.ts";
 * import assert from "node:assert/strict";
 *
 * const req = () => new Request("http://hub.test/", { method: "POST", body: "hello" });
 * assert.equal((await readBodyBytes(req(), 5))?.byteLength, 5);
 * assert.equal(await readBodyBytes(req(), 4), undefined);
 * ```
 */
export async function readBodyBytes(
  message: Request | Response,
  max: number,
): Promise<Uint8Array | undefined> {
  const declared = message.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await message.body?.cancel().catch(() => {});
    return undefined;
  }
  if (message.body === null) return new Uint8Array();
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * Decodes bytes as UTF-8, refusing invalid sequences rather than replacing them.
 *
 * @param bytes The bytes.
 * @returns The text, or `null` when the bytes are not UTF-8.
 *
 * @example Strict decoding
 * ```ts
 * import { decodeUtf8 } from "./http_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeUtf8(new TextEncoder().encode("héllo")), "héllo");
 * assert.equal(decodeUtf8(new Uint8Array([0xff])), null);
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Reads a request's body as UTF-8 text, at most `max` bytes.
 *
 * @param req The request.
 * @param max Largest accepted body, in bytes.
 * @returns The text; `undefined` when larger than `max` bytes, `null` when not UTF-8.
 *
 * @example Text within a bound
 * ```ts
 * import { readBodyText } from "./http_body.ts";
 * import assert from "node:assert/strict";
 *
 * const req = new Request("http://hub.test/", { method: "POST", body: "hello" });
 * assert.equal(await readBodyText(req, 1024), "hello");
 * ```
 */
export async function readBodyText(
  req: Request,
  max: number,
): Promise<string | undefined | null> {
  const bytes = await readBodyBytes(req, max);
  return bytes === undefined ? undefined : decodeUtf8(bytes);
}

/** Why {@linkcode readJsonObjectBody} refused a body. */
export type JsonBodyRefusal =
  | "media-type"
  | "too-large"
  | "empty"
  | "not-json"
  | "not-object";

/** The outcome of {@linkcode readJsonObjectBody}. */
export type JsonBodyResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | {
    readonly ok: false;
    /** Which check failed, for the caller to choose its status and code. */
    readonly refusal: JsonBodyRefusal;
    /** A sentence-case message; callers word `too-large` and `empty` themselves. */
    readonly message: string;
  };

/**
 * Reads a JSON object body: `application/json`, at most `max` bytes, not
 * empty, valid UTF-8 and JSON, an object. The checks run in that order; a
 * body of another media type is cancelled unread.
 *
 * @param req The request.
 * @param max Largest accepted body, in bytes.
 * @returns The object, or which check failed and why.
 *
 * @example A JSON object, and a refusal
 * ```ts
 * import { readJsonObjectBody } from "./http_body.ts";
 * import assert from "node:assert/strict";
 *
 * const post = (body: string, type = "application/json") =>
 *   new Request("http://hub.test/", { method: "POST", body, headers: { "content-type": type } });
 * assert.deepEqual(await readJsonObjectBody(post('{"a":1}'), 1024), { ok: true, value: { a: 1 } });
 * const refused = await readJsonObjectBody(post("[1]"), 1024);
 * assert.equal(refused.ok ? undefined : refused.refusal, "not-object");
 * ```
 */
export async function readJsonObjectBody(req: Request, max: number): Promise<JsonBodyResult> {
  const type = req.headers.get("content-type");
  const media = type?.split(";")[0].trim().toLowerCase();
  if (media !== "application/json") {
    await req.body?.cancel().catch(() => {});
    const got = type === null ? "no content type" : `'${type.slice(0, 100)}'`;
    return {
      ok: false,
      refusal: "media-type",
      message: `Request body must be application/json, got ${got}`,
    };
  }
  const bytes = await readBodyBytes(req, max);
  if (bytes === undefined) {
    return { ok: false, refusal: "too-large", message: `Request body is over ${max} bytes` };
  }
  if (bytes.byteLength === 0) {
    return { ok: false, refusal: "empty", message: "Request body is empty" };
  }
  const notJson = {
    ok: false,
    refusal: "not-json",
    message: "Request body is not valid JSON",
  } as const;
  const text = decodeUtf8(bytes);
  if (text === null) return notJson;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return notJson;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, refusal: "not-object", message: "Request body must be a JSON object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * The JSON answer `{code, message}` of a refused HTTP request.
 *
 * @param status The HTTP status.
 * @param code The stable error code.
 * @param message The sentence-case message.
 * @param headers More headers, e.g. `retry-after` or `www-authenticate`.
 * @returns The response, `content-type: application/json`.
 *
 * @example A refusal
 * ```ts
 * import { errorResponse } from "./http_body.ts";
 * import assert from "node:assert/strict";
 *
 * const res = errorResponse(413, "TOO_LARGE", "Body is larger than 65536 bytes");
 * assert.equal(res.status, 413);
 * assert.deepEqual(await res.json(), { code: "TOO_LARGE", message: "Body is larger than 65536 bytes" });
 * ```
 */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
