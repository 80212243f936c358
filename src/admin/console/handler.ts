/**
 * The operator console's page, styles and script, served by the hub
 * itself. The page holds no data and no privilege: it signs in with the
 * admin credential, keeps it in memory, and does everything through the
 * admin API (with its audit log) and its `GET /stream` live feed.
 *
 * @module
 */

import { DEFAULT_ADMIN_PREFIX } from "../handler.ts";
import { bundleBrowserScript } from "../../demo/bundle.ts";
import { API_MARKER, CONSOLE_CSS, CONSOLE_HTML, MOUNT_MARKER } from "./page.ts";

/**
 * The default path of the console page.
 *
 * @example Link to it
 * ```ts
 * import { DEFAULT_CONSOLE_MOUNT } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CONSOLE_MOUNT, "/admin");
 * ```
 */
export const DEFAULT_CONSOLE_MOUNT = "/admin";

/**
 * The Content-Security-Policy of every console response: same-origin
 * scripts, styles and requests only; no inline script, no eval.
 *
 * @example Check a response
 * ```ts
 * import { CONSOLE_CSP } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * assert.ok(CONSOLE_CSP.includes("script-src 'self'"));
 * ```
 */
export const CONSOLE_CSP: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Options of {@linkcode createConsoleHandler}.
 *
 * @example Serve the console at /ops with the admin API under /internal/realtime
 * ```ts
 * import type { ConsoleOptions } from "@realtime/hub/console";
 *
 * const options: ConsoleOptions = { mount: "/ops", apiPrefix: "/internal/realtime" };
 * ```
 */
export interface ConsoleOptions {
  /**
   * Where the page is served, without a trailing slash.
   *
   * @default {"/admin"}
   */
  mount?: string;
  /**
   * The admin API's prefix, which the page calls.
   *
   * @default {"/v1/realtime"}
   */
  apiPrefix?: string;
  /**
   * Produces the page's JavaScript; called once, on the first request for it.
   *
   * @default {the console script bundled with `Deno.bundle`}
   */
  bundle?: () => Promise<string>;
}

const PATH_RE = /^(?:\/[A-Za-z0-9._~-]+)+$/;

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Creates the handler of the console page: `GET <mount>` (the page),
 * `<mount>/console.css` and `<mount>/console.js`. Other paths resolve to
 * `undefined`, so it chains with other handlers. Mount it only where the
 * admin API is mounted with a credential: the page itself is public and
 * useless without one.
 *
 * @param options Mount path, admin API prefix, bundler.
 * @returns The handler.
 * @throws {TypeError} When `mount` or `apiPrefix` is not a plain path.
 *
 * @example Serve the page
 * ```ts
 * import { createConsoleHandler } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * const page = createConsoleHandler({ bundle: () => Promise.resolve("") });
 * const res = await page(new Request("http://localhost/admin"));
 * assert.equal(res?.status, 200);
 * assert.ok(res?.headers.get("content-security-policy")?.includes("script-src 'self'"));
 * await res?.body?.cancel();
 * assert.equal(await page(new Request("http://localhost/elsewhere")), undefined);
 * ```
 */
export function createConsoleHandler(
  options: ConsoleOptions = {},
): (req: Request) => Promise<Response | undefined> {
  const { mount = DEFAULT_CONSOLE_MOUNT, apiPrefix = DEFAULT_ADMIN_PREFIX } = options;
  for (const [name, value] of [["mount", mount], ["apiPrefix", apiPrefix]] as const) {
    if (typeof value !== "string" || !PATH_RE.test(value)) {
      throw new TypeError(
        `Cannot create the console handler as '${name}' is ${
          JSON.stringify(value)
        }: expected a path such as '/admin', without a trailing slash`,
      );
    }
  }
  const bundle = options.bundle ??
    (() => bundleBrowserScript(new URL("./app.ts", import.meta.url), "the console"));
  const html = CONSOLE_HTML.replaceAll(MOUNT_MARKER, escapeAttribute(mount))
    .replace(API_MARKER, escapeAttribute(apiPrefix));
  let script: Promise<string> | undefined;

  return async function consoleHandler(req: Request): Promise<Response | undefined> {
    const { pathname } = new URL(req.url);
    if (pathname !== mount && !pathname.startsWith(mount + "/")) return undefined;
    const isGet = req.method === "GET" || req.method === "HEAD";
    const rest = pathname.slice(mount.length);
    if (rest === "" || rest === "/") {
      return isGet ? asset(html, "text/html; charset=utf-8") : notAllowed();
    }
    if (rest === "/console.css") return isGet ? asset(CONSOLE_CSS, "text/css") : notAllowed();
    if (rest === "/console.js") {
      if (!isGet) return notAllowed();
      script ??= bundle().catch((error) => unavailableScript(error));
      return asset(await script, "text/javascript");
    }
    return undefined;
  };
}

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-security-policy": CONSOLE_CSP,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cross-origin-opener-policy": "same-origin",
      "cache-control": "no-store",
    },
  });
}

function notAllowed(): Response {
  return Response.json({ code: "BAD_REQUEST", message: "Method not allowed" }, {
    status: 405,
    headers: { allow: "GET, HEAD" },
  });
}

/** A script that says on the page why the real one is missing. */
function unavailableScript(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `document.getElementById("loading").textContent = ${
    JSON.stringify(`The console script could not be built: ${message}`)
  };\n`;
}
