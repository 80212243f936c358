/**
 * The demo page served by `deno task start` at `/`: the page, its styles,
 * its scripts under `/assets/` (`demo.js`, which holds `RealtimeClient`, and
 * the chunks it loads on demand, prebuilt by `deno task pages`) and, in
 * development mode only, `POST /dev/token` to mint a token.
 *
 * @module
 */

import { DEMO_CSS, DEMO_HTML, DEV_MARKER } from "./page.ts";
import { createPageScripts, type PageScripts } from "./page_scripts.ts";
import { isLoopbackHost } from "../server/loopback_host.ts";

/** Mints a development token for a subject, valid for `ttlSeconds`. */
export type DemoMint = (sub: string, ttlSeconds: number) => Promise<string>;

/** Options of {@linkcode createDemoHandler}. */
export interface DemoOptions {
  /** Mints development tokens; without it `POST /dev/token` answers 404. */
  mint?: DemoMint;
  /**
   * Loads the page's scripts by file name (`demo.js` and its chunks); called
   * once, on the first request for one.
   *
   * @default {loadDemoScripts}
   */
  scripts?: () => Promise<PageScripts>;
}

/** The Content-Security-Policy of every demo response. */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Subjects the demo mints for: one topic segment, so `user:<sub>` is a topic. */
const SUB_RE = /^[A-Za-z0-9_.@+=~-]{1,64}$/;
const MIN_TTL = 5;
const MAX_TTL = 86_400;
const MAX_BODY = 1024;

/**
 * Creates the HTTP handler of the demo page.
 *
 * @param options The token minter (development mode only) and the scripts.
 * @returns A handler for every path except the WebSocket one.
 */
export function createDemoHandler(
  options: DemoOptions = {},
): (req: Request) => Promise<Response> {
  const { mint } = options;
  const scripts = createPageScripts({
    load: options.scripts ?? loadDemoScripts,
    entry: "demo.js",
    headers: SECURITY_HEADERS,
    what: "demo script",
  });
  const html = DEMO_HTML.replace(DEV_MARKER, mint === undefined ? "false" : "true");
  return async function demoHandler(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/dev/token" && mint !== undefined) return await mintResponse(req, mint);
    const isGet = req.method === "GET" || req.method === "HEAD";
    if (pathname === "/" || pathname === "/index.html") {
      return isGet ? asset(html, "text/html; charset=utf-8") : notAllowed();
    }
    if (pathname === "/demo.css") return isGet ? asset(DEMO_CSS, "text/css") : notAllowed();
    if (pathname.startsWith(ASSETS)) {
      if (!isGet) return notAllowed();
      const response = await scripts(pathname.slice(ASSETS.length), req);
      if (response !== undefined) return response;
    }
    if (pathname === "/favicon.ico") return new Response(null, { status: 204 });
    return Response.json({ code: "BAD_REQUEST", message: "Not found" }, { status: 404 });
  };
}

/** Where the page's scripts are served: `/assets/demo.js` and its chunks. */
const ASSETS = "/assets/";

/**
 * The demo page's scripts as `deno task pages` built them, imported only
 * when one is first asked for.
 *
 * @returns The scripts by file name.
 */
export async function loadDemoScripts(): Promise<PageScripts> {
  return (await import("./_scripts.generated.ts")).SCRIPTS;
}

async function mintResponse(req: Request, mint: DemoMint): Promise<Response> {
  if (req.method !== "POST") return notAllowed("POST");
  // DNS rebinding: a page on an attacker's name that resolves to 127.0.0.1
  // reaches this route with its own name as Host and Origin. Only loopback
  // names are ours.
  const host = req.headers.get("host") ?? new URL(req.url).host;
  if (!isLoopbackHost(host)) {
    return problem(
      403,
      "FORBIDDEN",
      "Tokens are minted only for a loopback Host (localhost, 127.0.0.1 or [::1])",
    );
  }
  // Only the page itself may mint: refuse cross-site requests outright.
  const origin = req.headers.get("origin");
  const site = req.headers.get("sec-fetch-site");
  if (
    (origin !== null && origin.toLowerCase() !== `http://${host.toLowerCase()}`) ||
    (site !== null && site !== "same-origin")
  ) {
    return problem(403, "FORBIDDEN", "Tokens are minted for the demo page only");
  }
  if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) {
    return problem(415, "BAD_REQUEST", 'Send a JSON body: {"sub": "alice"}');
  }
  const text = await req.text();
  if (text.length > MAX_BODY) {
    return problem(413, "TOO_LARGE", `Body is larger than ${MAX_BODY} characters`);
  }
  let body: { sub?: unknown; ttl?: unknown };
  try {
    body = JSON.parse(text) ?? {};
  } catch {
    return problem(400, "BAD_REQUEST", "Body is not valid JSON");
  }
  const { sub, ttl = 3600 } = body;
  if (typeof sub !== "string" || !SUB_RE.test(sub)) {
    return problem(
      400,
      "BAD_REQUEST",
      "'sub' must be 1 to 64 characters of A-Z a-z 0-9 _ . @ + = ~ -",
    );
  }
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
    return problem(
      400,
      "BAD_REQUEST",
      `'ttl' must be a whole number of seconds from ${MIN_TTL} to ${MAX_TTL}, got ${
        JSON.stringify(ttl)
      }`,
    );
  }
  const token = await mint(sub, ttl);
  return Response.json({ token, sub, ttl }, { headers: { "cache-control": "no-store" } });
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DEMO_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store" },
  });
}

function problem(status: number, code: string, message: string): Response {
  return Response.json({ code, message }, {
    status,
    headers: { "cache-control": "no-store" },
  });
}

function notAllowed(allow = "GET, HEAD"): Response {
  return new Response(JSON.stringify({ code: "BAD_REQUEST", message: "Method not allowed" }), {
    status: 405,
    headers: { "content-type": "application/json", allow },
  });
}
