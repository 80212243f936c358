// UTF-8 sizes of strings without encoding them: what the doors count frames
// in, and what the hub counts presence info in.

/**
 * The number of bytes `text` takes in UTF-8, as `TextEncoder` would write it
 * (a lone surrogate becomes U+FFFD, 3 bytes). Never less than `text.length`
 * and never more than `text.length * 3`.
 *
 * @param text Any string.
 * @returns Its UTF-8 length in bytes.
 */
export function utf8ByteLength(text: string): number {
  // ASCII, the common case (JSON payloads, headers), is one byte a unit:
  // one regular expression scan, about three times faster than the loop.
  if (ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (
      c >= 0xd800 && c <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      // A surrogate pair: two units, four bytes.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The size in bytes of a received message: UTF-8 for text, the byte length
 * for binary data (a list of chunks is summed).
 *
 * @param data What an adapter passed to the hub.
 * @returns Its size in bytes.
 */
export function messageBytes(data: unknown): number {
  if (typeof data === "string") return utf8ByteLength(data);
  if (Array.isArray(data)) {
    let sum = 0;
    for (const chunk of data) sum += messageBytes(chunk);
    return sum;
  }
  const length = (data as { byteLength?: unknown } | null)?.byteLength;
  return typeof length === "number" ? length : 0;
}
