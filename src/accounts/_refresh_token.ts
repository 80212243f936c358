// Opaque refresh tokens: 32 random bytes, base64url. The store sees only
// SHA-256 hashes, and a successor sealed (AES-GCM) under a key derived from
// the token it replaced, so only a holder of that token can read it back.

const encoder = new TextEncoder();
const SEAL_LABEL = "realtime-hub refresh-token seal v1\0";
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(
    atob(text.replaceAll("-", "+").replaceAll("_", "/")),
    (c) => c.charCodeAt(0),
  );
}

/** A new random refresh token. */
export function newRefreshToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether a presented value has the shape of one of our tokens (checked before any lookup). */
export function isRefreshTokenShape(value: unknown): value is string {
  return typeof value === "string" && TOKEN_PATTERN.test(value);
}

/** SHA-256 of the token, lower-case hex: the only form the store keeps. */
export async function hashRefreshToken(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sealKey(under: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(SEAL_LABEL + under));
  return await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Seals `token` so that only a holder of `under` can open it. */
export async function sealToken(token: string, under: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      await sealKey(under),
      encoder.encode(token),
    ),
  );
  const out = new Uint8Array(iv.length + cipher.length);
  out.set(iv);
  out.set(cipher, iv.length);
  return toBase64Url(out);
}

/** Opens a sealed token, or `undefined` when `under` is not the key. */
export async function unsealToken(sealed: string, under: string): Promise<string | undefined> {
  try {
    const bytes = fromBase64Url(sealed);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12) },
      await sealKey(under),
      bytes.subarray(12),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}
