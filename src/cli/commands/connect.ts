/**
 * `realtime-cli connect`: an interactive session, or with `--json` a pipe of
 * frames (stdin lines out, received frames in).
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { durationArg } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, describeError, ExitCode, exitCodeForErrorFrame } from "../errors.ts";
import type { Connection } from "../connection.ts";
import { describeCloseCode, exitCodeForClose } from "../close_codes.ts";
import { withDeadline } from "../deadline.ts";
import { describeFrame } from "../format.ts";
import { displayUrl, hubUrl } from "../url.ts";
import { readLines } from "../lines.ts";
import { parseReplLine, REPL_HELP, type ReplAction } from "../repl.ts";

const DRAIN_ID = "realtime-cli:drain";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function connectCommand(ctx: Context) {
  return new Command("connect")
    .summary("Interactive session, or a JSON pipe with --json")
    .description(
      "Open an interactive session: sub, unsub, pub, ping, history, presence, auth, raw JSON " +
        "frames, help, quit. " +
        "Received frames are printed as they arrive (in colour on a terminal, unless NO_COLOR). " +
        "With --json it is a pipe: each stdin line is sent as a frame, each received frame is " +
        "printed as one JSON line. When stdin ends, replies still due are awaited, then the " +
        "connection is closed (unless --keep-open). Without a token, authenticate with 'auth TOKEN'. " +
        "With --json, any error frame from the hub makes the exit code non-zero: that of the " +
        "first one's code (2 for AUTH_FAILED, TOKEN_EXPIRED, FORBIDDEN and refused signatures, " +
        "1 for BAD_REQUEST, TOO_LARGE and NO_HISTORY, 3 for the others). " +
        "Given several --url, it connects to the first hub that answers, in their order.",
    )
    .argument("[url]", "hub URL (default: --url, $REALTIME_URL, ws://localhost:8000/ws)")
    .option("--json", "pipe mode: stdin lines are frames, stdout gets one JSON line per frame")
    .option("--keep-open", "keep receiving after stdin ends, until the hub closes or Ctrl-C")
    .addOption(
      new Option("--timeout <duration>", "deadline for connecting and for replies at the end")
        .argParser(durationArg).default(10_000, "10s"),
    )
    .addHelpText(
      "after",
      `
Examples:
  realtime-cli connect --token "$TOKEN"
  > sub chat:*
  > pub chat:lobby {"text":"hi"}
  > history chat:lobby --limit 10 --reverse
  > presence chat:lobby
  printf '%s\\n' '{"type":"subscribe","id":1,"topic":"chat:*"}' | realtime-cli connect --json`,
    )
    .action(async (urlArg, options) => {
      const { openConnection } = await import("../connection.ts");
      const { token, tokenVia } = ctx.globals;
      const urls = (urlArg === undefined ? ctx.globals.urls : [urlArg]).map(hubUrl);
      const stop = ctx.io.signal;
      let url = urls[0];
      let connection: Connection | undefined;
      // The first hub that answers; a refused token is refused by every hub.
      for (let i = 0; connection === undefined; i++) {
        url = urls[i];
        try {
          connection = await openConnection({
            url,
            token,
            via: tokenVia,
            timeoutMs: options.timeout,
            signal: stop,
            awaitWelcome: token !== undefined,
          });
        } catch (error) {
          const unreachable = error instanceof CliError &&
            (error.exitCode === ExitCode.Connection || error.exitCode === ExitCode.Timeout);
          if (!unreachable || i + 1 >= urls.length || stop.aborted) throw error;
          ctx.status(`${error.message}; trying ${displayUrl(urls[i + 1])}`);
        }
      }
      // Loaded before reading, so a typed `history` is sent in its turn, not after an import.
      const queries = options.json ? undefined : {
        ...(await import("../topic_query.ts")),
        ...(await import("../topic_report.ts")),
      };
      const session = new Session(ctx, connection, options.timeout, queries);
      if (connection.welcome !== undefined) session.print(connection.welcome);
      if (token === undefined) {
        ctx.status(`connected to ${displayUrl(url)} without a token: type 'auth TOKEN'`);
      } else if (!options.json) {
        ctx.status(`connected to ${displayUrl(url)}; type 'help' for commands, Ctrl-D to quit`);
      }
      const printing = session.printAll(stop);
      const inputDone = new AbortController();
      connection.closed.then(() => inputDone.abort());
      const input = AbortSignal.any([stop, inputDone.signal]);
      try {
        const quit = ctx.io.lineEditing && !options.json
          ? await session.readTerminal(input)
          : await session.readStream(input);
        if (connection.closeInfo === undefined && !stop.aborted) {
          if (options.keepOpen && !quit) {
            await Promise.race([
              connection.closed,
              new Promise((resolve) => stop.addEventListener("abort", resolve, { once: true })),
            ]);
          } else {
            await session.drain(options.timeout);
          }
        }
      } finally {
        inputDone.abort();
        await connection.close(1000);
        await printing;
        await session.settled();
      }
      session.reportErrors();
      const info = connection.closeInfo;
      if (info !== undefined && info.code !== 1000) {
        const why = `${info.code} ${describeCloseCode(info.code)}${
          info.reason ? `: ${info.reason}` : ""
        }`;
        const exit = exitCodeForClose(info.code);
        if (exit === ExitCode.Ok) ctx.status(`The hub closed the connection (${why})`);
        else ctx.warn(`The hub closed the connection (${why})`);
        ctx.fail(exit);
      }
    });
}

/** What the interactive session's `history` and `presence` run. */
type Queries = typeof import("../topic_query.ts") & typeof import("../topic_report.ts");

