/**
 * The request table of protocol v1: one entry per request a client may send,
 * naming its fields (a parser that checks them and builds the typed
 * request), whether it needs an authenticated session, and the ACL action it
 * is checked under. The frame parser reads it to decode a request; the
 * session reads it for its authentication gate and pairs each entry with a
 * handler of the same name (a mapped type, so a request without a handler
 * does not compile). A new request is an entry here, its frame type in
 * `frames.ts` and its handler: no switch to edit.
 *
 * @module
 */

import { isConcreteTopic } from "../topic/concrete.ts";
import { validatePattern, validateTopic } from "../topic/topic.ts";
import type { ClientFrame, HistoryFrame, PublishFrame, RequestId } from "./frames.ts";
import { idempotencyKeyProblem } from "./idempotency_key.ts";
import {
  bad,
  concreteTopicProblem,
  describe,
  JWS_RE,
  MAX_HISTORY_LIMIT,
  ok,
  type ParseResult,
  parseSince,
  truncate,
} from "./_fields.ts";

/** A request's name: the `type` of its frame. */
export type RequestType = ClientFrame["type"];

/** The ACL action a request is checked under (`AclAction` of `src/acl/`). */
export type RequestAction = "subscribe" | "publish" | "presence" | "history";

/** One entry of the request table. */
export interface RequestSpec {
  /**
   * Checks a decoded frame's fields (its `type` and `id` already checked)
   * and builds the typed request, or says what is wrong.
   */
  parse(raw: Record<string, unknown>, id: RequestId | undefined): ParseResult;
  /** Whether the request needs an authenticated session (`auth` and `ping` do not). */
  readonly authenticated: boolean;
  /** The ACL action it is checked under, if any. */
  readonly action: RequestAction | undefined;
}

/** A request that names a topic or pattern (`subscribe`, `unsubscribe`). */
function topicOrPattern(type: "subscribe" | "unsubscribe") {
  return (raw: Record<string, unknown>, id: RequestId | undefined): ParseResult => {
    const topic = raw.topic;
    if (typeof topic !== "string") return bad(`'${type}' needs a string 'topic'`, id);
    const problem = validatePattern(topic);
    if (problem !== undefined) return bad(problem, id);
    // Frames are built with literals, `id` only when present: this runs once
    // per received frame.
    if (type === "unsubscribe" || (raw.since === undefined && raw.presence === undefined)) {
      return ok(id === undefined ? { type, topic } : { type, id, topic });
    }
    return parseSubscribeExtras(raw, topic, id);
  };
}

/** A read of a concrete topic (`presence`, `presence_stats`). */
function concrete(type: "presence" | "presence_stats") {
  return (raw: Record<string, unknown>, id: RequestId | undefined): ParseResult => {
    const topic = raw.topic;
    if (typeof topic !== "string") return bad(`'${type}' needs a string 'topic'`, id);
    const problem = concreteTopicProblem(type, topic);
    if (problem !== undefined) return bad(problem, id);
    return ok(id === undefined ? { type, topic } : { type, id, topic });
  };
}

/** Every request a protocol v1 client may send. */
export const REQUESTS: { readonly [K in RequestType]: RequestSpec } = {
  auth: {
    authenticated: false,
    action: undefined,
    parse(raw, id) {
      const token = raw.token;
      if (typeof token !== "string" || token.length === 0) {
        return bad("'auth' needs a non-empty string 'token'", id);
      }
      return ok(id === undefined ? { type: "auth", token } : { type: "auth", id, token });
    },
  },
  ping: {
    authenticated: false,
    action: undefined,
    parse: (_raw, id) => ok(id === undefined ? { type: "ping" } : { type: "ping", id }),
  },
  subscribe: { authenticated: true, action: "subscribe", parse: topicOrPattern("subscribe") },
  unsubscribe: { authenticated: true, action: undefined, parse: topicOrPattern("unsubscribe") },
  publish: { authenticated: true, action: "publish", parse: parsePublish },
  history: {
    authenticated: true,
    action: "history",
    parse(raw, id) {
      const topic = raw.topic;
      if (typeof topic !== "string") return bad("'history' needs a string 'topic'", id);
      const problem = concreteTopicProblem("history", topic);
      if (problem !== undefined) return bad(problem, id);
      return parseHistory(raw, topic, id);
    },
  },
  presence: { authenticated: true, action: "presence", parse: concrete("presence") },
  presence_stats: { authenticated: true, action: "presence", parse: concrete("presence_stats") },
  rpc: {
    authenticated: true,
    action: undefined,
    parse(raw, id) {
      const method = raw.method;
      if (typeof method !== "string" || !RPC_METHOD.test(method)) {
        return bad(
          `'rpc' needs 'method' to be 1 to 128 of letters, digits and '_.:/-', got ${
            typeof method === "string" ? `'${truncate(method)}'` : describe(method)
          }`,
          id,
        );
      }
      const data = raw.data === undefined ? null : raw.data;
      return ok(
        id === undefined ? { type: "rpc", method, data } : { type: "rpc", id, method, data },
      );
    },
  },
};

