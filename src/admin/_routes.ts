// The admin routes: each checks its input, then makes one Hub call.

import { RulesError } from "../acl/rules_error.ts";
import { validatePattern, validateTopic } from "../topic/topic.ts";
import type { BroadcastInput, Hub, HubStats } from "../hub/hub.ts";
import { clusterFields, total } from "./_cluster_fields.ts";
import { EngineError } from "../engine/errors.ts";
import { historyPublication } from "../hub/history_publication.ts";
import { CONSOLE_ROUTES, rulesArray } from "./_console_routes.ts";
import type { ConsoleFeed } from "./console/feed.ts";
import type { PublicationSigner } from "../signing/sign.ts";
import { idempotencyKeyProblem } from "../protocol/idempotency_key.ts";
import type { StreamPosition } from "../engine/engine.ts";
import {
  AdminInputError,
  checkEvent,
  checkUser,
  decodeSegment,
  kind,
  readJsonObject,
  requireField,
} from "./_request.ts";

/** Most users one broadcast may name. */
const MAX_BROADCAST_USERS = 10_000;

export interface RouteInput {
  readonly hub: Hub;
  readonly req: Request;
  readonly params: Readonly<Record<string, string>>;
  /** The configured publication signers, by key id. */
  readonly signers?: ReadonlyMap<string, PublicationSigner>;
  /** The console's live feed, when the console is served. */
  readonly feed?: ConsoleFeed;
  /** Whether the request's credential is still accepted (for long-lived responses). */
  readonly stillAllowed?: () => Promise<boolean>;
  /** Ends a user's sign-in sessions (the accounts'), when configured. */
  readonly endSessions?: (user: string) => Promise<number>;
  /** Writes an audit entry for this request's actor. */
  readonly audit?: (event: string, fields: Record<string, unknown>) => void;
}

export interface RouteResult {
  /** The JSON response body. */
  body: unknown;
  /** Audit fields beyond event, actor and via. */
  audit: Record<string, unknown>;
  /** A response to send instead of `body` as JSON (a stream). */
  response?: Response;
}

export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path segments after the prefix; `:name` is a parameter. */
  readonly path: readonly string[];
  /** The audit event is `admin.<action>`. */
  readonly action: string;
  run(input: RouteInput): Promise<RouteResult>;
}

/**
 * An engine failure to carry an operator action to the other hubs, as a 503
 * saying what did happen; any other error unchanged.
 */
function notCarried(error: unknown, done: string): unknown {
  if (!(error instanceof EngineError)) return error;
  return new AdminInputError(
    503,
    `${done}: the engine could not carry it to the other hubs (${error.code}); retry once the engine is back`,
    { "retry-after": "1" },
  );
}

const body = (input: RouteInput) => readJsonObject(input.req, input.hub.limits.maxDepth);

function optionalEvent(value: unknown): string | undefined {
  return value === undefined ? undefined : checkEvent(value);
}

function checkConcreteTopic(value: unknown): string {
  if (typeof value !== "string") {
    throw new AdminInputError(400, `Invalid 'topic': expected a string, got ${kind(value)}`);
  }
  const problem = validateTopic(value);
  if (problem !== undefined) throw new AdminInputError(400, problem);
  return value;
}

/** A query parameter that must be an integer from `min` to `max`; `fallback` when absent. */
function integerParam(value: string | null, name: string, fallback: number, max: number): number {
  if (value === null) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max) {
    throw new AdminInputError(
      400,
      `Invalid '${name}': expected an integer from 0 to ${max}, got '${value.slice(0, 20)}'`,
    );
  }
  return n;
}

function checkUsers(value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new AdminInputError(400, `Invalid 'users': expected an array, got ${kind(value)}`);
  }
  if (value.length > MAX_BROADCAST_USERS) {
    throw new AdminInputError(
      400,
      `Invalid 'users': it has ${value.length} entries, at most ${MAX_BROADCAST_USERS} are allowed`,
    );
  }
  return value.map((user, i) => checkUser(user, `users[${i}]`));
}

