// The admin signing keys a config file names by path (`adminSigningKeys`),
// read once at start. No message here quotes a file's text nor its path: a
// value pasted into the config by mistake may be the key itself.

import type { PublicationSigningKey } from "../signing/sign.ts";

/** Most bytes a key file may hold: an RSA-4096 PEM is about 3.3 KB. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Checks the config value's shape: an object of file paths by key id. */
export function checkSigningKeyFiles(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      "Cannot use 'adminSigningKeys': expected an object of key file paths by key id",
    );
  }
  for (const [id, path] of Object.entries(value)) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `Cannot use 'adminSigningKeys' entry ${
          JSON.stringify(id.slice(0, 64))
        }: expected the path of a key file`,
      );
    }
  }
  return value as Record<string, string>;
}

/**
 * Reads each key file: a JWK when its text starts with `{`, else the text
 * itself (a PEM private key or a shared secret), surrounding whitespace
 * ignored. Whether the key is usable is the signer's to say.
 */
export async function readSigningKeyFiles(
  files: Readonly<Record<string, string>>,
): Promise<Record<string, PublicationSigningKey>> {
  const keys: Record<string, PublicationSigningKey> = {};
  for (const [id, path] of Object.entries(checkSigningKeyFiles(files))) {
    const name = `admin signing key ${JSON.stringify(id.slice(0, 64))}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      // The error's name (NotFound, PermissionDenied), never its message, which quotes the path.
      throw new TypeError(
        `Cannot read ${name} from the file 'adminSigningKeys' names: ${
          error instanceof Error ? error.name : "unreadable"
        }`,
      );
    }
    if (bytes.length > MAX_KEY_FILE_BYTES) {
      throw new RangeError(
        `Cannot use ${name} as its file has ${bytes.length} bytes: at most ${MAX_KEY_FILE_BYTES} are allowed`,
      );
    }
    const text = new TextDecoder().decode(bytes).trim();
    if (text === "") throw new TypeError(`Cannot use ${name} as its file is empty`);
    if (!text.startsWith("{")) {
      keys[id] = text;
      continue;
    }
    try {
      keys[id] = JSON.parse(text);
    } catch {
      // JSON.parse quotes its input in its message: never let key text reach an error.
      throw new TypeError(`Cannot use ${name} as its file starts with '{' but is not valid JSON`);
    }
  }
  return keys;
}
