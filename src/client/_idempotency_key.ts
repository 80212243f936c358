// A fresh idempotency key for a publish: 96 random bits as hex.
// `crypto.getRandomValues`, not `randomUUID`: browsers give the latter only
// to secure contexts, and a page on plain http must still publish.

export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let key = "";
  for (const byte of bytes) key += byte.toString(16).padStart(2, "0");
  return key;
}
