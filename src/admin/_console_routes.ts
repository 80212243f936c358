// The read-only and dry-run admin routes behind the operator's console:
// listings, the rules in force, lint before replace, explain, and the live
// stream. Each checks its input, then makes one call.

import { lintAcl } from "../acl/lint.ts";
import { createKeyRing, redactRules, secretKeysProblem } from "../acl/key_references.ts";
import { ACL_ACTIONS, type AclAction, type AclRule } from "../acl/rules.ts";
import {
  type ConnectionInfo,
  type ConnectionPage,
  type ListQuery,
  MAX_LIST_LIMIT,
} from "../hub/inspect.ts";
import { clusterSummary } from "./_cluster_fields.ts";
import { AdminInputError, kind, readJsonObject, requireField } from "./_request.ts";
import type { Route, RouteInput } from "./_routes.ts";

/** Longest topic or pattern `acl/explain` takes; the hub's own limit applies after. */
const MAX_TARGET_LENGTH = 1024;

/** Longest `search` a listing takes, as the hub's listings. */
const MAX_SEARCH_LENGTH = 256;

/** A listing's query, checked here: what the hub would refuse is a 400 with a clear message. */
function query(input: RouteInput): ListQuery {
  const params = new URL(input.req.url).searchParams;
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = params.get(name);
    if (raw === null) return undefined;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new AdminInputError(
        400,
        `Invalid '${name}': expected a whole number from ${min} to ${max}, got '${
          raw.slice(0, 20)
        }'`,
      );
    }
    return Number(raw);
  };
  const search = params.get("search") ?? undefined;
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) {
    throw new AdminInputError(
      400,
      `Invalid 'search': it has ${search.length} characters, at most ${MAX_SEARCH_LENGTH} are allowed`,
    );
  }
  const offset = number("offset", 0, 999_999_999);
  const limit = number("limit", 1, MAX_LIST_LIMIT);
  return {
    ...(search === undefined ? {} : { search }),
    ...(offset === undefined ? {} : { offset }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/**
 * One page of several hubs' connections, oldest first, each row naming its
 * hub (`node`): every hub answered its first `offset + limit` rows.
 */
function mergePages(
  pages: Readonly<Record<string, ConnectionPage>>,
  q: ListQuery,
): ConnectionPage & { connections: (ConnectionInfo & { node: string })[] } {
  const rows: (ConnectionInfo & { node: string })[] = [];
  let total = 0;
  let matched = 0;
  for (const [node, page] of Object.entries(pages)) {
    total += page.total;
    matched += page.matched;
    for (const row of page.connections) rows.push({ ...row, node });
  }
  rows.sort((a, b) => a.since - b.since || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const offset = q.offset ?? 0;
  return { total, matched, connections: rows.slice(offset, offset + (q.limit ?? 100)) };
}

export function rulesArray(value: unknown): AclRule[] {
  if (!Array.isArray(value)) {
    throw new AdminInputError(400, `Invalid 'rules': expected an array, got ${kind(value)}`);
  }
  // Keys stay off HTTP: a secret is refused, not echoed; a key is named by fingerprint.
  const problem = secretKeysProblem(value);
  if (problem !== undefined) throw new AdminInputError(400, problem);
  return value as AclRule[];
}

/** Rules whose key references name the keys in force (for a dry run; the hub resolves its own). */
async function keysInForce(input: RouteInput, rules: AclRule[]): Promise<AclRule[]> {
  const ring = createKeyRing();
  await ring.remember(input.hub.rules);
  try {
    return await ring.resolve(rules);
  } catch (error) {
    if (error instanceof TypeError) throw new AdminInputError(400, error.message);
    throw error;
  }
}

const body = (input: RouteInput) => readJsonObject(input.req, input.hub.limits.maxDepth);

export const CONSOLE_ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: ["connections"],
    action: "connections",
    async run(input) {
      const q = query(input);
      const searched = q.search ? { searched: true } : {};
      const node = new URL(input.req.url).searchParams.get("node");
      if (node === null) {
        // This hub's connections, as before, labelled as this hub's.
        const page = input.hub.listConnections(q);
        return {
          body: { ...page, scope: "local", self: input.hub.nodeId },
          audit: { matched: page.matched, ...searched },
        };
      }
      if (node === "" || node.length > 128) {
        throw new AdminInputError(400, "Invalid 'node': expected 'all' or a node id");
      }
      const answer = await input.hub.cluster.listConnections(
        q,
        node === "all" ? undefined : node,
      );
      if (node !== "all" && answer.scope === "cluster" && answer.error !== undefined) {
        throw new AdminInputError(404, answer.error);
      }
      const page = mergePages(answer.nodes, q);
      return {
        body: { ...page, ...clusterSummary(answer) },
        audit: { matched: page.matched, node, scope: answer.scope, ...searched },
      };
    },
  },
  {
    method: "GET",
    path: ["topics"],
    action: "topics",
    run(input) {
      const q = query(input);
      const page = input.hub.listTopics(q);
      return Promise.resolve({ body: page, audit: { matched: page.matched } });
    },
  },
  {
    method: "GET",
    path: ["rules"],
    action: "rules",
    async run(input) {
      // Secret signing keys are answered by fingerprint, never as keys.
      const rules = await redactRules(input.hub.rules);
      return { body: { rules }, audit: { rules: rules.length } };
    },
  },
  {
    method: "POST",
    path: ["rules", "check"],
    action: "rules_check",
    async run(input) {
      const b = await body(input);
      const rules = await keysInForce(input, rulesArray(requireField(b, "rules")));
      let claims: string[] | undefined;
      if (b.claims !== undefined) {
        if (
          !Array.isArray(b.claims) || b.claims.length > 256 ||
          b.claims.some((c) => typeof c !== "string" || c.length === 0 || c.length > 256)
        ) {
          throw new AdminInputError(
            400,
            "Invalid 'claims': expected up to 256 claim names of 1 to 256 characters",
          );
        }
        claims = b.claims as string[];
      }
      const issues = lintAcl({ rules }, claims === undefined ? {} : { claims });
      const errors = issues.filter((i) => i.severity === "error").length;
      return {
        body: { rules: rules.length, errors, warnings: issues.length - errors, issues },
        audit: { rules: rules.length, errors },
      };
    },
  },
  {
    method: "POST",
    path: ["acl", "explain"],
    action: "acl_explain",
    async run(input) {
      const b = await body(input);
      const claims = requireField(b, "claims");
      if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
        throw new AdminInputError(400, `Invalid 'claims': expected an object, got ${kind(claims)}`);
      }
      const action = requireField(b, "action");
      if (!ACL_ACTIONS.includes(action as AclAction)) {
        throw new AdminInputError(
          400,
          `Invalid 'action': expected one of ${ACL_ACTIONS.join(", ")}, got ${kind(action)}`,
        );
      }
      const topic = requireField(b, "topic");
      if (typeof topic !== "string" || topic.length === 0 || topic.length > MAX_TARGET_LENGTH) {
        throw new AdminInputError(
          400,
          `Invalid 'topic': expected a string of 1 to ${MAX_TARGET_LENGTH} characters, got ${
            kind(topic)
          }`,
        );
      }
      const decision = input.hub.explain(
        claims as Record<string, unknown>,
        action as AclAction,
        topic,
      );
      const sub = (claims as Record<string, unknown>).sub;
      return {
        body: { ...decision, action, topic },
        audit: {
          action,
          topic,
          ...(typeof sub === "string" ? { user: sub } : {}),
          allowed: decision.allowed,
        },
      };
    },
  },
  {
    method: "GET",
    path: ["stream"],
    action: "stream",
    run(input) {
      if (input.feed === undefined) throw new AdminInputError(404, "No such admin route");
      // Re-checked before every snapshot: an expired or revoked admin JWT
      // (or a rotated key) stops seeing data within a second.
      const stream = input.feed.open({
        stillAllowed: input.stillAllowed,
        onRefused: () => input.audit?.("admin.stream_ended", { reason: "credential_refused" }),
      });
      if (stream === undefined) {
        throw new AdminInputError(
          503,
          "Too many console viewers: close another console and retry",
          { "retry-after": "5" },
        );
      }
      return Promise.resolve({
        body: null,
        response: new Response(stream, {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
          },
        }),
        audit: { viewers: input.feed.viewers },
      });
    },
  },
];