/** Prints frames and sends typed lines for one connection. */
class Session {
  readonly #ctx: Context;
  readonly #connection: Connection;
  readonly #json: boolean;
  readonly #timeoutMs: number;
  readonly #modules: Queries | undefined;
  /** `history` and `presence` still being answered, in the order typed. */
  readonly #queries = new Set<Promise<void>>();
  #nextId = 1;
  #errors = 0;
  #firstError: string | undefined;
  #prompt: { prompt(preserveCursor?: boolean): void } | undefined;

  /**
   * @param ctx The command's context.
   * @param connection The open connection.
   * @param timeoutMs Deadline for each `history` or `presence` reply.
   * @param queries The modules `history` and `presence` use; absent in pipe mode (`--json`).
   */
  constructor(
    ctx: Context,
    connection: Connection,
    timeoutMs: number,
    queries: Queries | undefined,
  ) {
    this.#ctx = ctx;
    this.#connection = connection;
    this.#json = queries === undefined;
    this.#timeoutMs = timeoutMs;
    this.#modules = queries;
  }

  /** Prints one received frame. */
  print(frame: Record<string, unknown>): void {
    if (this.#json) return this.#ctx.out(JSON.stringify(frame));
    this.#line(describeFrame(frame, this.#ctx.colors, Date.now()));
  }

  #line(text: string): void {
    if (this.#prompt === undefined) return this.#ctx.out(text);
    this.#ctx.io.stdout(`\r\x1b[K${text}\n`);
    this.#prompt.prompt(true);
  }

  /** Prints frames until the connection closes or `stop` fires. */
  async printAll(stop: AbortSignal): Promise<void> {
    while (true) {
      const frame = await this.#connection.next((f) => f.id !== DRAIN_ID, stop);
      if (frame === undefined) return;
      if (this.#json) {
        this.#ctx.out(JSON.stringify(frame));
        // A pipe's caller reads the exit code: an error frame is a failure, as in `publish`.
        if (frame.type === "error") {
          this.#errors++;
          this.#firstError ??= String(frame.code);
          this.#ctx.fail(exitCodeForErrorFrame(frame.code));
        }
      } else this.#line(describeFrame(frame, this.#ctx.colors, Date.now()));
    }
  }

  /** Says on stderr why the exit code is not 0 when error frames came (pipe mode). */
  reportErrors(): void {
    if (this.#errors === 0) return;
    this.#ctx.warn(
      `The hub answered with ${this.#errors} error frame${this.#errors === 1 ? "" : "s"} ` +
        `(the first ${this.#firstError})`,
    );
  }

  /** Handles one input line; returns `true` for `quit`. */
  #handle(line: string): boolean {
    if (this.#connection.closeInfo !== undefined) return true; // the hub hung up meanwhile
    if (this.#json) {
      if (line.trim() !== "") this.#connection.send(line);
      return false;
    }
    // Typed frames carry string ids: the numeric ones belong to the requests
    // `history` and `presence` ask through the connection, which match replies by id.
    const action = parseReplLine(line, String(this.#nextId));
    switch (action.kind) {
      case "quit":
        return true;
      case "help":
        this.#line(REPL_HELP);
        break;
      case "invalid":
        this.#line(this.#ctx.colors.yellow(action.message));
        break;
      case "send":
        if (typeof action.frame !== "string") this.#nextId++;
        this.#connection.send(action.frame);
        break;
      case "history":
      case "presence":
        this.#query(action);
        break;
    }
    return false;
  }

  /** Asks as the `history` and `presence` commands do, on this connection; prints when answered. */
  #query(action: Extract<ReplAction, { kind: "history" | "presence" }>): void {
    const colors = this.#ctx.colors;
    const output = {
      colors,
      out: (line: string) => this.#line(line),
      status: (line: string) => this.#line(colors.dim(line)),
    };
    const { topicAsker, reportHistory, reportPresence } = this.#modules!;
    const done = (async () => {
      const ask = topicAsker(this.#connection, action.topic, action.kind, this.#timeoutMs);
      if (action.kind === "history") await reportHistory(ask, action.topic, action.query, output);
      else await reportPresence(ask, action.topic, action.query, output);
    })().catch((error) => this.#line(colors.red(describeError(error).message)))
      .finally(() => this.#queries.delete(done));
    this.#queries.add(done);
  }

  /** Reads stdin as lines (pipes, tests). Returns whether the user typed `quit`. */
  async readStream(stop: AbortSignal): Promise<boolean> {
    for await (const line of readLines(this.#ctx.io.stdin(), stop)) {
      if (this.#handle(line)) return true;
    }
    return false;
  }

  /** Reads the terminal with line editing and history. Returns whether the user typed `quit`. */
  async readTerminal(stop: AbortSignal): Promise<boolean> {
    const readline = await import("node:readline");
    const process = (await import("node:process")).default;
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      historySize: 500,
      prompt: this.#ctx.colors.dim("> "),
    });
    this.#prompt = rl;
    const close = () => rl.close();
    stop.addEventListener("abort", close, { once: true });
    rl.on("SIGINT", close);
    try {
      rl.prompt();
      for await (const line of rl) {
        if (this.#handle(line)) return true;
        rl.prompt();
      }
      return false;
    } finally {
      stop.removeEventListener("abort", close);
      this.#prompt = undefined;
      rl.close();
      this.#ctx.io.stdout("\n");
    }
  }

  /** Waits until the hub answered everything sent so far (frames are handled in order). */
  async drain(timeoutMs: number): Promise<void> {
    try {
      this.#connection.send({ type: "ping", id: DRAIN_ID });
    } catch {
      return await this.settled(); // closed meanwhile: nothing is due any more
    }
    await withDeadline(
      (signal) => this.#connection.next((f) => f.id === DRAIN_ID, signal),
      timeoutMs,
      "the replies still due",
    );
    await this.settled();
  }

  /** Waits until every `history` and `presence` typed so far has printed its answer or error. */
  async settled(): Promise<void> {
    while (this.#queries.size > 0) await Promise.allSettled([...this.#queries]);
  }
}
