// Reads a real `text/event-stream` response event by event, as the WHATWG
// EventSource parser does (event, data, id, retry fields; comments), with a
// timeout on every wait.

/** One dispatched event, or a comment. */
export interface SseEvent {
  /** `message` for an unnamed event; `comment` for a comment line. */
  event: string;
  data: string;
  /** The last event id in force when it was dispatched. */
  lastEventId: string;
  /** The `id:` of this event, when it had one. */
  id?: string;
  retry?: number;
}

export class SseReader {
  readonly response: Response;
  #reader: ReadableStreamDefaultReader<string> | undefined;
  #buffer = "";
  #queue: SseEvent[] = [];
  #lastId = "";
  #ended = false;
  retry: number | undefined;

  constructor(response: Response) {
    this.response = response;
  }

  /** Made at the first read, so a refusal's body can still be read as JSON. */
  get #stream(): ReadableStreamDefaultReader<string> {
    return this.#reader ??= this.response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event (comments included when `comments`), or `undefined` once the stream ended. */
  async next(timeoutMs = 10_000, comments = false): Promise<SseEvent | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No SSE event in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      while (true) {
        const index = this.#queue.findIndex((e) => comments || e.event !== "comment");
        if (index >= 0) return this.#queue.splice(0, index + 1).pop();
        if (this.#ended) return undefined;
        const { value, done } = await Promise.race([this.#stream.read(), timeout]);
        if (done) {
          this.#ended = true;
          continue;
        }
        this.#feed(value);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next event named `name`, skipping others; throws when the stream ends first. */
  async until(name: string, timeoutMs = 10_000): Promise<SseEvent> {
    while (true) {
      const event = await this.next(timeoutMs);
      if (event === undefined) throw new Error(`The stream ended before a '${name}' event`);
      if (event.event === name) return event;
    }
  }

  /** Reads to the end; returns every event. */
  async rest(timeoutMs = 10_000): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    while (true) {
      const event = await this.next(timeoutMs);
      if (event === undefined) return events;
      events.push(event);
    }
  }

  async cancel(): Promise<void> {
    if (this.#reader === undefined) await this.response.body?.cancel().catch(() => {});
    else await this.#reader.cancel().catch(() => {});
  }

  #data: string[] = [];
  #name = "";
  #id: string | undefined;

  #feed(chunk: string): void {
    this.#buffer += chunk;
    while (true) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      if (end < 0) return;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (this.#data.length > 0) {
          const event: SseEvent = {
            event: this.#name || "message",
            data: this.#data.join("\n"),
            lastEventId: this.#lastId,
          };
          if (this.#id !== undefined) event.id = this.#id;
          this.#queue.push(event);
        }
        this.#data = [];
        this.#name = "";
        this.#id = undefined;
        continue;
      }
      if (line.startsWith(":")) {
        this.#queue.push({ event: "comment", data: line.slice(1), lastEventId: this.#lastId });
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.#name = value;
      else if (field === "data") this.#data.push(value);
      else if (field === "id" && !value.includes("\0")) {
        this.#lastId = value;
        this.#id = value;
      } else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    }
  }
}

/** Opens `GET url` as an event stream. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  return new SseReader(response);
}
