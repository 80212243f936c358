/**
 * Reading standard input line by line.
 *
 * @module
 */

/**
 * Yields the lines of a byte stream, without their `\n` or `\r\n`. A last
 * line without a newline is yielded too.
 *
 * @param stream The stream (standard input).
 * @param signal Stops reading (the stream is cancelled).
 * @returns The lines.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  let buffer = "";
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let at: number;
      while ((at = buffer.indexOf("\n")) >= 0) {
        yield buffer.slice(0, at).replace(/\r$/, "");
        buffer = buffer.slice(at + 1);
      }
    }
    if (buffer !== "" && !signal?.aborted) yield buffer.replace(/\r$/, "");
  } finally {
    signal?.removeEventListener("abort", cancel);
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Reads a whole stream as text.
 *
 * @param stream The stream.
 * @returns Its text.
 */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}
