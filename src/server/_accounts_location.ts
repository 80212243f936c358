// Where a configured server keeps its accounts: `sqlite:<file>` or a
// PostgreSQL URL, from the config file's `accounts` or `REALTIME_ACCOUNTS`.
// Parsing and redaction only; `startServer` opens the store. Internal.

/** A parsed accounts location. */
export type AccountsLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly url: string };

/**
 * Parses an accounts location. Errors never quote the value: a PostgreSQL
 * URL may hold a password. They name at most its scheme.
 *
 * @param text `sqlite:<file>` (e.g. `sqlite:.realtime/accounts.db`) or
 * `postgres://user:password@host:5432/db` (`postgresql://` too).
 * @param name Where the value came from, for the error message.
 * @returns The location.
 * @throws {TypeError} When the value is neither form.
 */
export function parseAccountsLocation(text: string, name: string): AccountsLocation {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot use '${name}' as it is ${typeof text}: use "sqlite:<file>", a postgres:// URL or false`,
    );
  }
  if (text.startsWith("sqlite:")) {
    const path = text.slice("sqlite:".length);
    if (path === "" || path.includes("\0")) {
      throw new TypeError(`Cannot use '${name}' as 'sqlite:' names no file: use sqlite:<file>`);
    }
    return { kind: "sqlite", path };
  }
  if (/^postgres(ql)?:\/\//.test(text) && URL.canParse(text)) {
    const url = new URL(text);
    if (url.hostname === "" && !url.searchParams.has("host")) {
      throw new TypeError(`Cannot use '${name}' as its PostgreSQL URL names no host`);
    }
    return { kind: "postgres", url: text };
  }
  const scheme = /^[a-z][a-z0-9+.-]{0,15}:/i.exec(text)?.[0];
  throw new TypeError(
    `Cannot use '${name}' as it is not an accounts store${
      scheme === undefined ? "" : ` (scheme '${scheme}')`
    }: use "sqlite:<file>" or a postgres:// URL`,
  );
}

/**
 * A PostgreSQL URL with its password replaced by `***`, for messages.
 *
 * @param url A URL.
 * @returns The URL without its password (or `postgres://…` if it cannot be parsed).
 */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return "postgres://…";
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  parsed.searchParams.delete("password");
  return parsed.href;
}
