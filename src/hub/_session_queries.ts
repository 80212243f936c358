/**
 * A session's queries: the reads (`history`, `presence`, `presence_stats`)
 * and `rpc`. Pure parts (the engine query a frame asks for, the replies
 * built from the engine's answers, how a failed read is answered) under
 * thin shells that reach their session through a {@linkcode QueryPort}: one
 * table per session class, so a session holds nothing for them. None of
 * this is on the publish path.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import type { HubError } from "../protocol/errors.ts";
import type { HistoryFrame, PresenceClient, RequestId, ServerFrame } from "../protocol/frames.ts";
import type { Engine, HistoryQuery, HistoryResult, PresenceEntry } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import { historyPublication } from "./history_publication.ts";
import type { HandlerConnection, RpcHandler } from "./handlers.ts";
import type { HandlerCall } from "./_handler_calls.ts";
import type { Verdict } from "./permissions.ts";
import { handlerContext } from "./_session_handler_context.ts";

/** What the queries need of their hub (a session's `HubContext`). */
export interface QueryHub<S> {
  /** The engine behind the fan-out. */
  readonly engine: Engine;
  /** Whether the hub tracks presence. */
  readonly presence: boolean;
  /** Whether `principal` may do `action` on `topic`. */
  check(
    connection: S,
    principal: Principal,
    action: "history" | "presence",
    topic: string,
  ): Verdict | Promise<Verdict>;
  /** The application's RPC method, if it registered one. */
  rpcHandler(method: string): RpcHandler | undefined;
}

/** How the queries reach a session of type `S`: functions of the session, made once per class. */
export interface QueryPort<S> {
  /** Its hub. */
  hub(session: S): QueryHub<S>;
  /** Whether it is authenticated and not closed. */
  open(session: S): boolean;
  /** Sends a reply or event. */
  reply(session: S, frame: ServerFrame): void;
  /** Sends an error reply. */
  error(session: S, code: ErrorCode, message: string, id: RequestId | undefined): void;
  /** Answers a request whose handling threw (see `Session.#failed`). */
  failed(session: S, request: string, error: unknown, id: RequestId | undefined): void;
  /** Logs an engine's failure. */
  engineFailed(session: S, operation: string, topic: string, error: unknown): void;
  /** The connection as the application's handlers see it. */
  connection(session: S): HandlerConnection;
  /** Calls an application handler in the session's slot, synchronously when the handler is. */
  invoke<T>(session: S, kind: string, fn: (call: HandlerCall) => T | Promise<T>): T | Promise<T>;
}

/** `history`: under the ACL action `history`, on a topic that keeps history. */
export function history<S>(
  port: QueryPort<S>,
  session: S,
  principal: Principal,
  frame: HistoryFrame,
): Promise<void> | void {
  const { topic, id } = frame;
  const hub = port.hub(session);
  const verdict = hub.check(session, principal, "history", topic);
  const allowed = (v: Verdict): Promise<void> | void => {
    if (!port.open(session)) return;
    if (!v.allowed) return port.error(session, v.code, v.message, id);
    return hub.engine.history(topic, historyQuery(frame)).then(
      (result) => port.reply(session, historyReply(id, topic, result)),
      (error) => queryFailed(port, session, error, "history", topic, id),
    );
  };
  return verdict instanceof Promise ? verdict.then(allowed) : allowed(verdict);
}

/** `presence` and `presence_stats`: under the ACL action `presence`. */
export function presenceQuery<S>(
  port: QueryPort<S>,
  session: S,
  principal: Principal,
  type: "presence" | "presence_stats",
  topic: string,
  id: RequestId | undefined,
): Promise<void> | void {
  const hub = port.hub(session);
  if (!hub.presence) {
    return port.error(
      session,
      "BAD_REQUEST",
      "Cannot answer presence: this hub does not track presence",
      id,
    );
  }
  const verdict = hub.check(session, principal, "presence", topic);
  const allowed = (v: Verdict): Promise<void> | void => {
    if (!port.open(session)) return;
    if (!v.allowed) return port.error(session, v.code, v.message, id);
    const engine = hub.engine;
    return type === "presence"
      ? engine.presence(topic).then(
        (entries) => port.reply(session, { type, id, topic, clients: entries.map(presenceClient) }),
        (error) => queryFailed(port, session, error, type, topic, id),
      )
      : engine.presenceStats(topic).then(
        (stats) =>
          port.reply(session, {
            type,
            id,
            topic,
            connections: stats.connections,
            users: stats.users,
          }),
        (error) => queryFailed(port, session, error, type, topic, id),
      );
  };
  return verdict instanceof Promise ? verdict.then(allowed) : allowed(verdict);
}

