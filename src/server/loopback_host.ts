/**
 * The loopback-Host rule of a development server, its defence against DNS
 * rebinding: a page on an attacker's name that resolves to 127.0.0.1 reaches
 * a loopback server with its own name as `Host` (and `Origin`), so only
 * loopback names are ours. `serve` applies it to every request when asked
 * (`requireLoopbackHost`, which `startServer` sets with the development
 * key), and `/dev/token` applies it again. Not exported from the package.
 *
 * @module
 */

/** `localhost`, `127.0.0.1` or `[::1]`, with an optional port. */
const LOOPBACK_HOST_RE = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * Whether a `Host` header names this machine's loopback interface.
 *
 * @param host The `Host` header, or `null` when absent.
 * @returns `true` for `localhost`, `127.0.0.1` or `[::1]`, with any port.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./loopback_host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackHost("localhost:8000"), true);
 * assert.equal(isLoopbackHost("127.0.0.1.attacker.example:8000"), false);
 * ```
 */
export function isLoopbackHost(host: string | null | undefined): boolean {
  return typeof host === "string" && LOOPBACK_HOST_RE.test(host);
}

/**
 * Whether an `Origin` is one of the loopback origins of a port:
 * `http://localhost:<port>`, `http://127.0.0.1:<port>` or `http://[::1]:<port>`.
 *
 * @param origin The `Origin` header.
 * @param port The port the server listens on.
 * @returns Whether a page of that origin is served by this loopback server.
 *
 * @example
 * ```ts
 * import { isLoopbackOrigin } from "./loopback_host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackOrigin("http://localhost:8000", 8000), true);
 * assert.equal(isLoopbackOrigin("http://localhost:3000", 8000), false);
 * ```
 */
export function isLoopbackOrigin(origin: string, port: number): boolean {
  const lower = origin.toLowerCase();
  return ["localhost", "127.0.0.1", "[::1]"].some((name) => lower === `http://${name}:${port}`);
}

/**
 * The 403 a development server answers to a request whose `Host` is not a
 * loopback name; the connection is not kept alive.
 *
 * @param host The `Host` seen, quoted (shortened) in the message.
 * @returns The response.
 */
export function foreignHostResponse(host: string | null | undefined): Response {
  const seen = host === null || host === undefined ? "none" : JSON.stringify(host.slice(0, 100));
  return Response.json({
    code: "FORBIDDEN",
    message:
      `This development server answers only a loopback Host (localhost, 127.0.0.1 or [::1]), got ${seen}`,
  }, { status: 403, headers: { connection: "close", "cache-control": "no-store" } });
}