/** The signer a broadcast names by key id: never a key in the request. */
function checkSigner(
  input: RouteInput,
  value: unknown,
  topic: string | undefined,
): { id: string; signer: PublicationSigner } {
  if (typeof value !== "string") {
    throw new AdminInputError(
      400,
      `Invalid 'sign': expected the id of a configured signing key, got ${kind(value)}`,
    );
  }
  if (topic === undefined) {
    throw new AdminInputError(400, "Invalid 'sign': only a broadcast with a 'topic' is signed");
  }
  const signer = input.signers?.get(value);
  if (signer === undefined) {
    // The value is not echoed: a caller who sent a key here must not see it logged or returned.
    throw new AdminInputError(
      400,
      "Invalid 'sign': no signing key of that id is configured: name a key id, never send a key",
    );
  }
  return { id: value, signer };
}

/**
 * A broadcast's idempotency key: checked by the protocol v1 frame's rule,
 * and only for a publication to a topic alone, since a direct send to
 * `users` is not remembered and a retry would reach them twice.
 */
function checkIdempotencyKey(
  value: unknown,
  topic: string | undefined,
  users: string[] | undefined,
): string {
  const problem = idempotencyKeyProblem(value);
  if (problem !== undefined) throw new AdminInputError(400, `Invalid broadcast: ${problem}`);
  if (topic === undefined || users !== undefined) {
    throw new AdminInputError(
      400,
      "Invalid 'idempotencyKey': only a broadcast to a 'topic' without 'users' is deduplicated",
    );
  }
  return value as string;
}

/** A publication's position as the admin API answers it: none without history. */
function positionFields(position: StreamPosition | undefined): Record<string, unknown> {
  return position === undefined ? {} : { offset: position.offset, epoch: position.epoch };
}

