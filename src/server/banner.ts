/**
 * The start-up banner of `deno task start` and `realtime-cli serve`.
 *
 * @module
 */

/** What the banner shows about a started hub. */
export interface BannerInput {
  /** The WebSocket URL. */
  readonly url: string;
  /** The transport in use. */
  readonly server: { readonly transport: string };
  /** Whether the generated development key is in use. */
  readonly devKey: boolean;
  /** The development token, with the development key. */
  readonly devToken?: string;
}

/**
 * The banner: where to connect and, with the development key, a loud
 * warning and a ready-to-use token.
 *
 * @param started The started hub (from `startServer`).
 * @returns The banner's lines.
 */
export function serverBanner(started: BannerInput): string[] {
  const lines = [
    `realtime hub listening on ${started.url} (transport: ${started.server.transport})`,
    `demo page: ${started.url.replace(/^ws/, "http").replace(/\/ws$/, "/")}`,
  ];
  if (started.devKey) {
    lines.push(
      "",
      "!!! DEVELOPMENT KEY: a generated HS256 key from .realtime/dev-key.json is in use.",
      "!!! Do not use it in production: set REALTIME_JWT_SECRET (or another key) instead.",
      "",
      "Development token for user 'demo' (24h; subscribe+publish chat:*, subscribe user:demo):",
      "",
      started.devToken ?? "",
      "",
      "Try it:",
      `  deno task cli tail 'chat:*' --url ${started.url} --token <token>`,
      `  deno task cli publish chat:lobby '"hello"' --url ${started.url} --token <token>`,
    );
  }
  return lines;
}
