/** Shared-secret handling: never prints the secret. */

/** Fewer bytes than this make an HMAC key guessable offline. */
export const MIN_SECRET_BYTES = 32;

/** Returns the secret's bytes (a string is read as UTF-8) or throws without echoing it. */
export function secretBytes(secret: unknown, label: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  if (typeof secret === "string") bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array) bytes = secret.slice();
  else {
    throw new TypeError(
      `Cannot use '${label}' of type ${typeof secret}: expected a string or a Uint8Array`,
    );
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new RangeError(
      `Cannot use '${label}' of ${bytes.length} bytes: at least ${MIN_SECRET_BYTES} bytes are required`,
    );
  }
  return bytes;
}
