/** Structural checks on a compact JWS, run before any cryptography. */

import { AuthError } from "./errors.ts";

/** Three base64url segments; the header and payload non-empty, the signature possibly empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL = { alphabet: "base64url" } as const;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A compact JWS split once, with its protected header decoded. */
export interface CompactJws {
  /** The decoded protected header, a JSON object. */
  header: Record<string, unknown>;
  /** The whole token. */
  token: string;
  /** Where the payload segment starts (after the first dot). */
  payloadStart: number;
  /** Where the signing input ends (the second dot). */
  payloadEnd: number;
}

/**
 * Decodes one base64url segment, or returns undefined. Input already matched
 * COMPACT, so the one failure left is a length of 1 modulo 4; the decoder is
 * the one jose uses, so both verification paths accept the same segments.
 */
export function decodeSegment(segment: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.fromBase64(segment, BASE64URL);
  } catch {
    return undefined;
  }
}

/** Decodes UTF-8 JSON, or returns undefined for bytes that are not. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(UTF8.decode(bytes));
  } catch {
    return undefined;
  }
}

/** Whether a JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Splits a compact JWS and decodes its protected header, or throws AuthError "malformed". */
export function parseCompact(token: string): CompactJws {
  if (!COMPACT.test(token)) throw new AuthError("malformed");
  const payloadStart = token.indexOf(".") + 1;
  const payloadEnd = token.indexOf(".", payloadStart);
  // JSON.parse never yields undefined, so undefined stands for a decoding failure.
  const bytes = decodeSegment(token.slice(0, payloadStart - 1));
  const header = bytes === undefined ? undefined : parseJsonBytes(bytes);
  if (!isJsonObject(header)) throw new AuthError("malformed");
  return { header, token, payloadStart, payloadEnd };
}
