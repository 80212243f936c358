/**
 * The client's protocol {@linkcode ProtocolConnection} as the CLI uses it:
 * received frames queued for commands that read them in turn, and failures
 * turned into {@linkcode CliError}s with the right exit code. Sending the
 * token, reading frames and settling requests happen in `src/client/`.
 *
 * @module
 */

import type { TokenVia } from "./context.ts";
import { describeCloseCode, exitCodeForClose } from "./close_codes.ts";
import { withDeadline } from "./deadline.ts";
import { CliError, ExitCode } from "./errors.ts";
import { displayUrl } from "./url.ts";
import { formatDuration } from "./format.ts";
import {
  type CloseInfo,
  Connection as ProtocolConnection,
  type ConnectionReply,
  type ConnectionRequestOptions,
} from "../client/connection.ts";
import { RealtimeError } from "../client/errors.ts";
import { tokenExpiresAt } from "../auth/token_expiry.ts";
import type { ServerFrame } from "../protocol/frames.ts";

export type { CloseInfo };

/** A server frame, as read by the client's frame reader. */
export type Frame = { type: ServerFrame["type"]; [field: string]: unknown };

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

/** An open, authenticated (or token-less) connection. */
export class Connection {
  readonly #protocol: ProtocolConnection;
  readonly #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  /** The `welcome` frame, when one was awaited. */
  welcome: Frame | undefined;

  /** @param options Where and how to connect. */
  constructor(options: { url: URL; token?: string; via: TokenVia }) {
    this.#protocol = new ProtocolConnection({
      url: options.url,
      token: options.token,
      tokenVia: options.via,
      onFrame: (frame) => {
        this.#frames.push(frame as unknown as Frame);
        this.#wake();
      },
      onClose: () => this.#wake(),
    });
  }

  /** The protocol connection underneath. */
  get protocol(): ProtocolConnection {
    return this.#protocol;
  }

  /** Resolves when the connection is closed. */
  get closed(): Promise<CloseInfo> {
    return this.#protocol.closed;
  }

  /** How the connection ended, once it has. */
  get closeInfo(): CloseInfo | undefined {
    return this.#protocol.closeInfo;
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
    if (!this.#protocol.send(typeof frame === "string" ? frame : JSON.stringify(frame))) {
      throw new CliError(ExitCode.Connection, "Cannot send: the connection is closed");
    }
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
      if (this.closeInfo !== undefined || signal?.aborted) return undefined;
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
   * Sends a request (the protocol connection gives it an id) and waits for its answer.
   *
   * @param frame The request without an `id`.
   * @param options Deadline and what is awaited, for messages.
   * @returns `undefined` when the hub acknowledged it, else the hub's refusal
   * (a {@linkcode RealtimeError} with the hub's error code).
   * @throws {CliError} 4 on timeout, or the exit code for the close when the
   * connection closed first.
   */
  async request(
    frame: { type: string; [field: string]: unknown },
    options: ConnectionRequestOptions,
  ): Promise<RealtimeError | undefined> {
    const answer = await this.ask(frame, options);
    return answer instanceof RealtimeError ? answer : undefined;
  }

  /**
   * Like {@linkcode Connection.request}, returning the reply itself.
   *
   * @param frame The request without an `id`.
   * @param options Deadline and what is awaited, for messages.
   * @returns The reply frame (`ack`, `history`...), or the hub's refusal.
   * @throws {CliError} 4 on timeout, or the exit code for the close when the
   * connection closed first.
   */
  async ask(
    frame: { type: string; [field: string]: unknown },
    options: ConnectionRequestOptions,
  ): Promise<ConnectionReply | RealtimeError> {
    try {
      return await this.#protocol.request(frame, options);
    } catch (error) {
      if (!(error instanceof RealtimeError)) throw error;
      if (error.code === "TIMEOUT") {
        throw new CliError(
          ExitCode.Timeout,
          `Timed out after ${formatDuration(options.timeoutMs)} waiting for ${options.what}`,
        );
      }
      if (error.code === "DISCONNECTED") {
        throw closedError(this.closeInfo, `the answer to: ${options.what}`);
      }
      return error;
    }
  }

  /**
   * Closes the connection and waits (briefly) for the close handshake.
   *
   * @param code The close code.
   */
  async close(code = 1000): Promise<void> {
    await withDeadline(() => this.#protocol.close(code), 2000, "the close handshake").catch(
      () => {
        // a peer that does not answer the close handshake: give up waiting for it
      },
    );
  }
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

/**
 * The error for a WebSocket that never opened, from what the runtime said:
 * exit 2 for HTTP 401 and 403, else 3.
 *
 * @param message The runtime's message (a close's `failure`), or `""`.
 * @param url The hub URL tried.
 * @param token The token sent, for a hint when it expired.
 * @returns The error.
 */
export function handshakeError(message: string, url: URL, token: string | undefined): CliError {
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
  const exp = tokenExpiresAt(token);
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
  const { token } = options;
  const connection = new Connection({ url: options.url, token, via: options.via });
  const protocol = connection.protocol;
  const interrupted = Promise.withResolvers<never>();
  interrupted.promise.catch(() => {});
  const abort = () => interrupted.reject(new CliError(ExitCode.Ok, "Interrupted"));
  if (options.signal.aborted) abort();
  options.signal.addEventListener("abort", abort, { once: true });
  try {
    await withDeadline(
      async () => {
        try {
          await Promise.race([protocol.opened, interrupted.promise]);
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw handshakeError(connection.closeInfo?.failure ?? "", options.url, token);
        }
        if (!options.awaitWelcome) return;
        try {
          await Promise.race([protocol.welcomed, interrupted.promise]);
          // Taken off the queue, as commands print it themselves.
          connection.welcome = await connection.next((f) => f.type === "welcome");
        } catch (error) {
          if (error instanceof CliError) throw error;
          if (error instanceof RealtimeError && error.closeCode === undefined) {
            throw new CliError(ExitCode.Auth, error.message);
          }
          throw closedError(connection.closeInfo, "the welcome frame");
        }
      },
      options.timeoutMs,
      `the hub at ${displayUrl(options.url)}`,
    );
  } catch (error) {
    void protocol.close(1000);
    throw error;
  } finally {
    options.signal.removeEventListener("abort", abort);
  }
  return connection;
}
