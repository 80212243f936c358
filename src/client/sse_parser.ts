// A `text/event-stream` parser, as the WHATWG EventSource one (fields
// `event`, `data`, `id`; comments skipped), fed text in chunks of any size.
// Internal to the client's SSE transport.

/** One dispatched event. */
export interface ParsedEvent {
  /** The event name, `message` when unnamed. */
  readonly event: string;
  /** Its data lines joined by `\n`. */
  readonly data: string;
}

/**
 * Makes a parser that calls `onEvent` per event. A line or event longer
 * than `maxChars` throws a `RangeError` (the hub's are bounded).
 */
export function createSseParser(
  onEvent: (event: ParsedEvent) => void,
  maxChars = 16 * 1024 * 1024,
): (chunk: string) => void {
  let buffer = "";
  let name = "";
  let data: string[] = [];
  let held = 0;
  return (chunk) => {
    buffer += chunk;
    let start = 0;
    while (true) {
      const lf = buffer.indexOf("\n", start);
      if (lf < 0) break;
      let line = buffer.slice(start, lf);
      start = lf + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (data.length > 0) onEvent({ event: name || "message", data: data.join("\n") });
        name = "";
        data = [];
        held = 0;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") {
        data.push(value);
        held += value.length;
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length + held > maxChars) {
      throw new RangeError(`Cannot read the event stream: an event exceeds ${maxChars} characters`);
    }
  };
}