/**
 * A history or presence read failed: a typed error gives its code; an
 * engine's failure is `INTERNAL` and retryable; anything else is a bug,
 * logged with its detail and answered with a generic `INTERNAL`.
 */
function queryFailed<S>(
  port: QueryPort<S>,
  session: S,
  error: unknown,
  request: "history" | "presence" | "presence_stats",
  topic: string,
  id: RequestId | undefined,
): void {
  if (!port.open(session)) return;
  const failure = queryFailure(error);
  if (failure === "no_history") {
    return port.error(session, "NO_HISTORY", (error as Error).message, id);
  }
  if (failure === "bug") return port.failed(session, request, error, id);
  port.engineFailed(session, "read", topic, error);
  port.error(session, "INTERNAL", `Cannot read '${topic}' now: the engine is unavailable`, id);
}

/** `rpc`: answered by the method the application registered, concurrently with later frames. */
export function rpc<S>(
  port: QueryPort<S>,
  session: S,
  principal: Principal,
  method: string,
  data: unknown,
  id: RequestId | undefined,
): void {
  const handler = port.hub(session).rpcHandler(method);
  if (handler === undefined) {
    return port.error(session, "BAD_REQUEST", `Cannot call '${method}': no such method`, id);
  }
  let answer: unknown;
  try {
    answer = port.invoke(
      session,
      "rpc",
      (call) =>
        handler(handlerContext(principal, port.connection(session), call, { method, data })),
    );
  } catch (error) {
    return rpcFailed(port, session, error as HubError, id);
  }
  if (!(answer instanceof Promise)) return rpcAnswered(port, session, answer, id);
  answer.then(
    (result) => rpcAnswered(port, session, result, id),
    (e) => rpcFailed(port, session, e, id),
  );
}

function rpcAnswered<S>(
  port: QueryPort<S>,
  session: S,
  result: unknown,
  id: RequestId | undefined,
): void {
  if (port.open(session)) port.reply(session, { type: "rpc", id, data: result ?? null });
}

function rpcFailed<S>(
  port: QueryPort<S>,
  session: S,
  error: HubError,
  id: RequestId | undefined,
): void {
  if (port.open(session)) port.error(session, error.code, error.message, id);
}

/** The engine query of a `history` frame: 100 publications, oldest first, unless it says. */
export function historyQuery(frame: HistoryFrame): HistoryQuery {
  return frame.since === undefined
    ? { limit: frame.limit ?? 100, reverse: frame.reverse ?? false }
    : { limit: frame.limit ?? 100, reverse: frame.reverse ?? false, since: frame.since };
}

/** The `history` reply to the engine's answer. */
export function historyReply(
  id: RequestId | undefined,
  topic: string,
  result: HistoryResult,
): ServerFrame {
  return {
    type: "history",
    id,
    topic,
    publications: result.publications.map(historyPublication),
    offset: result.position.offset,
    epoch: result.position.epoch,
  };
}

/** A presence entry as the client sees it: `info` only when there is some. */
export function presenceClient(entry: PresenceEntry): PresenceClient {
  const client: PresenceClient = { user: entry.user, connectionId: entry.connection };
  if (entry.info !== undefined) client.info = entry.info;
  return client;
}

/**
 * How a failed read is answered: `no_history` (the client's `NO_HISTORY`),
 * `engine` (the engine's failure: `INTERNAL`, retryable) or `bug`
 * (anything else: logged with its detail, answered with a generic `INTERNAL`).
 */
export function queryFailure(error: unknown): "no_history" | "engine" | "bug" {
  if (!(error instanceof EngineError)) return "bug";
  return error.code === "NO_HISTORY" ? "no_history" : "engine";
}
