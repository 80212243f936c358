/**
 * A `text/event-stream` parser for streams read with `fetch()`, as the
 * WHATWG `EventSource` one reads them (fields `event` and `data`; comments,
 * `id:` and `retry:` skipped), fed text in chunks of any size. Shared by the
 * client's SSE transport and the operator console (which cannot use
 * `EventSource`: it sends no `Authorization` header, and credentials never
 * go in URLs); the console re-exports it.
 *
 * @module
 */

/**
 * One parsed event.
 *
 * @example Log it
 * ```ts
 * import type { ServerSentEvent } from "@realtime/hub/console";
 *
 * const line = (e: ServerSentEvent) => `${e.event}: ${e.data.length} characters`;
 * ```
 */
export interface ServerSentEvent {
  /** The `event:` field, `message` when absent. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

/**
 * Creates an incremental parser: feed it decoded text in any chunks; it
 * calls `onEvent` for each complete event. Comments and `id:`/`retry:`
 * fields are ignored. A pending event larger than `maxChars` throws, so a
 * broken stream cannot grow memory without bound.
 *
 * @param onEvent Called per event.
 * @param maxChars Largest pending text.
 * @returns The function to feed text to.
 * @throws {RangeError} From the returned function, when an event grows past `maxChars`.
 *
 * @example Two events split across chunks
 * ```ts
 * import { createSseParser, type ServerSentEvent } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * const got: ServerSentEvent[] = [];
 * const feed = createSseParser((e) => got.push(e));
 * feed("event: a\nda");
 * feed("ta: 1\n\ndata: 2\r\n\r\n");
 * assert.deepEqual(got, [{ event: "a", data: "1" }, { event: "message", data: "2" }]);
 * ```
 */
export function createSseParser(
  onEvent: (event: ServerSentEvent) => void,
  maxChars = 4 * 1024 * 1024,
): (text: string) => void {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let held = 0;
  return function feed(text: string): void {
    buffer += text;
    let start = 0;
    while (true) {
      const end = buffer.indexOf("\n", start);
      if (end < 0) break;
      let line = buffer.slice(start, end);
      start = end + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (data.length > 0) onEvent({ event: event || "message", data: data.join("\n") });
        event = "";
        data = [];
        held = 0;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") {
        data.push(value);
        held += value.length;
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length + held > maxChars) {
      throw new RangeError(
        `Cannot parse the event stream as an event exceeds ${maxChars} characters`,
      );
    }
  };
}
