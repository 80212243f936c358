/**
 * The HTTP publish door: `POST /publish` with a JSON body `{topic, payload}`
 * (and `jws` for a signed publication, `idempotencyKey` to make a retry
 * safe) is one protocol v1 `publish`
 * request of a session that lives for that request; its one answer is the
 * HTTP response (`docs/protocol.md`, "HTTP publish").
 *
 * @module
 */

import type { ErrorCode } from "../../protocol/codes.ts";
import type { RequestId, ServerFrame, TopicPosition } from "../../protocol/frames.ts";
import { type FrameLimits, parseClientFrame, type ParseResult } from "../../protocol/parse.ts";
import type { Door } from "./door.ts";
import type { Outgoing } from "./outgoing.ts";
import { messageBytes } from "./utf8.ts";

/** The id the body's request carries in its session. */
const ID = "http";

/** The fields a body may have. */
const FIELDS = new Set(["topic", "payload", "jws", "idempotencyKey"]);

/**
 * Reads a publish body into the protocol v1 `publish` frame it stands for,
 * checked by the same parser (topic, size, depth) as a WebSocket client's
 * frame. Never throws.
 *
 * @param body The body's text.
 * @param limits The hub's frame bounds.
 * @returns The frame's text, or the error to answer with.
 *
 * @example Read a body
 * ```ts
 * import { readPublishBody } from "./http_publish.ts";
 * import assert from "node:assert/strict";
 *
 * const limits = { maxFrameBytes: 65536, maxDepth: 32 };
 * assert.equal(readPublishBody('{"topic":"chat:a","payload":1}', limits).ok, true);
 * assert.equal(readPublishBody('{"topic":"chat:a"}', limits).ok, false);
 * ```
 */
export function readPublishBody(
  body: string,
  limits: FrameLimits,
): { ok: true; frame: string } | { ok: false; code: ErrorCode; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, code: "BAD_REQUEST", message: "Body is not valid JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, code: "BAD_REQUEST", message: "Body must be a JSON object" };
  }
  for (const key of Object.keys(raw)) {
    if (!FIELDS.has(key)) {
      return {
        ok: false,
        code: "BAD_REQUEST",
        message: `Body has unknown field '${
          key.slice(0, 32)
        }': expected topic, payload, jws and idempotencyKey`,
      };
    }
  }
  if (!("payload" in raw)) {
    return { ok: false, code: "BAD_REQUEST", message: "Body has no 'payload': send null for none" };
  }
  // The same parser as a WebSocket frame: one set of rules for every door.
  const frame = JSON.stringify({ type: "publish", id: ID, ...raw });
  const parsed = parseClientFrame(frame, {
    // The body's own size was bounded by the shell; the few added bytes are the door's.
    maxFrameBytes: limits.maxFrameBytes + 64,
    maxDepth: limits.maxDepth,
  });
  if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message };
  return { ok: true, frame };
}

/** The one answer of an HTTP publish. */
export type PublishAnswer =
  | { readonly ok: true; readonly position: TopicPosition | undefined }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** The door of one HTTP publish: it decodes the body's frame and keeps the answer. */
export class HttpPublishDoor implements Door {
  #limits: FrameLimits;
  #settle: (answer: PublishAnswer) => void;
  #done = false;
  /** Settles with the publish's answer, or the refusal of the session. */
  readonly answer: Promise<PublishAnswer>;

  /** @param limits The hub's frame bounds. */
  constructor(limits: FrameLimits) {
    this.#limits = limits;
    const { promise, resolve } = Promise.withResolvers<PublishAnswer>();
    this.answer = promise;
    this.#settle = (answer) => {
      if (this.#done) return;
      this.#done = true;
      resolve(answer);
    };
  }

  decode(data: unknown): ParseResult {
    return parseClientFrame(data, {
      ...this.#limits,
      maxFrameBytes: this.#limits.maxFrameBytes + 64,
    });
  }

  bytes(data: unknown): number {
    return messageBytes(data);
  }

  reply(frame: ServerFrame): void {
    if (frame.type === "error") this.error(frame.code, frame.message, frame.id);
  }

  ack(id: RequestId | undefined): void {
    if (id === ID) this.#settle({ ok: true, position: undefined });
  }

  published(id: RequestId, position: TopicPosition | undefined): void {
    if (id === ID) this.#settle({ ok: true, position });
  }

  error(code: ErrorCode, message: string, _id?: RequestId): void {
    // Its only request, or the session refused (the connect handler): either is the answer.
    this.#settle({ ok: false, code, message });
  }

  publication(_publication: Outgoing): void {
    // It subscribes to nothing; a subscription the connect handler made is not delivered.
  }

  close(code: number, reason: string): void {
    this.#settle({
      ok: false,
      code: code === 4001
        ? "AUTH_FAILED"
        : code === 4003
        ? "FORBIDDEN"
        : code === 4008
        ? "RATE_LIMITED"
        : "INTERNAL",
      message: reason,
    });
  }

  discard(): void {
    this.#settle({ ok: false, code: "INTERNAL", message: "The session ended" });
  }

  get queuedBytes(): number {
    return 0;
  }
}
