/**
 * One WebSocket connection to the hub, as the CLI uses it: the token sent
 * the chosen way, frames queued and awaited with deadlines, failures turned
 * into {@linkcode CliError}s with the right exit code.
 *
 * @module
 */

import type { TokenVia } from "./context.ts";
import { describeCloseCode, exitCodeForClose } from "./close_codes.ts";
import { withDeadline } from "./deadline.ts";
import { CliError, ExitCode } from "./errors.ts";
import { tokenExpiry } from "./jwt.ts";
import { displayUrl } from "./url.ts";
import { splitBatch, SUBPROTOCOL_V1, SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";

/** A parsed server frame. */
export type Frame = { type: string; [field: string]: unknown };

/** How a connection ended. */
export interface CloseInfo {
  /** The close code (1006 when the connection was lost without a close frame). */
  code: number;
  /** The close reason. */
  reason: string;
}

/** Options of {@linkcode openConnection}. */
export interface OpenOptions {
  /** The hub URL, from `hubUrl`. */
  url: URL;
  /** The token, if any. */
  token?: string;
  /** How to send the token. */
  via: TokenVia;
  /** Deadline for opening and authenticating, in milliseconds. */
  timeoutMs: number;
  /** Cancels the attempt. */
  signal: AbortSignal;
  /** Whether to wait for `welcome` (not when connecting without a token). */
  awaitWelcome: boolean;
}

const AUTH_ID = "realtime-cli:auth";

/** An open, authenticated (or token-less) connection. */
export class Connection {
  readonly #ws: WebSocket;
  readonly #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  #closed: CloseInfo | undefined;
  /** The `welcome` frame, when one was awaited. */
  welcome: Frame | undefined;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<CloseInfo>;

  /** @param ws A WebSocket that is connecting or open. */
  constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        this.#closed = { code: event.code === 0 ? 1006 : event.code, reason: event.reason };
        resolve(this.#closed);
        this.#wake();
      });
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      for (const line of splitBatch(event.data)) {
        const frame = parseFrame(line);
        if (frame !== undefined) this.#frames.push(frame);
      }
      this.#wake();
    });
  }

  /** How the connection ended, once it has. */
  get closeInfo(): CloseInfo | undefined {
    return this.#closed;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Sends a frame: an object is serialised, a string is sent as typed.
   *
   * @param frame The frame.
   */
  send(frame: unknown): void {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      throw new CliError(ExitCode.Connection, "Cannot send: the connection is closed");
    }
    this.#ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /**
   * Waits for the next frame matching `match`; frames that do not match stay queued.
   *
   * @param match Which frame to take.
   * @param signal Cancels the wait (the promise then resolves `undefined`).
   * @returns The frame, or `undefined` once the connection is closed or `signal` fired.
   */
  async next(
    match: (frame: Frame) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<Frame | undefined> {
    while (true) {
      const index = this.#frames.findIndex(match);
      if (index >= 0) return this.#frames.splice(index, 1)[0];
      if (this.#closed !== undefined || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          resolve();
        };
        this.#waiters.push(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /**
   * Sends a request and waits for the reply carrying its id.
   *
   * @param frame The request, with an `id`.
   * @param timeoutMs Deadline for the reply.
   * @param what What is awaited, for the timeout message.
   * @returns The reply (`ack`, `pong`, `welcome` or `error`).
   */
  async request(frame: Frame & { id: string | number }, timeoutMs: number, what: string) {
    this.send(frame);
    const reply = await withDeadline(
      (signal) => this.next((f) => f.id === frame.id && f.type !== "message", signal),
      timeoutMs,
      what,
    );
    if (reply === undefined) throw closedError(this.#closed, what);
    return reply;
  }

  /**
   * Closes the connection and waits (briefly) for the close handshake.
   *
   * @param code The close code.
   */
  async close(code = 1000): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    if (this.#ws.readyState !== WebSocket.CLOSING) this.#ws.close(code);
    await withDeadline(async () => await this.closed, 2000, "the close handshake").catch(() => {
      // a peer that does not answer the close handshake: give up waiting for it
    });
  }
}

function parseFrame(line: string): Frame | undefined {
  if (line.trim() === "") return undefined;
  try {
    const value = JSON.parse(line);
    if (typeof value === "object" && value !== null && typeof value.type === "string") {
      return value as Frame;
    }
  } catch {
    // not a frame: the hub never sends these
  }
  return undefined;
}

/** The error for a connection that closed while something was awaited. */
export function closedError(info: CloseInfo | undefined, what: string): CliError {
  const code = info?.code ?? 1006;
  const reason = info?.reason ? `: ${info.reason}` : "";
  return new CliError(
    exitCodeForClose(code),
    `Connection closed (${code} ${describeCloseCode(code)}${reason}) while waiting for ${what}`,
  );
}

function handshakeError(message: string, url: URL, token: string | undefined): CliError {
  const status = /status code:? (\d{3})/i.exec(message)?.[1];
  const where = displayUrl(url);
  if (status === "401") {
    return new CliError(ExitCode.Auth, `The hub at ${where} refused the token${expiryHint(token)}`);
  }
  if (status === "403") {
    return new CliError(ExitCode.Auth, `The hub at ${where} refused the connection (HTTP 403)`);
  }
  if (status !== undefined) {
    return new CliError(ExitCode.Connection, `Cannot connect to ${where}: HTTP ${status}`);
  }
  const detail = message.replace(/^.*failed to connect to WebSocket:\s*/i, "").trim();
  return new CliError(
    ExitCode.Connection,
    `Cannot connect to ${where}${detail === "" ? "" : `: ${detail}`} (is the hub running?)`,
  );
}

/** Says why a token was refused when it is visibly expired or not a token at all. */
function expiryHint(token: string | undefined): string {
  if (token === undefined) return ": no token was sent (use --token or REALTIME_TOKEN)";
  const exp = tokenExpiry(token);
  if (exp !== undefined && exp <= Date.now()) {
    return `: it expired at ${new Date(exp).toISOString()}`;
  }
  return " (check it with 'realtime-cli token verify')";
}

/**
 * Opens a connection and, with a token, waits for `welcome`.
 *
 * @param options URL, token, how to send it, deadline, cancellation.
 * @returns The connection.
 * @throws {CliError} 2 when the token is refused, 3 when the hub cannot be
 * reached, 4 on timeout.
 */
export async function openConnection(options: OpenOptions): Promise<Connection> {
  const { token, via } = options;
  const url = new URL(options.url);
  // Batching first: the reader above splits every message on "\n".
  const protocols = [SUBPROTOCOL_V1_BATCH, SUBPROTOCOL_V1];
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    if (via === "header") headers.Authorization = `Bearer ${token}`;
    else if (via === "subprotocol") protocols.push("auth", token);
    else if (via === "query") url.searchParams.set("token", token);
  }
  // Deno's WebSocket takes headers; browsers' does not.
  const ws = new WebSocket(url, { protocols, headers });
  const connection = new Connection(ws);
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", (event) => {
      reject(handshakeError((event as ErrorEvent).message ?? "", options.url, token));
    }, { once: true });
  });
  opened.catch(() => {});
  const abort = () => ws.close();
  options.signal.addEventListener("abort", abort, { once: true });
  try {
    await withDeadline(
      async (signal) => {
        await Promise.race([
          opened,
          new Promise<never>((_, reject) => {
            const fail = () => reject(new CliError(ExitCode.Ok, "Interrupted"));
            if (options.signal.aborted) fail();
            options.signal.addEventListener("abort", fail, { once: true });
            signal.addEventListener(
              "abort",
              () => options.signal.removeEventListener("abort", fail),
            );
          }),
        ]);
        if (token !== undefined && via === "message") {
          connection.send({ type: "auth", id: AUTH_ID, token });
        }
        if (!options.awaitWelcome) return;
        const first = await connection.next(
          (f) => f.type === "welcome" || (f.type === "error" && f.id === AUTH_ID),
          signal,
        );
        if (first === undefined) {
          if (options.signal.aborted) throw new CliError(ExitCode.Ok, "Interrupted");
          throw closedError(connection.closeInfo, "the welcome frame");
        }
        if (first.type === "error") {
          throw new CliError(ExitCode.Auth, `The hub refused the token: ${String(first.message)}`);
        }
        connection.welcome = first;
      },
      options.timeoutMs,
      `the hub at ${displayUrl(options.url)}`,
    );
  } catch (error) {
    ws.close();
    throw error;
  } finally {
    options.signal.removeEventListener("abort", abort);
  }
  return connection;
}
