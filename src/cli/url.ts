/**
 * Reading the hub URL people type, and showing it without secrets.
 *
 * @module
 */

import { CliError, ExitCode } from "./errors.ts";

/**
 * Reads a hub URL: `ws:`/`wss:` as given, `http:`/`https:` mapped to them, a
 * bare `host:port` taken as `ws://`, and `/ws` added when there is no path.
 *
 * @param text The URL from `--url` or `REALTIME_URL`.
 * @returns The WebSocket URL.
 */
export function hubUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(ExitCode.Usage, `Cannot use URL '${text}': it is not a valid URL`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new CliError(
      ExitCode.Usage,
      `Cannot use URL '${text}' with protocol '${url.protocol}': expected ws:, wss:, http: or https:`,
    );
  }
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/ws";
  return url;
}

/** Shows a URL without its query string, which may hold a token. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
