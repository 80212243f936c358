/**
 * The HTTP shell of HTTP publish: `POST /publish` with a bearer token and
 * a JSON body `{topic, payload}` is admitted as a WebSocket upgrade is,
 * then becomes one `publish` request of a session that lives for the
 * request, so the ACL, signed topics, the application's publish handler or
 * proxy and the engine's bounds are the session's, as for protocol v1. Its
 * requests are rate-limited per user with the per-connection message rate.
 *
 * @module
 */

import { HTTP_STATUS } from "../protocol/codes.ts";
import { HttpPublishDoor, readPublishBody } from "./codec/http_publish.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { createTokenBucket, type TokenBucket } from "./token_bucket.ts";
import type { ConnInfo } from "./transport.ts";
import type { ShellDeps } from "./sse_endpoint.ts";
import { errorResponse, readBodyText } from "./http_body.ts";

/** Buckets kept before the full ones are forgotten. */
const MAX_BUCKETS = 10_000;

/**
 * Creates the HTTP publish endpoint of a hub.
 *
 * @param deps The hub's admission, sessions and limits.
 * @param metrics Where refusals are counted.
 * @returns The request handler.
 */
export function createPublishEndpoint(
  deps: ShellDeps & { readonly limits: { readonly messageRate: number } },
  metrics: HubMetrics,
): (req: Request, info?: ConnInfo) => Promise<Response> {
  const { limits, clock } = deps;
  const buckets = new Map<string, TokenBucket>();

  /** Milliseconds before `user` may publish again; 0 when now. */
  function take(user: string): number {
    const now = clock.now();
    let bucket = buckets.get(user);
    if (bucket === undefined) {
      if (buckets.size >= MAX_BUCKETS) {
        for (const [key, b] of buckets) if (b.isFull(now)) buckets.delete(key);
      }
      bucket = createTokenBucket(limits.messageRate, limits.messageBurst, now);
      buckets.set(user, bucket);
    }
    return bucket.take(now) ? 0 : bucket.retryAfterMs(now);
  }

  return async function publish(req: Request, info?: ConnInfo): Promise<Response> {
    if (req.method !== "POST") {
      return errorResponse(405, "BAD_REQUEST", "Use POST to publish", { allow: "POST" });
    }
    const type = req.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      await req.body?.cancel().catch(() => {});
      return errorResponse(415, "BAD_REQUEST", "Send the body as application/json");
    }
    const admission = await deps.admit(req, info, "http");
    if (!admission.ok) {
      await req.body?.cancel().catch(() => {});
      return admission.response;
    }
    const principal = admission.principal;
    if (principal === undefined) {
      await req.body?.cancel().catch(() => {});
      return errorResponse(401, "AUTH_FAILED", "Missing token", {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    const body = await readBodyText(req, limits.maxFrameBytes);
    if (body === null) return errorResponse(400, "BAD_REQUEST", "Body is not valid UTF-8");
    if (body === undefined) {
      increment(metrics.rateLimitHits, "frame_bytes");
      return errorResponse(
        413,
        "TOO_LARGE",
        `Body is larger than ${limits.maxFrameBytes} bytes`,
      );
    }
    const read = readPublishBody(body, limits);
    if (!read.ok) return errorResponse(HTTP_STATUS[read.code], read.code, read.message);
    const waitMs = take(principal.sub);
    if (waitMs > 0) {
      increment(metrics.rateLimitHits, "message_rate");
      return errorResponse(429, "RATE_LIMITED", "Too many publications: slow down", {
        "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
      });
    }
    const door = new HttpPublishDoor(limits);
    const session = deps.open(door, admission.peer);
    session.start(principal);
    session.receive(read.frame);
    const answer = await door.answer;
    session.close(1000, "Done");
    if (!answer.ok) {
      const headers: Record<string, string> = HTTP_STATUS[answer.code] === 429
        ? { "retry-after": "1" }
        : {};
      return errorResponse(HTTP_STATUS[answer.code], answer.code, answer.message, headers);
    }
    const position = answer.position;
    return Response.json(
      position === undefined ? {} : { offset: position.offset, epoch: position.epoch },
    );
  };
}
