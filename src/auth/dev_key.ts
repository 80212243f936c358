/**
 * The development signing secret used by `deno task start` and the CLI when
 * no key is configured. It lives in `.realtime/dev-key.json`, readable by
 * its owner only, and is never meant for production.
 *
 * @module
 */

import { MIN_SECRET_BYTES } from "./_secret.ts";

const FILE = "dev-key.json";

/**
 * Where the development key lives, relative to the working directory: the
 * one spelling `deno task start`, `startServer` and the CLI share.
 *
 * @example Find the key file
 * ```ts
 * import { DEFAULT_DEV_KEY_DIR } from "@realtime/hub/auth";
 *
 * const file = `${DEFAULT_DEV_KEY_DIR}/dev-key.json`;
 * ```
 */
export const DEFAULT_DEV_KEY_DIR = ".realtime";

/** The result of {@linkcode ensureDevKey}. */
export interface DevKey {
  /** The 32-byte HS256 secret. */
  secret: Uint8Array;
  /** Whether this call created it. */
  created: boolean;
  /** The file holding it. */
  path: string;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") || dir.endsWith("\\") ? dir + name : `${dir}/${name}`;
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function parseKeyFile(text: string, path: string): Uint8Array {
  let k: unknown;
  try {
    ({ k } = JSON.parse(text));
    if (typeof k !== "string" || !/^[A-Za-z0-9_-]+$/.test(k)) throw new Error();
    const bytes = Uint8Array.from(
      atob(k.replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    );
    if (bytes.length >= MIN_SECRET_BYTES) return bytes;
  } catch {
    // fall through: the message must not quote the file's content
  }
  throw new TypeError(
    `Cannot read the development key in '${path}': expected JSON with a base64url 'k' of at least ${MIN_SECRET_BYTES} bytes; delete the file to create a new key`,
  );
}

/**
 * Reads the development key if it exists.
 *
 * @param dir The directory holding `dev-key.json`.
 * @returns The secret, or `undefined` when there is no key file yet.
 * @throws {TypeError} When the file exists but is not a valid key file.
 *
 * @example Use the development key when present
 * ```ts
 * import { loadDevKey } from "@realtime/hub/auth";
 *
 * const dir = await Deno.makeTempDir();
 * await loadDevKey(dir); // undefined
 * ```
 */
export async function loadDevKey(dir = DEFAULT_DEV_KEY_DIR): Promise<Uint8Array | undefined> {
  const path = join(dir, FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return parseKeyFile(text, path);
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  try {
    await Deno.writeTextFile(join(dir, ".gitignore"), "*\n", { createNew: true, mode: 0o644 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

/**
 * Returns the development key, creating it on first use: 32 random bytes
 * stored as `{ "alg": "HS256", "k": <base64url>, "createdAt": <ISO date> }`
 * in `<dir>/dev-key.json` with mode 0600, in a directory created with mode
 * 0700 and holding a `.gitignore` of `*`. Safe when several processes race:
 * the file is written whole to a temporary name, then hard-linked into
 * place, which fails if another process won; the loser reads the winner's key.
 *
 * @param dir The directory for the key.
 * @returns The secret, whether this call created it, and the file's path.
 *
 * @example Sign development tokens with the development key
 * ```ts
 * import { ensureDevKey, mintToken } from "@realtime/hub/auth";
 *
 * const dir = await Deno.makeTempDir();
 * const { secret, created } = await ensureDevKey(dir);
 * created; // true
 * const token = await mintToken({ sub: "dev" }, { secret });
 * (await ensureDevKey(dir)).created; // false
 * ```
 */
export async function ensureDevKey(dir = DEFAULT_DEV_KEY_DIR): Promise<DevKey> {
  const path = join(dir, FILE);
  const existing = await loadDevKey(dir);
  if (existing !== undefined) return { secret: existing, created: false, path };
  await prepareDir(dir);
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const body = { alg: "HS256", k: toBase64Url(secret), createdAt: new Date().toISOString() };
  const temp = join(dir, `.${FILE}.${crypto.randomUUID()}.tmp`);
  await Deno.writeTextFile(temp, JSON.stringify(body, null, 2) + "\n", {
    createNew: true,
    mode: 0o600,
  });
  try {
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o600); // in case of an odd umask
    await Deno.link(temp, path);
    return { secret, created: true, path };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const winner = await loadDevKey(dir);
    if (winner === undefined) throw error;
    return { secret: winner, created: false, path };
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
