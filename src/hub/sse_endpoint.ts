/**
 * The HTTP shell of the SSE door: `GET /sse?topic=A&topic=B` becomes a
 * session whose door is an {@linkcode SseDoor} and whose response body is
 * a `text/event-stream`. It reads the request (topics, `Last-Event-ID`),
 * admits it as a WebSocket upgrade is admitted (tokens, origin, limits),
 * waits for the session to answer every topic, then answers a refusal with
 * its HTTP status or streams. It also beats the heart of every open stream.
 * Runtime-neutral: web `Request`, `Response` and `ReadableStream` only.
 *
 * @module
 */

import { HTTP_STATUS } from "../protocol/codes.ts";
import { errorResponse, readBodyText } from "./http_body.ts";
import { parseEventId } from "./codec/sse.ts";
import { SseDoor, type SseDoorHost, type SseResume } from "./codec/sse_door.ts";
import type { TextSocket } from "./codec/door.ts";
import type { Admission, ConnInfo, Peer } from "./transport.ts";
import type { AdmissionDoor } from "./admission.ts";
import type { Principal } from "../auth/principal.ts";
import type { Clock } from "./clock.ts";
import type { Door, DoorOwner } from "./codec/door.ts";
import type { SharedBatch } from "./codec/shared_batch.ts";

/** The session as the SSE and HTTP publish shells drive it. */
export interface ShellSession extends DoorOwner {
  readonly id: string;
  start(principal: Principal | undefined): void;
  receive(data: unknown): void;
  close(code: number, reason: string): void;
  closed(code?: number): void;
}

/** What the HTTP shells need of their hub. */
export interface ShellDeps {
  admit(req: Request, info: ConnInfo | undefined, door: AdmissionDoor): Promise<Admission>;
  /** Creates and registers a session on `door`. */
  open(door: Door, peer: Peer | undefined): ShellSession;
  readonly limits: SseDoorHost["limits"] & {
    readonly maxSubscriptions: number;
    readonly messageBurst: number;
    readonly heartbeatMs: number;
  };
  readonly flushQueue: SseDoorHost["flushQueue"];
  readonly clock: Clock;
  /**
   * The last chunk written, shared by consecutive streams written the same
   * events (a fan-out to single-topic streams): encoded once. Cleared by the
   * hub when its flush queue drains.
   */
  readonly shared?: SharedBatch;
}

/** Options of the SSE door. */
export interface SseOptions {
  /**
   * The `retry:` sent at the start of every stream: how long an
   * `EventSource` waits before it reconnects, in milliseconds.
   *
   * @default {2000}
   */
  retryMs?: number;
  /**
   * The query parameter a client may name its last event id with, for a new
   * `EventSource` (which cannot set `Last-Event-ID`); the header wins.
   *
   * @default {"lastEventId"}
   */
  lastEventIdParam?: string;
}

/** Most frames one post to a stream carries (each at most `limits.maxFrameBytes`). */
const MAX_FRAMES_PER_POST = 16;

/** The byte stream of one SSE response, as the door's {@linkcode TextSocket}. */
class StreamSocket implements TextSocket {
  #controller: ReadableStreamDefaultController<Uint8Array>;
  #encoder = new TextEncoder();
  #ended = false;
  #onEnd: () => void;

  constructor(controller: ReadableStreamDefaultController<Uint8Array>, onEnd: () => void) {
    this.#controller = controller;
    this.#onEnd = onEnd;
  }

