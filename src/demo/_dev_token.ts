// The demo page's development tokens from `POST /dev/token`, as the page's
// `getToken` asks for them. The client treats whatever `getToken` throws as
// final unless it is a `RealtimeError` with `retry: true` (`options.ts`), and
// asks for a fresh token after a few failed reconnects: a browser that is
// still offline then must get "try again later", not "stop for good", or the
// page never reconnects when the network comes back.

import { RealtimeError } from "../client/mod.ts";

/** `fetch`, or a stand-in with its signature. */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Statuses that say the minter cannot answer now rather than that it
 * refuses: busy, or a proxy or server in the way failing.
 */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Mints a development token for `sub` valid `ttl` seconds.
 *
 * @param sub The user the token is for.
 * @param ttl Its lifetime in seconds.
 * @param fetch How to send the request (the page's own, or a test's base URL).
 * @returns The token.
 * @throws {RealtimeError} `AUTH_FAILED` with `retry: true` when the request
 * failed (offline, the hub unreachable) or the hub answered a transient
 * status, with `retry: false` when it refused (a bad `sub` or `ttl`).
 */
export async function mintDevToken(sub: string, ttl: number, fetch: Fetch): Promise<string> {
  let response: Response;
  let text: string;
  try {
    response = await fetch("/dev/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub, ttl }),
    });
    // Read here: the connection can drop while the body arrives, too.
    text = await response.text();
  } catch (error) {
    throw new RealtimeError(
      "AUTH_FAILED",
      "Cannot mint a development token now: the request failed",
      { retry: true, cause: error },
    );
  }
  let body: { token?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined; // a proxy's error page, say: the status decides
  }
  if (response.ok && typeof body?.token === "string" && body.token !== "") return body.token;
  const said = typeof body?.message === "string" ? body.message : undefined;
  const retry = TRANSIENT_STATUSES.has(response.status);
  throw new RealtimeError(
    "AUTH_FAILED",
    said ??
      (response.ok
        ? "Minting answered without a token"
        : `Minting failed with HTTP ${response.status}`),
    { retry },
  );
}
