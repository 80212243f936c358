/**
 * The command tree of `realtime-cli`, and running it: global options,
 * help, usage errors, exit codes. Command implementations live in
 * `commands/`, and load what they need (hub, jose, sockets) only when run,
 * so `--help` and `--version` start fast.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  type CommandUnknownOpts,
  Option,
} from "@commander-js/extra-typings";
import tab from "@bomb.sh/tab/commander";
import type { Command as PlainCommand } from "commander";
import { aclCheckCommand } from "./commands/acl_check.ts";
import { aclExplainCommand } from "./commands/acl_explain.ts";
import { connectCommand } from "./commands/connect.ts";
import { keysGenerateCommand } from "./commands/keys_generate.ts";
import { loginCommand } from "./commands/login.ts";
import { publishCommand } from "./commands/publish.ts";
import { serveCommand } from "./commands/serve.ts";
import { tailCommand } from "./commands/tail.ts";
import { historyCommand } from "./commands/history.ts";
import { presenceCommand } from "./commands/presence.ts";
import { rpcCommand } from "./commands/rpc.ts";
import { tokenMintCommand } from "./commands/token_mint.ts";
import { tokenInspectCommand } from "./commands/token_inspect.ts";
import { tokenVerifyCommand } from "./commands/token_verify.ts";
import { usersCommand } from "./commands/users.ts";
import { Context, DEFAULT_URL, type GlobalOptions, TOKEN_VIAS } from "./context.ts";
import { describeError, EXIT_CODES_HELP, ExitCode, redact } from "./errors.ts";
import { type CliIo, resolveIo } from "./io.ts";
import { VERSION } from "./version.ts";

const NAME = "realtime-cli";

const ENVIRONMENT_HELP = `Environment:
  REALTIME_URL          default --url (else ${DEFAULT_URL})
  REALTIME_TOKEN        default --token (safer than --token, which other users can see in ps)
  REALTIME_JWT_SECRET   HS256 secret for token mint/verify and serve (else the development key)
  REALTIME_CONFIG       default --config of serve, acl and token verify
  REALTIME_JWT_ISSUER, REALTIME_JWT_AUDIENCE  default --iss and --aud of token mint
  NO_COLOR              no colour when set (https://no-color.org)
  serve also reads PORT, REALTIME_HOST, REALTIME_TRANSPORT, REALTIME_ENV, REALTIME_JWT_PUBLIC_KEY,
  REALTIME_JWKS_URL, REALTIME_JWT_ALGORITHMS, REALTIME_JWT_ISSUER, REALTIME_JWT_AUDIENCE and
  REALTIME_ALLOWED_ORIGINS (see 'realtime-cli serve --help').`;

function group(name: string, description: string, commands: CommandUnknownOpts[]) {
  const command = new Command(name).description(description);
  for (const sub of commands) command.addCommand(sub);
  return command;
}

/** Commander writes its own errors as `error: ...`, sometimes over several lines. */
function oneLine(text: string): string {
  return text.trim().replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ");
}

function configure(command: PlainCommand, ctx: Context): void {
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => ctx.io.stdout(text),
      writeErr: (text) => ctx.io.stderr(text),
      outputError: (text) =>
        ctx.io.stderr(`${NAME}: ${redact(oneLine(text), ctx.secrets)} (see --help)\n`),
    });
  for (const sub of command.commands) configure(sub, ctx);
}

/**
 * Builds the command tree for one run.
 *
 * @param ctx Receives the global options once parsed.
 * @param setGlobals Called with the parsed global options' reader.
 * @returns The root command.
 */
function createProgram(ctx: Context, setGlobals: (read: () => GlobalOptions) => void) {
  const program = new Command(NAME)
    .description(
      "Mint tokens, open sessions, tail and publish topics, and serve an @realtime/hub hub.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .option(
      "--url <url>",
      `hub WebSocket URL (default: $REALTIME_URL or ${DEFAULT_URL}); repeat it to fail over between hubs in tail and connect (other commands use the first)`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--token <jwt>", "token (default: $REALTIME_TOKEN)")
    .addOption(
      new Option("--token-via <how>", "how to send the token").choices(TOKEN_VIAS).default(
        "header" as const,
      ),
    )
    .option("-q, --quiet", "no status lines on stderr (errors are still printed)")
    .option("--no-color", "no colour (also NO_COLOR)")
    .addHelpText("after", `\n${ENVIRONMENT_HELP}`)
    .addHelpText("afterAll", `\n${EXIT_CODES_HELP}`);
  setGlobals(() => {
    const options = program.opts();
    const env = ctx.io.env;
    const urls = options.url ?? [env.REALTIME_URL || DEFAULT_URL];
    return {
      url: urls[0],
      urls,
      token: options.token ?? (env.REALTIME_TOKEN || undefined),
      tokenVia: options.tokenVia,
      quiet: options.quiet === true,
      color: options.color,
    };
  });
  program.addCommand(
    group("token", "Mint, inspect and verify tokens", [
      tokenMintCommand(ctx),
      tokenInspectCommand(ctx),
      tokenVerifyCommand(ctx),
    ]),
  );
  program.addCommand(group("keys", "Generate signing keys", [keysGenerateCommand(ctx)]));
  program.addCommand(connectCommand(ctx));
  program.addCommand(tailCommand(ctx));
  program.addCommand(publishCommand(ctx));
  program.addCommand(historyCommand(ctx));
  program.addCommand(presenceCommand(ctx));
  program.addCommand(rpcCommand(ctx));
  program.addCommand(
    group("acl", "Explain decisions and check rules offline", [
      aclExplainCommand(ctx),
      aclCheckCommand(ctx),
    ]),
  );
  program.addCommand(serveCommand(ctx));
  program.addCommand(usersCommand(ctx));
  program.addCommand(loginCommand(ctx));
  // tab and the recursive settings take commander's own class; extra-typings only adds types to it.
  const plain = program as unknown as PlainCommand;
  configure(plain, ctx);
  // Adds `completions <shell>` and the hidden `complete -- ARGS` that the scripts call back.
  tab(plain, { completionCommandName: "completions" });
  configure(plain, ctx);
  return program;
}

/**
 * Runs `realtime-cli` with `args` (without the program name).
 *
 * @param args The arguments.
 * @param io Where to read and write.
 * @returns The exit code.
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  using resolved = resolveIo(io);
  let readGlobals: () => GlobalOptions = () => ({
    url: DEFAULT_URL,
    urls: [DEFAULT_URL],
    tokenVia: "header",
    quiet: false,
    color: true,
  });
  const ctx = new Context(resolved, () => readGlobals());
  const program = createProgram(ctx, (read) => readGlobals = read);
  try {
    await program.parseAsync(args, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const { exitCode, message } = describeError(error);
    if (exitCode !== ExitCode.Ok) ctx.warn(message);
    return exitCode;
  }
}