  send(text: string): void {
    if (!this.#ended) this.#controller.enqueue(this.#encoder.encode(text));
  }

  /**
   * Enqueues bytes shared with other streams: the HTTP server reads them
   * and does not detach or change them (`tests/hub/sse_shared_bytes_test.ts`).
   */
  sendBytes(bytes: Uint8Array): void {
    if (!this.#ended) this.#controller.enqueue(bytes);
  }

  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd();
    this.#controller.close();
  }

  /** Bytes enqueued and not yet taken by the HTTP server (the queue's high-water mark is 0). */
  get bufferedAmount(): number {
    return Math.max(0, -(this.#controller.desiredSize ?? 0));
  }

  /** The reader went away. */
  cancelled(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd();
  }
}

/**
 * Creates the SSE endpoint of a hub.
 *
 * @param deps The hub's admission, sessions, limits and flush queue.
 * @param options `retry:` and the query parameter of the last event id.
 * @returns The request handler, and `close` to stop the heartbeat.
 */
export function createSseEndpoint(
  deps: ShellDeps,
  options: SseOptions = {},
): { handle(req: Request, info?: ConnInfo): Promise<Response>; readonly streams: number } {
  const retryMs = options.retryMs ?? 2000;
  if (!Number.isSafeInteger(retryMs) || retryMs < 0) {
    throw new RangeError(
      `Cannot create the SSE door as 'retryMs' is ${retryMs}: a non-negative integer is required`,
    );
  }
  const idParam = options.lastEventIdParam ?? "lastEventId";
  const host: SseDoorHost = {
    limits: deps.limits,
    flushQueue: deps.flushQueue,
    retryMs,
    shared: deps.shared,
  };
  const { limits, clock } = deps;
  // Most topics one stream follows: its subscribe requests all arrive at once.
  const maxTopics = Math.max(1, Math.min(limits.maxSubscriptions, limits.messageBurst));
  const open = new Set<SseDoor>();
  let timer: unknown;

  function beat(): void {
    timer = undefined;
    for (const door of open) door.heartbeat();
    if (open.size > 0) timer = clock.setTimer(beat, limits.heartbeatMs);
  }

  /** Open streams by connection id, for the requests clients post to them. */
  const byId = new Map<string, { session: ShellSession; user: string }>();

  async function handle(req: Request, info?: ConnInfo): Promise<Response> {
    if (req.method === "POST") return await post(req, info);
    if (req.method !== "GET") {
      return errorResponse(405, "BAD_REQUEST", "Use GET to open an event stream", {
        allow: "GET, POST",
      });
    }
    const url = new URL(req.url);
    const topics = [...new Set(url.searchParams.getAll("topic"))].sort();
    if (topics.length > maxTopics) {
      return errorResponse(
        400,
        "BAD_REQUEST",
        `Cannot follow ${topics.length} topics on one stream: at most ${maxTopics} are allowed`,
      );
    }
    const admission = await deps.admit(req, info, "sse");
    if (!admission.ok) return admission.response;
    if (admission.principal === undefined) {
      return errorResponse(401, "AUTH_FAILED", "Missing token", {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    const lastId = req.headers.get("last-event-id") ?? url.searchParams.get(idParam);
    let resume: SseResume = { positions: undefined };
    if (lastId !== null && lastId !== "") {
      const reading = parseEventId(lastId, topics);
      resume = reading.ok
        ? { positions: reading.positions }
        : { positions: undefined, unusable: reading.reason };
    }
    const door = new SseDoor(topics, resume, host);
    const session = deps.open(door, admission.peer);
    door.bind(session);
    // Made before the start: a stream is open once welcomed and every one of them answered.
    const requests = door.requests();
    session.start(admission.principal);
    // A client that leaves meanwhile is found out at the first write, which cancels the body.
    for (const request of requests) session.receive(request);
    const settled = await door.opened;
    const opening = settled.ok ? door.refusal ?? settled : settled;
    if (!opening.ok) {
      session.close(1000, "Refused");
      return errorResponse(HTTP_STATUS[opening.code], opening.code, opening.message);
    }
    let socket: StreamSocket;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        socket = new StreamSocket(controller, () => {
          open.delete(door);
          byId.delete(session.id);
          if (open.size === 0 && timer !== undefined) {
            clock.clearTimer(timer);
            timer = undefined;
          }
        });
      },
      cancel() {
        socket.cancelled();
        session.closed();
      },
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength });
    open.add(door);
    byId.set(session.id, { session, user: admission.principal.sub });
    if (timer === undefined) timer = clock.setTimer(beat, limits.heartbeatMs);
    door.start(socket!);
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // nginx buffers responses unless told not to.
        "x-accel-buffering": "no",
      },
    });
  }

  /**
   * `POST <mount>/<connectionId>`: protocol v1 requests (one per line) for
   * an open stream, from its own user; their answers come on the stream.
   */
  async function post(req: Request, info?: ConnInfo): Promise<Response> {
    const id = new URL(req.url).pathname.split("/").pop() ?? "";
    const admission = await deps.admit(req, info, "http");
    if (!admission.ok) {
      await req.body?.cancel().catch(() => {});
      return admission.response;
    }
    const stream = byId.get(id);
    // Another user's stream is answered as one that does not exist.
    if (stream === undefined || stream.user !== admission.principal?.sub) {
      await req.body?.cancel().catch(() => {});
      return errorResponse(404, "BAD_REQUEST", "No such stream: open one with GET first");
    }
    const body = await readBodyText(req, limits.maxFrameBytes * MAX_FRAMES_PER_POST);
    if (body === undefined) {
      return errorResponse(
        413,
        "TOO_LARGE",
        `Body is larger than ${limits.maxFrameBytes * MAX_FRAMES_PER_POST} bytes`,
      );
    }
    if (body === null) return errorResponse(400, "BAD_REQUEST", "Body is not valid UTF-8");
    // The session bounds, parses and rate-limits each one as a WebSocket frame.
    for (const line of body.split("\n")) if (line !== "") stream.session.receive(line);
    return new Response(null, { status: 202 });
  }

  return {
    handle,
    get streams() {
      return open.size;
    },
  };
}
