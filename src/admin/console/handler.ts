/**
 * The operator console's page, styles and script, served by the hub
 * itself. The page holds no data and no privilege: it signs in with the
 * admin credential, keeps it in memory, and does everything through the
 * admin API (with its audit log) and its `GET /stream` live feed.
 *
 * @module
 */

import { DEFAULT_ADMIN_PREFIX } from "../handler.ts";
import { createPageScripts, type PageScripts } from "../../demo/page_scripts.ts";
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
   * Loads the page's scripts by file name (`console.js` and any chunk it
   * imports); called once, on the first request for one.
   *
   * @default {the scripts `deno task pages` built from the locked sources, shipped with the package}
   */
  scripts?: () => Promise<Readonly<Record<string, string>>>;
}

const PATH_RE = /^(?:\/[A-Za-z0-9._~-]+)+$/;

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Creates the handler of the console page: `GET <mount>` (the page),
 * `<mount>/console.css` and its scripts, `<mount>/assets/console.js` and
 * any chunk it imports, prebuilt and loaded on the first request for one
 * (nothing is bundled at run time). Other paths resolve to
 * `undefined`, so it chains with other handlers. Mount it only where the
 * admin API is mounted with a credential: the page itself is public and
 * useless without one.
 *
 * @param options Mount path, admin API prefix, scripts.
 * @returns The handler.
 * @throws {TypeError} When `mount` or `apiPrefix` is not a plain path.
 *
 * @example Serve the page
 * ```ts
 * import { createConsoleHandler } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * const page = createConsoleHandler();
 * const res = await page(new Request("http://localhost/admin"));
 * assert.equal(res?.status, 200);
 * assert.ok(res?.headers.get("content-security-policy")?.includes("script-src 'self'"));
 * assert.match(await res!.text(), /src="\/admin\/assets\/console.js"/);
 * const script = await page(new Request("http://localhost/admin/assets/console.js"));
 * assert.equal(script?.headers.get("content-type"), "text/javascript; charset=utf-8");
 * await script?.body?.cancel();
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
  const scripts = createPageScripts({
    load: options.scripts ?? loadConsoleScripts,
    entry: "console.js",
    headers: SECURITY_HEADERS,
    what: "console script",
  });
  const html = CONSOLE_HTML.replaceAll(MOUNT_MARKER, escapeAttribute(mount))
    .replace(API_MARKER, escapeAttribute(apiPrefix));

  return async function consoleHandler(req: Request): Promise<Response | undefined> {
    const { pathname } = new URL(req.url);
    if (pathname !== mount && !pathname.startsWith(mount + "/")) return undefined;
    const isGet = req.method === "GET" || req.method === "HEAD";
    const rest = pathname.slice(mount.length);
    if (rest === "" || rest === "/") {
      return isGet ? asset(html, "text/html; charset=utf-8") : notAllowed();
    }
    if (rest === "/console.css") return isGet ? asset(CONSOLE_CSS, "text/css") : notAllowed();
    if (rest.startsWith(ASSETS)) {
      if (!isGet) return notAllowed();
      return await scripts(rest.slice(ASSETS.length), req);
    }
    return undefined;
  };
}

/** Where the page's scripts are served, under the mount. */
const ASSETS = "/assets/";

/** The console's scripts as `deno task pages` built them, imported on first use. */
async function loadConsoleScripts(): Promise<PageScripts> {
  return (await import("./_scripts.generated.ts")).SCRIPTS;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store" },
  });
}

function notAllowed(): Response {
  return Response.json({ code: "BAD_REQUEST", message: "Method not allowed" }, {
    status: 405,
    headers: { allow: "GET, HEAD" },
  });
}
