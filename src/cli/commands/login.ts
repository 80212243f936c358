/**
 * `realtime-cli login`: logs in to a hub's `/auth` routes, keeps the refresh
 * token in a file only its owner can read (0600), and prints an access
 * token (or an `export` line for the shell).
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { readAll } from "../lines.ts";

const DEFAULT_FILE = ".realtime/refresh-token";

/**
 * The accounts base URL beside a hub URL: `ws://host:8000/ws` gives
 * `http://host:8000/auth`.
 *
 * @param hubUrl The hub's WebSocket URL.
 * @returns The `/auth` base URL.
 */
export function authUrlFor(hubUrl: string): string {
  const url = new URL(hubUrl);
  url.protocol = url.protocol === "wss:" || url.protocol === "https:" ? "https:" : "http:";
  url.pathname = "/auth";
  url.search = "";
  url.hash = "";
  return url.href;
}

async function writeOwnerOnly(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true, mode: 0o700 });
  // A fresh file then a rename: the token is never in a file with a wider mode.
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(temp, text, { createNew: true, mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o600);
  await Deno.rename(temp, path);
}

// What the tokens may look like. The access token is printed, and with
// --export evaluated by a shell: a compact JWS (three base64url parts) holds
// no character a shell or the quotes around it would act on. The refresh
// token is written to a file and sent back: base64url, as the hub's are.
const ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 16_384;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") ||
    hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Refuses to send `secret` (a password, a refresh token) anywhere but
 * https, or http to this machine.
 */
function checkTransport(base: string, secret: string): void {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new CliError(ExitCode.Usage, `Cannot log in at '${base.slice(0, 200)}': not a URL`);
  }
  // Named without user-info or query, which may hold credentials.
  const where = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) return;
  throw new CliError(
    ExitCode.Usage,
    url.protocol === "http:"
      ? `Cannot send ${secret} to ${where} over plain http: use https, or http only to this machine (localhost, 127.0.0.1, [::1])`
      : `Cannot log in at ${where}: the accounts URL must be https (or http to this machine)`,
  );
}

const TOKEN_SHAPES = {
  "an access token": { shape: ACCESS_TOKEN, expected: "a JWT (A-Z a-z 0-9 - _ and two dots)" },
  "a refresh token": { shape: REFRESH_TOKEN, expected: "base64url (A-Z a-z 0-9 - _)" },
};

function checkToken(url: string, name: keyof typeof TOKEN_SHAPES, value: string): void {
  const { shape, expected } = TOKEN_SHAPES[name];
  // The value is never quoted back: it is a secret, or an attack.
  if (value.length > MAX_TOKEN_LENGTH || !shape.test(value)) {
    throw new CliError(
      ExitCode.Usage,
      `${url} answered ${name} of ${value.length} characters that is not ${expected}: refusing to use it`,
    );
  }
}

async function call(url: string, body: unknown, signal: AbortSignal) {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      // A redirect would carry the password or token elsewhere, perhaps to plain http.
      redirect: "error",
      signal,
    });
  } catch (error) {
    throw new CliError(
      ExitCode.Connection,
      `Cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let answer: Record<string, unknown> = {};
  try {
    answer = await res.json();
  } catch {
    // the status line below says enough
  }
  if (!res.ok) {
    const message = typeof answer.message === "string" ? answer.message.slice(0, 300) : "";
    throw new CliError(
      res.status === 401 || res.status === 403 || res.status === 429
        ? ExitCode.Auth
        : ExitCode.Usage,
      `${url} answered ${res.status}${answer.code ? ` ${String(answer.code)}` : ""}${
        message ? `: ${message}` : ""
      }`,
    );
  }
  if (typeof answer.accessToken !== "string" || typeof answer.refreshToken !== "string") {
    throw new CliError(ExitCode.Usage, `${url} did not answer with tokens`);
  }
  checkToken(url, "an access token", answer.accessToken);
  checkToken(url, "a refresh token", answer.refreshToken);
  return { accessToken: answer.accessToken, refreshToken: answer.refreshToken };
}

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function loginCommand(ctx: Context) {
  return new Command("login")
    .summary("Log in (password from stdin) and print an access token")
    .description(
      "Log in to the hub's accounts (POST /auth/login) with the password read from stdin, store " +
        "the refresh token in a file with mode 0600, and print the access token. With --refresh, " +
        "use the stored refresh token instead (it rotates, and the file is rewritten). Passwords " +
        "and refresh tokens go only over https, or http to this machine.",
    )
    .argument("[username]", "the user (not needed with --refresh)")
    .option("--auth-url <url>", "accounts base URL (default: beside --url, e.g. http://host/auth)")
    .option(
      "--token-file <file>",
      `where the refresh token is kept (default: $REALTIME_REFRESH_FILE or ${DEFAULT_FILE})`,
    )
    .option("--refresh", "get a new access token with the stored refresh token")
    .option(
      "--export",
      "print `export REALTIME_TOKEN=...` for eval in a shell (only a well-formed JWT is printed)",
    )
    .addHelpText(
      "after",
      `
Examples:
  printf '%s' "$PASSWORD" | realtime-cli login alice
  eval "$(realtime-cli login --refresh --export)" && realtime-cli tail chat:lobby`,
    )
    .action(async (username, options) => {
      const base = (options.authUrl ?? authUrlFor(ctx.globals.url)).replace(/\/+$/, "");
      const file = options.tokenFile ?? (ctx.io.env.REALTIME_REFRESH_FILE || DEFAULT_FILE);
      let tokens;
      if (options.refresh) {
        let refreshToken: string;
        try {
          refreshToken = (await Deno.readTextFile(file)).trim();
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
          throw new CliError(ExitCode.Usage, `No refresh token in '${file}': log in first`);
        }
        checkTransport(base, "a refresh token");
        tokens = await call(`${base}/refresh`, { refreshToken }, ctx.io.signal);
      } else {
        if (username === undefined) {
          throw new CliError(ExitCode.Usage, "No username: pass it, or use --refresh");
        }
        checkTransport(base, "a password");
        const password = (await readAll(ctx.io.stdin())).replace(/\r?\n$/, "");
        tokens = await call(`${base}/login`, { username, password }, ctx.io.signal);
      }
      await writeOwnerOnly(file, tokens.refreshToken + "\n");
      ctx.out(
        options.export ? `export REALTIME_TOKEN='${tokens.accessToken}'` : tokens.accessToken,
      );
      ctx.status(`refresh token saved to ${file} (mode 0600)`);
    });
}
