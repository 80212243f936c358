/**
 * The webhooks' signature, after the Standard Webhooks scheme: the hub
 * sends `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>`, keyed with the UTF-8 bytes of the webhook
 * secret. A receiver recomputes it, compares in constant time, and refuses
 * a timestamp too far from its own clock, so a captured request cannot be
 * replayed later (`docs/webhooks.md`).
 *
 * @module
 */

/** How far a timestamp may be from the receiver's clock, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The headers of a signed webhook request. */
export interface WebhookSignatureHeaders {
  /** The batch id. */
  "webhook-id": string;
  /** Unix seconds when the request was signed. */
  "webhook-timestamp": string;
  /** `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. */
  "webhook-signature": string;
}

async function hmac(secret: string, text: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Signs a webhook body.
 *
 * @param secret The webhook secret.
 * @param id The batch id.
 * @param timestamp Unix seconds.
 * @param body The exact body text.
 * @returns The three headers.
 *
 * @example Sign and verify
 * ```ts
 * import { signWebhook, verifyWebhook } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-webhook-secret-of-32-bytes-min!";
 * const body = '{"events":[]}';
 * const headers = await signWebhook(secret, "b-1", 1_700_000_000, body);
 * assert.equal(await verifyWebhook(secret, headers, body, 1_700_000_010), true);
 * assert.equal(await verifyWebhook(secret, headers, body + " ", 1_700_000_010), false);
 * ```
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<WebhookSignatureHeaders> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${await hmac(secret, `${id}.${timestamp}.${body}`)}`,
  };
}

/**
 * Verifies a webhook request as a backend written in TypeScript would:
 * the signature (any of the space-separated `v1,` values) and the
 * timestamp within {@linkcode WEBHOOK_TOLERANCE_SECONDS} of `now`.
 *
 * @param secret The webhook secret.
 * @param headers The request's `webhook-*` headers.
 * @param body The exact body text.
 * @param nowSeconds The receiver's time, unix seconds.
 * @returns Whether the request is the hub's, and fresh.
 *
 * @example Refuse a replay
 * ```ts
 * import { signWebhook, verifyWebhook } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-webhook-secret-of-32-bytes-min!";
 * const headers = await signWebhook(secret, "b-1", 1_700_000_000, "{}");
 * assert.equal(await verifyWebhook(secret, headers, "{}", 1_700_003_600), false);
 * ```
 */
export async function verifyWebhook(
  secret: string,
  headers: Partial<WebhookSignatureHeaders>,
  body: string,
  nowSeconds: number,
): Promise<boolean> {
  const id = headers["webhook-id"];
  const stamp = headers["webhook-timestamp"];
  const given = headers["webhook-signature"];
  if (id === undefined || stamp === undefined || given === undefined) return false;
  if (!/^\d{1,12}$/.test(stamp)) return false;
  if (Math.abs(nowSeconds - Number(stamp)) > WEBHOOK_TOLERANCE_SECONDS) return false;
  const expected = `v1,${await hmac(secret, `${id}.${stamp}.${body}`)}`;
  return given.split(" ").some((candidate) => sameText(candidate, expected));
}

/** Compares without stopping at the first difference. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
