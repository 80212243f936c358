/**
 * `realtime-cli users add|list|disable|enable|set-roles|reset-password`:
 * user administration on the hub's embedded account store, for operators
 * on the hub's host. Passwords are read from stdin, never from arguments.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { ACL_OPTION_HELP, collectAcl } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { readAll } from "../lines.ts";
import type { AccountStore, UserRecord } from "../../accounts/store.ts";

const DEFAULT_DB = ".realtime/accounts.db";

function dbPath(ctx: Context, option: string | undefined): string {
  return option ?? (ctx.io.env.REALTIME_ACCOUNTS_DB || DEFAULT_DB);
}

async function openStore(path: string, create: boolean): Promise<AccountStore> {
  if (!create) {
    try {
      await Deno.stat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new CliError(
        ExitCode.Usage,
        `No account store at '${path}': start the hub once, add a user, or pass --db`,
      );
    }
  }
  const { createSqliteStore } = await import("../../accounts/sqlite_store.ts");
  return createSqliteStore(path);
}

async function readPassword(ctx: Context): Promise<string> {
  const text = await readAll(ctx.io.stdin());
  // One line: a trailing newline from `echo` or a here-string is not part of it.
  const password = text.replace(/\r?\n$/, "");
  if (password.includes("\n")) {
    throw new CliError(ExitCode.Usage, "Password on stdin must be a single line");
  }
  return password;
}

async function accountsCall<T>(fn: () => Promise<T>): Promise<T> {
  const { AccountsError } = await import("../../accounts/errors.ts");
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AccountsError) throw new CliError(ExitCode.Usage, error.message);
    throw error;
  }
}

async function findOrFail(store: AccountStore, name: string): Promise<UserRecord> {
  const { normalizeUsername } = await import("../../accounts/username.ts");
  const username = await accountsCall(() => Promise.resolve(normalizeUsername(name)));
  const user = await store.findUser({ username });
  if (user === undefined) throw new CliError(ExitCode.Usage, `No user '${username}'`);
  return user;
}

function parseRoles(roles: string[]): string[] {
  for (const role of roles) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(role)) {
      throw new CliError(
        ExitCode.Usage,
        `Role ${JSON.stringify(role)} is not allowed: use 1 to 64 of A-Z a-z 0-9 . _ : -`,
      );
    }
  }
  return [...new Set(roles)];
}

async function checkedAcl(acl: Record<string, string[]> | undefined) {
  if (acl === undefined) return {};
  const { parseCapabilities } = await import("../../acl/capabilities.ts");
  const parsed = parseCapabilities(acl);
  if (!parsed.ok) throw new CliError(ExitCode.Usage, parsed.message);
  return acl;
}

function describe(user: UserRecord): Record<string, unknown> {
  return {
    username: user.username,
    id: user.id,
    roles: user.roles,
    acl: user.acl,
    disabled: user.disabled,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/**
 * Creates the `users` command group.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function usersCommand(ctx: Context) {
  const users = new Command("users")
    .description(
      "Administer the accounts in the hub's embedded store (default .realtime/accounts.db, or " +
        "$REALTIME_ACCOUNTS_DB). Passwords are read from stdin. Disabling a user or resetting a " +
        "password ends their sessions: refresh fails at once, access tokens run out within 15 minutes.",
    )
    .addHelpText(
      "after",
      `
Examples:
  printf '%s' "$PASSWORD" | realtime-cli users add alice --role member --acl 'chat:*=subscribe,publish'
  realtime-cli users list
  realtime-cli users set-roles alice member moderator
  realtime-cli users disable alice`,
    );

  users.addCommand(
    new Command("add")
      .summary("Add a user; the password is read from stdin")
      .argument("<username>", "1 to 64 of a-z 0-9 . _ @ -")
      .option("--role <role...>", "roles (repeatable)")
      .option("--acl <pattern=actions>", ACL_OPTION_HELP, collectAcl)
      .option("--db <file>", "the account store")
      .action(async (name, options) => {
        const { normalizeNewUsername } = await import("../../accounts/username.ts");
        const { checkPasswordPolicy, hashPassword } = await import("../../accounts/password.ts");
        const username = await accountsCall(() => Promise.resolve(normalizeNewUsername(name)));
        const roles = parseRoles(options.role ?? []);
        const acl = await checkedAcl(options.acl);
        const password = await readPassword(ctx);
        await accountsCall(() => Promise.resolve(checkPasswordPolicy(password, username)));
        await using store = await openStore(dbPath(ctx, options.db), true);
        const user = await accountsCall(async () =>
          store.createUser({
            id: crypto.randomUUID(),
            username,
            passwordHash: await hashPassword(password),
            roles,
            acl,
            now: Date.now(),
          })
        );
        ctx.status(`added user '${user.username}'`);
      }),
  );

  users.addCommand(
    new Command("list")
      .summary("List users, one JSON object a line")
      .option("--db <file>", "the account store")
      .action(async (options) => {
        await using store = await openStore(dbPath(ctx, options.db), false);
        let after = "";
        while (true) {
          const page = await store.listUsers({ after, limit: 500 });
          for (const user of page) ctx.out(JSON.stringify(describe(user)));
          if (page.length < 500) break;
          after = page.at(-1)!.username;
        }
      }),
  );

  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    users.addCommand(
      new Command(verb)
        .summary(disabled ? "Disable a user and end their sessions" : "Enable a user")
        .argument("<username>")
        .option("--db <file>", "the account store")
        .action(async (name, options) => {
          await using store = await openStore(dbPath(ctx, options.db), false);
          const user = await findOrFail(store, name);
          const now = Date.now();
          await store.updateUser(user.id, { disabled }, now);
          const ended = disabled ? await store.revokeUserSessions(user.id, now) : 0;
          ctx.status(
            disabled
              ? `disabled '${user.username}' and ended ${ended} session(s)`
              : `enabled '${user.username}'`,
          );
        }),
    );
  }

  users.addCommand(
    new Command("set-roles")
      .summary("Replace a user's roles (none to clear them)")
      .argument("<username>")
      .argument("[roles...]")
      .option("--db <file>", "the account store")
      .action(async (name, roles, options) => {
        const parsed = parseRoles(roles);
        await using store = await openStore(dbPath(ctx, options.db), false);
        const user = await findOrFail(store, name);
        await store.updateUser(user.id, { roles: parsed }, Date.now());
        ctx.status(`set the roles of '${user.username}' to [${parsed.join(", ")}]`);
      }),
  );

  users.addCommand(
    new Command("reset-password")
      .summary("Set a new password (from stdin) and end the user's sessions")
      .argument("<username>")
      .option("--db <file>", "the account store")
      .action(async (name, options) => {
        const { checkPasswordPolicy, hashPassword } = await import("../../accounts/password.ts");
        await using store = await openStore(dbPath(ctx, options.db), false);
        const user = await findOrFail(store, name);
        const password = await readPassword(ctx);
        await accountsCall(() => Promise.resolve(checkPasswordPolicy(password, user.username)));
        const now = Date.now();
        await store.updateUser(user.id, { passwordHash: await hashPassword(password) }, now);
        const ended = await store.revokeUserSessions(user.id, now);
        ctx.status(`reset the password of '${user.username}' and ended ${ended} session(s)`);
      }),
  );
  return users;
}
