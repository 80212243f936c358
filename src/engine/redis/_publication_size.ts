// The size of one publication, checked before anything is sent to Redis.
// With the bytes a stream keeps (bounded by the publish script, `_scripts.ts`)
// and the new-stream quota (`_new_stream_quota.ts`), it keeps one publisher
// from exhausting Redis.

import { EngineError } from "../errors.ts";

/**
 * The UTF-8 length of `text` as Redis stores it (a lone surrogate is written
 * as U+FFFD, 3 bytes), or `text.length` when even 3 bytes per UTF-16 unit
 * stay within `bound`: the common case is not counted.
 */
export function utf8Bytes(text: string, bound: number): number {
  if (text.length * 3 <= bound) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (
      c >= 0xd800 && c <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Throws `TOO_LARGE` when an encoded publication is over `most` bytes. */
export function checkPublicationSize(topic: string, encoded: string, most: number): void {
  const bytes = utf8Bytes(encoded, most);
  if (bytes > most) {
    throw new EngineError(
      "TOO_LARGE",
      `Cannot publish to '${topic}' as the publication takes ${bytes} bytes: at most ${most} are stored`,
    );
  }
}