/** What an RPC method name may be. */
const RPC_METHOD = /^[A-Za-z0-9_.:/-]{1,128}$/;

/**
 * The table's entry for a frame's `type`, or `undefined` for an unknown one
 * (an own property only: `toString` is no request).
 *
 * @param type A frame's `type`.
 * @returns Its entry.
 */
export function requestOf(type: string): RequestSpec | undefined {
  return Object.hasOwn(REQUESTS, type) ? REQUESTS[type as RequestType] : undefined;
}

function parsePublish(raw: Record<string, unknown>, id: RequestId | undefined): ParseResult {
  const parsed = parsePublishFields(raw, id);
  const key = raw.idempotencyKey;
  if (key === undefined || !parsed.ok) return parsed;
  const problem = idempotencyKeyProblem(key);
  if (problem !== undefined) return bad(`'publish' field ${problem}`, id);
  (parsed.frame as PublishFrame).idempotencyKey = key as string;
  return parsed;
}

function parsePublishFields(
  raw: Record<string, unknown>,
  id: RequestId | undefined,
): ParseResult {
  const type = "publish";
  const topic = raw.topic;
  if (typeof topic !== "string") return bad("'publish' needs a string 'topic'", id);
  // Checked for every publish frame: the loop first, the regex's message only for a bad topic.
  const problem = isConcreteTopic(topic) ? undefined : validateTopic(topic);
  if (problem !== undefined) return bad(problem, id);
  const jws = raw.jws;
  if (jws !== undefined) {
    if (raw.payload !== undefined) {
      return bad(
        "'publish' takes 'payload' or 'jws', not both: the payload is inside the JWS",
        id,
      );
    }
    if (typeof jws !== "string" || !JWS_RE.test(jws)) {
      return bad(
        "'publish' needs 'jws' to be a compact JWS: base64url parts joined by '.'",
        id,
      );
    }
    const payload = null;
    return ok(
      id === undefined ? { type, topic, payload, jws } : { type, id, topic, payload, jws },
    );
  }
  const payload = raw.payload === undefined ? null : raw.payload;
  return ok(id === undefined ? { type, topic, payload } : { type, id, topic, payload });
}

/** A subscribe with `since` and/or `presence`, both for concrete topics only. */
function parseSubscribeExtras(
  raw: Record<string, unknown>,
  topic: string,
  id: RequestId | undefined,
): ParseResult {
  const frame: ClientFrame = id === undefined
    ? { type: "subscribe", topic }
    : { type: "subscribe", id, topic };
  if (raw.since !== undefined) {
    if (validateTopic(topic) !== undefined) {
      return bad(
        `Cannot recover '${topic}' with 'since': recovery needs a concrete topic, not a pattern`,
        id,
      );
    }
    const since = parseSince(raw.since, "subscribe");
    if (typeof since === "string") return bad(since, id);
    frame.since = since;
  }
  if (raw.presence !== undefined) {
    if (typeof raw.presence !== "boolean") {
      return bad(
        `'subscribe' field 'presence' must be a boolean, got ${describe(raw.presence)}`,
        id,
      );
    }
    if (raw.presence && validateTopic(topic) !== undefined) {
      return bad(
        `Cannot follow presence of '${topic}': presence needs a concrete topic, not a pattern`,
        id,
      );
    }
    if (raw.presence) frame.presence = true;
  }
  return ok(frame);
}

function parseHistory(
  raw: Record<string, unknown>,
  topic: string,
  id: RequestId | undefined,
): ParseResult {
  const frame: HistoryFrame = id === undefined
    ? { type: "history", topic }
    : { type: "history", id, topic };
  if (raw.since !== undefined) {
    const since = parseSince(raw.since, "history");
    if (typeof since === "string") return bad(since, id);
    frame.since = since;
  }
  const limit = raw.limit;
  if (limit !== undefined) {
    if (
      typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 ||
      limit > MAX_HISTORY_LIMIT
    ) {
      return bad(
        `'history' field 'limit' must be an integer from 0 to ${MAX_HISTORY_LIMIT}, got ${
          typeof limit === "number" ? limit : describe(limit)
        }`,
        id,
      );
    }
    frame.limit = limit;
  }
  const reverse = raw.reverse;
  if (reverse !== undefined) {
    if (typeof reverse !== "boolean") {
      return bad(`'history' field 'reverse' must be a boolean, got ${describe(reverse)}`, id);
    }
    if (reverse) frame.reverse = true;
  }
  return ok(frame);
}
