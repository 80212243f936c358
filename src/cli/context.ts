/**
 * What every command receives: resolved I/O, the global options, and the
 * exit code it may set.
 *
 * @module
 */

import { colorEnabled, type Colors, createColors } from "./colors.ts";
import { CliError, ExitCode, redact } from "./errors.ts";
import type { ResolvedIo } from "./io.ts";

/** How the token reaches the hub. */
export type TokenVia = "header" | "subprotocol" | "query" | "message";

/** Every way of sending a token, in the order `--help` lists them. */
export const TOKEN_VIAS: readonly TokenVia[] = ["header", "subprotocol", "query", "message"];

/** The hub `realtime-cli` talks to when neither `--url` nor `REALTIME_URL` is given. */
export const DEFAULT_URL = "ws://localhost:8000/ws";

/** The global options with environment defaults applied. */
export interface GlobalOptions {
  /** `--url`, else `REALTIME_URL`, else {@linkcode DEFAULT_URL}: the first of {@linkcode urls}. */
  url: string;
  /**
   * Every `--url` given, in order (`tail` and `connect` fail over between
   * them), else the one {@linkcode url}.
   */
  urls: string[];
  /** `--token`, else `REALTIME_TOKEN`. */
  token?: string;
  /** `--token-via`. */
  tokenVia: TokenVia;
  /** `--quiet`: no status lines on stderr. */
  quiet: boolean;
  /** `false` after `--no-color`. */
  color: boolean;
}

/** The state one `runCli` call shares with its commands. */
export class Context {
  /** Resolved I/O. */
  readonly io: ResolvedIo;
  /** The exit code; commands raise it for failures they already reported. */
  exitCode = 0;
  readonly #globals: () => GlobalOptions;

  /**
   * @param io Resolved I/O.
   * @param globals Reads the global options (they are known only once parsed).
   */
  constructor(io: ResolvedIo, globals: () => GlobalOptions) {
    this.io = io;
    this.#globals = globals;
  }

  /** The global options. */
  get globals(): GlobalOptions {
    return this.#globals();
  }

  /**
   * The token for commands that connect.
   *
   * @throws {CliError} With a usage exit code when none was given.
   */
  get requiredToken(): string {
    const { token } = this.globals;
    if (token === undefined) {
      throw new CliError(
        ExitCode.Usage,
        "No token: pass --token or set REALTIME_TOKEN (mint one with 'realtime-cli token mint --sub NAME')",
      );
    }
    return token;
  }

  /** Styles for standard output. */
  get colors(): Colors {
    return createColors(colorEnabled(this.io.terminal, this.io.env, this.globals.color));
  }

  /** Values never to print. */
  get secrets(): string[] {
    return [this.globals.token, this.io.env.REALTIME_TOKEN, this.io.env.REALTIME_JWT_SECRET]
      .filter((s): s is string => s !== undefined && s !== "");
  }

  /** Writes a line to stdout. */
  out(line: string): void {
    this.io.stdout(line + "\n");
  }

  /** Writes a status line to stderr, unless `--quiet`. */
  status(line: string): void {
    if (!this.globals.quiet) this.io.stderr(`realtime-cli: ${redact(line, this.secrets)}\n`);
  }

  /** Writes a problem to stderr, even with `--quiet`. */
  warn(line: string): void {
    this.io.stderr(`realtime-cli: ${redact(line, this.secrets)}\n`);
  }

  /** Records a failure's exit code, keeping the first one. */
  fail(code: number): void {
    if (this.exitCode === 0) this.exitCode = code;
  }
}