export const ROUTES: readonly Route[] = [
  {
    method: "POST",
    path: ["broadcast"],
    action: "broadcast",
    async run(input) {
      const b = await body(input);
      const payload = requireField(b, "payload");
      const event = optionalEvent(b.event);
      const topic = b.topic === undefined ? undefined : checkConcreteTopic(b.topic);
      const users = b.users === undefined ? undefined : checkUsers(b.users);
      const sign = b.sign === undefined ? undefined : checkSigner(input, b.sign, topic);
      const idempotencyKey = b.idempotencyKey === undefined
        ? undefined
        : checkIdempotencyKey(b.idempotencyKey, topic, users);
      if (topic !== undefined && users === undefined) {
        // To a topic, its publication reaches subscribers on every hub (not
        // counted). The server publishes it: its idempotency keys share one
        // scope per topic with every admin caller and `hub.publish` without
        // `from`, and never match a user's.
        const position = await input.hub.publish(topic, payload, {
          event,
          sign: sign?.signer,
          idempotencyKey,
        });
        return {
          body: { reached: 0, ...positionFields(position) },
          audit: {
            topic,
            broadcastEvent: event,
            reached: 0,
            signedWith: sign?.id,
            idempotencyKey,
            offset: position?.offset,
          },
        };
      }
      const broadcast: BroadcastInput = { payload };
      if (sign !== undefined) broadcast.sign = sign.signer;
      if (event !== undefined) broadcast.event = event;
      if (topic !== undefined) broadcast.topic = topic;
      if (users !== undefined) {
        // Published first (when to a topic), then sent to the listed users:
        // every hub answers how many of their connections it reached.
        if (topic !== undefined) await input.hub.broadcast(broadcast);
        let answer;
        try {
          answer = await input.hub.cluster.sendToUsers(users, event, payload);
        } catch (error) {
          throw notCarried(error, "Sent to the users' connections on this hub only");
        }
        const reached = total(answer);
        return {
          body: { reached, ...clusterFields(answer) },
          audit: {
            topic,
            broadcastEvent: event,
            users: users.length,
            reached,
            scope: answer.scope,
            signedWith: sign?.id,
          },
        };
      }
      // To everyone: the connections reached are this hub's.
      const reached = await input.hub.broadcast(broadcast);
      return {
        body: { reached, scope: "local", self: input.hub.nodeId },
        audit: { broadcastEvent: event, reached },
      };
    },
  },
  {
    method: "POST",
    path: ["send", ":userId"],
    action: "send",
    async run(input) {
      const user = checkUser(input.params.userId, "userId");
      const b = await body(input);
      const event = checkEvent(requireField(b, "event"));
      const payload = requireField(b, "payload");
      let answer;
      try {
        answer = await input.hub.cluster.sendToUser(user, event, payload);
      } catch (error) {
        throw notCarried(error, `Sent to '${user}' on this hub only`);
      }
      const reached = total(answer);
      return {
        body: { user, reached, ...clusterFields(answer) },
        audit: { user, sentEvent: event, reached, scope: answer.scope },
      };
    },
  },
  {
    method: "GET",
    path: ["stats"],
    action: "stats",
    async run(input) {
      // This hub's counts as before, and every hub's summed under `cluster`.
      const answer = await input.hub.cluster.stats();
      const sum = (field: keyof HubStats) =>
        Object.values(answer.nodes).reduce((n, stats) => n + stats[field], 0);
      return {
        body: {
          ...input.hub.stats(),
          node: input.hub.nodeId,
          cluster: {
            connections: sum("connections"),
            users: sum("users"),
            topics: sum("topics"),
            subscriptions: sum("subscriptions"),
            messagesInPerSecond: sum("messagesInPerSecond"),
            messagesOutPerSecond: sum("messagesOutPerSecond"),
            ...clusterFields(answer),
          },
        },
        audit: { scope: answer.scope },
      };
    },
  },
  {
    method: "GET",
    path: ["nodes"],
    action: "nodes",
    async run(input) {
      const list = await input.hub.nodes();
      return { body: list, audit: { nodes: list.nodes.length, scope: list.scope } };
    },
  },
  {
    method: "GET",
    path: ["users", ":userId", "status"],
    action: "user_status",
    async run(input) {
      const user = checkUser(input.params.userId, "userId");
      const answer = await input.hub.cluster.userStatus(user);
      const statuses = Object.values(answer.nodes);
      const connections = statuses.reduce((n, s) => n + s.connections, 0);
      const since = statuses.reduce<number | null>(
        (min, s) => s.since === null ? min : min === null ? s.since : Math.min(min, s.since),
        null,
      );
      return {
        body: { user, connected: connections > 0, connections, since, ...clusterFields(answer) },
        audit: { user, scope: answer.scope },
      };
    },
  },
  {
    method: "DELETE",
    path: ["users", ":userId", "connections"],
    action: "disconnect",
    async run(input) {
      const user = checkUser(input.params.userId, "userId");
      let answer;
      try {
        answer = await input.hub.cluster.disconnectUser(user);
      } catch (error) {
        throw notCarried(error, `Disconnected '${user}' on this hub only`);
      }
      const disconnected = total(answer);
      return {
        body: { user, disconnected, ...clusterFields(answer) },
        audit: { user, connections: disconnected, scope: answer.scope },
      };
    },
  },
  {
    method: "DELETE",
    path: ["connections", ":connectionId"],
    action: "disconnect_connection",
    async run(input) {
      const connection = input.params.connectionId;
      if (connection.length > 256) {
        throw new AdminInputError(400, "Invalid 'connectionId': expected 1 to 256 characters");
      }
      let answer;
      try {
        answer = await input.hub.cluster.disconnectConnection(connection);
      } catch (error) {
        throw notCarried(error, "Looked for the connection on this hub only");
      }
      const disconnected = total(answer);
      return {
        body: { connection, disconnected, ...clusterFields(answer) },
        audit: { connection, connections: disconnected, scope: answer.scope },
      };
    },
  },
  {
    method: "GET",
    path: ["topics", ":topic"],
    action: "topic",
    async run(input) {
      const topic = input.params.topic;
      const problem = validatePattern(topic);
      if (problem !== undefined) throw new AdminInputError(400, problem);
      const answer = await input.hub.cluster.subscriberCount(topic);
      return {
        body: { topic, subscribers: total(answer), ...clusterFields(answer) },
        audit: { topic, scope: answer.scope },
      };
    },
  },
  {
    method: "GET",
    path: ["topics", ":topic", "history"],
    action: "topic_history",
    async run(input) {
      const topic = checkConcreteTopic(input.params.topic);
      const query = new URL(input.req.url).searchParams;
      const limit = integerParam(query.get("limit"), "limit", 100, 1000);
      const reverse = query.get("reverse") === "true";
      const offset = query.get("offset");
      const epoch = query.get("epoch");
      if (epoch !== null && (epoch === "" || epoch.length > 64)) {
        throw new AdminInputError(400, "Invalid 'epoch': expected 1 to 64 characters");
      }
      if ((offset === null) !== (epoch === null)) {
        throw new AdminInputError(400, "Give both 'offset' and 'epoch', or neither");
      }
      const since = offset === null || epoch === null
        ? undefined
        : { offset: integerParam(offset, "offset", 0, Number.MAX_SAFE_INTEGER), epoch };
      let result;
      try {
        result = await input.hub.history(
          topic,
          since === undefined ? { limit, reverse } : {
            limit,
            reverse,
            since,
          },
        );
      } catch (error) {
        if (error instanceof EngineError && error.code === "NO_HISTORY") {
          throw new AdminInputError(404, error.message);
        }
        throw error;
      }
      const publications = result.publications.map(historyPublication);
      return {
        body: { topic, ...result.position, publications },
        audit: { topic },
      };
    },
  },
  {
    method: "GET",
    path: ["topics", ":topic", "presence"],
    action: "topic_presence",
    async run(input) {
      const topic = checkConcreteTopic(input.params.topic);
      const [entries, stats] = await Promise.all([
        input.hub.presence(topic),
        input.hub.presenceStats(topic),
      ]);
      const clients = entries.map((e) => ({
        user: e.user,
        connectionId: e.connection,
        ...(e.info === undefined ? {} : { info: e.info }),
      }));
      return { body: { topic, ...stats, clients }, audit: { topic } };
    },
  },
  {
    method: "POST",
    path: ["revoke"],
    action: "revoke",
    async run(input) {
      const user = checkUser(requireField(await body(input), "user"), "user");
      // Sessions first: a refresh racing this request then mints before the
      // hub's cut-off, so its token is refused too. The hub revokes even
      // when the store fails, and the failure is then answered.
      let sessionsEnded: number | undefined;
      let failure: unknown;
      try {
        sessionsEnded = await input.endSessions?.(user);
      } catch (error) {
        failure = error;
      }
      let answer;
      try {
        answer = await input.hub.cluster.revoke({ user });
      } catch (error) {
        // Applied on this hub (fail closed), but not carried to the others.
        throw notCarried(error, `Revoked '${user}' on this hub only`);
      }
      if (failure !== undefined) throw failure;
      const disconnected = total(answer);
      const cluster = clusterFields(answer);
      return sessionsEnded === undefined
        ? {
          body: { user, disconnected, ...cluster },
          audit: { user, connections: disconnected, scope: answer.scope },
        }
        : {
          body: { user, disconnected, sessionsEnded, ...cluster },
          audit: { user, connections: disconnected, sessionsEnded, scope: answer.scope },
        };
    },
  },
  {
    method: "PUT",
    path: ["rules"],
    action: "rules_update",
    async run(input) {
      const rules = rulesArray(requireField(await body(input), "rules"));
      try {
        // Key references ({"fingerprint"}) are resolved by the hub from the keys it holds.
        await input.hub.updateRules(rules);
      } catch (error) {
        // Refused rules change nothing and are the caller's; any other failure is not.
        if (error instanceof RulesError) throw new AdminInputError(400, error.message);
        throw notCarried(error, "The rules are in force on this hub only");
      }
      return { body: { rules: rules.length }, audit: { rules: rules.length } };
    },
  },
  ...CONSOLE_ROUTES,
];

/** A route whose path matches, with its raw (still percent-encoded) parameters. */
export interface RouteMatch {
  route: Route;
  raw: Record<string, string>;
}

/** Every route whose path matches the segments after the prefix, whatever its method. */
export function matchRoutes(segments: readonly string[]): RouteMatch[] {
  const matches: RouteMatch[] = [];
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue;
    const raw: Record<string, string> = {};
    const fits = route.path.every((part, i) => {
      if (!part.startsWith(":")) return part === segments[i];
      raw[part.slice(1)] = segments[i];
      return segments[i] !== "";
    });
    if (fits) matches.push({ route, raw });
  }
  return matches;
}

/** Decodes a match's parameters. */
export function decodeParams(raw: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [name, decodeSegment(value, name)]),
  );
}
