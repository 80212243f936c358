// The client's SSE transport: the same protocol as a WebSocket `Connection`,
// over a `text/event-stream` it reads with fetch (so the token goes in the
// Authorization header, never the URL) and requests it posts to the
// stream's session (`POST <sse>/<connectionId>`, docs/protocol.md,
// "Requests on a stream"). Posts go one at a time, in order, each carrying
// what was sent meanwhile, one frame per line. Internal to the client.

import type { ServerFrame } from "../protocol/frames.ts";
import type { CloseInfo } from "./connection.ts";
import { createSseParser } from "./sse_parser.ts";

/** The largest event the stream may hold pending (the hub bounds its events far below). */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/** The fetch a stream uses: the global one unless given. */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of an {@linkcode SseConnection}. */
export interface SseConnectionOptions {
  /**
   * The stream's URL, such as `https://example.com/sse`; a hub's `ws:` or
   * `wss:` URL stands for `/sse` on its host.
   */
  url: URL;
  /** The token, sent as `Authorization: Bearer`. */
  token: string;
  /** `"include"` sends the hub site's cookies across origins; the fetch default otherwise. */
  credentials?: RequestCredentials;
  fetch?: FetchFunction;
  onFrame?: (frame: ServerFrame) => void;
  onClose?: (info: CloseInfo) => void;
}

/** One SSE stream to the hub, used as the client uses a WebSocket `Connection`. */
export class SseConnection {
  #url: URL;
  #token: string;
  #credentials: RequestCredentials | undefined;
  #fetch: FetchFunction;
  #abort = new AbortController();
  #onFrame: ((frame: ServerFrame) => void) | undefined;
  #onClose: ((info: CloseInfo) => void) | undefined;
  #attached = true;
  #open = false;
  #connectionId: string | undefined;
  #closeInfo: CloseInfo | undefined;
  #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  /** Frames waiting for the post in flight to finish. */
  #outbox: string[] = [];
  #posting = false;

  constructor(options: SseConnectionOptions) {
    const url = options.url;
    this.#url = url.protocol === "ws:" || url.protocol === "wss:"
      ? new URL("/sse", `${url.protocol === "wss:" ? "https:" : "http:"}//${url.host}`)
      : url;
    this.#token = options.token;
    this.#credentials = options.credentials;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#onFrame = options.onFrame;
    this.#onClose = options.onClose;
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    void this.#read();
  }

  /** How the stream ended, or `undefined` while it is open. */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Whether the stream is open. */
  get isOpen(): boolean {
    return this.#open && this.#closeInfo === undefined;
  }

  /** Whether the stream ever opened (the hub answered 200). */
  get opened(): boolean {
    return this.#open;
  }

  /**
   * Sends a frame to the stream's session.
   *
   * @returns Whether it was queued (`false` before the `welcome` or once closed).
   */
  send(frame: string | object): boolean {
    if (!this.isOpen || this.#connectionId === undefined) return false;
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    this.#outbox.push(text);
    // A refreshed token signs the next posts (the hub checks it is the same user's).
    if (text.startsWith('{"type":"auth"')) {
      const token = (JSON.parse(text) as { token?: unknown }).token;
      if (typeof token === "string") this.#token = token;
    }
    if (!this.#posting) void this.#post();
    return true;
  }

  /** Stops delivering frames and the close to the listeners. */
  detach(): void {
    this.#attached = false;
  }

  /** Ends the stream. */
  close(code = 1000): Promise<CloseInfo> {
    this.#end({ code, reason: "" });
    return this.#closed;
  }

  async #read(): Promise<void> {
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        headers: { accept: "text/event-stream", authorization: `Bearer ${this.#token}` },
        cache: "no-store",
        credentials: this.#credentials,
        signal: this.#abort.signal,
      });
    } catch (error) {
      return this.#end({
        code: 1006,
        reason: "",
        failure: error instanceof Error ? error.message : String(error),
      });
    }
    if (response.status !== 200 || response.body === null) {
      let message = `HTTP ${response.status}`;
      try {
        const body = await response.json() as { message?: unknown };
        if (typeof body.message === "string") message = body.message;
      } catch {
        // Not the hub's JSON.
      }
      // As a WebSocket refused by the hub: 4001 for a token, a plain failure otherwise.
      return this.#end(
        response.status === 401
          ? { code: 4001, reason: message }
          : { code: 1006, reason: "", failure: message },
      );
    }
    this.#open = true;
    const feed = createSseParser((event) => {
      let frame: ServerFrame & { code?: number; reason?: string };
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (event.event === "close") {
        return this.#end({ code: Number(frame.code) || 1006, reason: String(frame.reason ?? "") });
      }
      if (frame.type === "welcome") this.#connectionId = frame.connectionId;
      if (this.#attached && this.#closeInfo === undefined) this.#onFrame?.(frame);
    }, MAX_EVENT_CHARS);
    try {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      while (this.#closeInfo === undefined) {
        const { value, done } = await reader.read();
        if (done) break;
        feed(value);
      }
      await reader.cancel().catch(() => {});
    } catch {
      // Aborted or lost: the end below says so.
    }
    this.#end({ code: 1006, reason: "" });
  }

  /** Posts what is queued, one post at a time, until nothing is. */
  async #post(): Promise<void> {
    this.#posting = true;
    try {
      while (this.#outbox.length > 0 && this.isOpen) {
        const body = this.#outbox.join("\n");
        this.#outbox = [];
        const target = new URL(this.#url);
        target.pathname = `${target.pathname.replace(/\/$/, "")}/${this.#connectionId}`;
        const response = await this.#fetch(target, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${this.#token}` },
          body,
          credentials: this.#credentials,
          signal: this.#abort.signal,
        });
        await response.body?.cancel().catch(() => {});
        // The stream is gone on the hub: it ends here too, and the client reconnects.
        if (response.status !== 202) return this.#end({ code: 1006, reason: "" });
      }
    } catch {
      this.#end({ code: 1006, reason: "" });
    } finally {
      this.#posting = false;
    }
  }

  #end(info: CloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closeInfo = info;
    this.#outbox = [];
    this.#abort.abort();
    this.#resolveClosed(info);
    if (this.#attached) this.#onClose?.(info);
  }
}
