/**
 * A session's subscribe: the checks in order (limits, the pattern quota,
 * the ACL, `history` for a foreign `since`, the application's handler), the
 * reservation, and the start once the engine holds the topic, with the
 * recovery that keeps publications racing it neither lost nor doubled; and
 * the subscriptions the application's connect handler makes. Thin shells
 * that reach their session through a {@linkcode SubscribePort}, one table
 * per session class, over the pure parts of `_session_recovery.ts`. The
 * delivery of publications stays the session's own.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import type { HubError } from "../protocol/errors.ts";
import type { RequestId, ServerFrame, TopicPosition } from "../protocol/frames.ts";
import type { Engine } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import { isPattern, validateTopic } from "../topic/topic.ts";
import { Outgoing } from "./codec/outgoing.ts";
import type { Fanout, FanoutSubscriber } from "./fanout.ts";
import type { AppHandlers, HandlerConnection } from "./handlers.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import type { Verdict } from "./permissions.ts";
import type { PatternQuota } from "./_pattern_quota.ts";
import type { HandlerCall } from "./_handler_calls.ts";
import { handlerContext } from "./_session_handler_context.ts";
import { ownPosition, readRecovery, recordPosition, recoveryAck } from "./_session_recovery.ts";

/** What subscribing needs of the hub (a session's `HubContext`). */
export interface SubscribeHub<S extends FanoutSubscriber> {
  /** The per-connection bounds. */
  readonly limits: { readonly maxSubscriptions: number };
  /** Pattern subscriptions per user. */
  readonly patternQuota: PatternQuota;
  /** Whether the hub tracks presence. */
  readonly presence: boolean;
  /** The engine behind the fan-out. */
  readonly engine: Engine;
  /** At most this many publications are replayed by a recovery. */
  readonly maxRecover: number;
  /** The application's handlers, if any. */
  readonly handlers: AppHandlers | undefined;
  /** The hub's counters. */
  readonly metrics: HubMetrics;
  /** Local subscriptions and the engine behind them. */
  readonly fanout: Fanout<S>;
  /** Whether `principal` may do `action` on `topic`. */
  check(
    connection: S,
    principal: Principal,
    action: "subscribe" | "presence" | "history",
    topic: string,
  ): Verdict | Promise<Verdict>;
  /** Whether `topic` keeps history. */
  historyOf(topic: string): "yes" | "no" | "ask";
  /** Logs an operational line. */
  log(entry: LogEntry): void;
}

/** How subscribing reaches a session of type `S`: functions of the session, made once per class. */
export interface SubscribePort<S extends FanoutSubscriber> {
  /** Its hub. */
  hub(session: S): SubscribeHub<S>;
  /** Whether it is authenticated and not closed. */
  open(session: S): boolean;
  /** Its principal, once there is one. */
  principal(session: S): Principal | undefined;
  /** Whether it is subscribed to `topic` (a topic or a pattern). */
  subscribed(session: S, topic: string): boolean;
  /** How many topics and patterns it is subscribed to. */
  subscriptionCount(session: S): number;
  /** Records a subscription (reserved before the engine is asked). */
  addSubscription(session: S, topic: string): void;
  /** Forgets a subscription the engine could not take. */
  dropSubscription(session: S, topic: string): void;
  /** How many of its subscriptions are patterns. */
  patterns(session: S): number;
  /** Counts one more pattern subscription. */
  countPattern(session: S): void;
  /** The topics whose position is being read, with the publications waiting meanwhile. */
  recovering(session: S): Map<string, Outgoing[]> | undefined;
  /** Starts holding `topic`'s publications in `waiting` while its position is read. */
  startRecovery(session: S, topic: string, waiting: Outgoing[]): void;
  /** Ends the wait on `topic` (the last one clears the map). */
  endRecovery(session: S, topic: string): void;
  /** Marks `topic` as one whose presence events it receives. */
  follow(session: S, topic: string): void;
  /** The positions its subscribe replies gave, if any yet. */
  positions(session: S): Map<string, TopicPosition> | undefined;
  /** The positions its subscribe replies gave, made if none yet. */
  givenPositions(session: S): Map<string, TopicPosition>;
  /** Sends a publication. */
  publication(session: S, publication: Outgoing): void;
  /** Sends a plain `ack`. */
  ack(session: S, id: RequestId | undefined): void;
  /** A subscribe's plain reply, with the application's initial data when it gave some. */
  subscribedAck(session: S, id: RequestId | undefined, data: unknown): void;
  /** Answers `RATE_LIMITED` and counts it. */
  rateLimited(session: S, limit: string, message: string, id?: RequestId): void;
  /** Sends a reply or event. */
  reply(session: S, frame: ServerFrame): void;
  /** Sends an error reply. */
  error(session: S, code: ErrorCode, message: string, id?: RequestId): void;
  /** Calls an application handler in the session's slot. */
  call<T>(session: S, kind: string, fn: (call: HandlerCall) => T | Promise<T>): Promise<T>;
  /** The connection as the application's handlers see it. */
  connection(session: S): HandlerConnection;
  /** Marks it present on a concrete topic. */
  enter(session: S, topic: string): void;
  /** Ends one subscription and releases what it counted against. */
  unsubscribed(session: S, topic: string): void;
  /** The engine could not subscribe: the reservation is undone. */
  notHeld(session: S, topic: string, id: RequestId | undefined, error: unknown): void;
  /** Logs an engine's failure. */
  engineFailed(session: S, operation: string, topic: string, error: unknown): void;
}

/** `subscribe`: to a topic or pattern, optionally recovering from `since`, optionally following presence. */
export function subscribe<S extends FanoutSubscriber & { readonly id: string }>(
  port: SubscribePort<S>,
  session: S,
  principal: Principal,
  topic: string,
  id: RequestId | undefined,
  since?: TopicPosition,
  presence?: boolean,
): Promise<void> | void {
  const hub = port.hub(session);
  if (port.subscribed(session, topic)) return port.ack(session, id);
  if (port.subscriptionCount(session) >= hub.limits.maxSubscriptions) {
    return port.rateLimited(
      session,
      "subscriptions",
      `Cannot subscribe to more than ${hub.limits.maxSubscriptions} topics on one connection`,
      id,
    );
  }
  const pattern = isPattern(topic);
  if (pattern) {
    const refusal = hub.patternQuota.refusal(principal.sub, port.patterns(session), topic);
    if (refusal !== undefined) {
      return port.rateLimited(session, "pattern_subscriptions", refusal, id);
    }
  }
  const verdict = presence === true
    ? checkBoth(hub, session, principal, topic)
    : hub.check(session, principal, "subscribe", topic);
  // Decided now, in frame order: a recovery right after an unsubscribe resumes this connection's own position.
  const own = since === undefined || ownPosition(port.positions(session), topic, since);
  /** What the application's subscribe handler gave for the reply. */
  let initial: unknown;
  const finish = (v: Verdict, replay: boolean) => {
    if (!port.open(session) || port.principal(session) !== principal) return;
    if (!v.allowed) return port.error(session, v.code, v.message, id);
    if (port.subscribed(session, topic)) return port.ack(session, id);
    if (port.subscriptionCount(session) >= hub.limits.maxSubscriptions) return;
    if (pattern) {
      // Asked again: other subscriptions may have taken the room while the check was pending.
      const refusal = hub.patternQuota.refusal(principal.sub, port.patterns(session), topic);
      if (refusal !== undefined) {
        return port.rateLimited(session, "pattern_subscriptions", refusal, id);
      }
      port.countPattern(session);
      hub.patternQuota.take(principal.sub);
    }
    // Reserved before the engine is asked, so limits count it meanwhile.
    port.addSubscription(session, topic);
    const history = pattern ? "no" : hub.historyOf(topic);
    const plain = history === "no" && since === undefined && !hub.presence;
    const held = hub.fanout.hold(topic);
    if (held === undefined && plain) {
      hub.fanout.add(topic, session);
      return port.subscribedAck(session, id, initial);
    }
    const start = () =>
      heldTopic(port, session, topic, id, history !== "no", since, presence, replay, initial);
    return held === undefined ? start() : held.then(
      start,
      (error) => port.notHeld(session, topic, id, error),
    );
  };
  const allowed = (v: Verdict): Promise<void> | void => {
    if (own || !v.allowed) return finish(v, true);
    if (!port.open(session) || port.principal(session) !== principal) return;
    // Replaying from a position this connection was never given reads the
    // topic's history: it needs that permission. Without it the
    // subscription still starts, and the reply says `recovered: false`.
    const reading = hub.check(session, principal, "history", topic);
    return reading instanceof Promise
      ? reading.then((r) => finish(v, r.allowed))
      : finish(v, reading.allowed);
  };
  const hook = hub.handlers?.subscribe;
  // The application decides after the ACL, before anything is reserved.
  const decided = hook === undefined ? allowed : (v: Verdict): Promise<void> | void => {
    if (!v.allowed) return allowed(v);
    return port.call(
      session,
      "subscribe",
      (call) => hook(handlerContext(principal, port.connection(session), call, { topic })),
    ).then(
      (result) => {
        initial = result?.data;
        return allowed(v);
      },
      (error: HubError) => {
        if (port.open(session)) port.error(session, error.code, error.message, id);
      },
    );
  };
  return verdict instanceof Promise ? verdict.then(decided) : decided(verdict);
}

/** `subscribe` and `presence` both allowed, or the first refusal. */
function checkBoth<S extends FanoutSubscriber>(
  hub: SubscribeHub<S>,
  session: S,
  principal: Principal,
  topic: string,
): Verdict | Promise<Verdict> {
  const a = hub.check(session, principal, "subscribe", topic);
  const then = (v: Verdict) => v.allowed ? hub.check(session, principal, "presence", topic) : v;
  return a instanceof Promise ? a.then(then) : then(a);
}

/**
 * The engine holds `topic` now: the reserved subscription starts, unless it
 * ended meanwhile. On a topic with history, live publications wait while
 * its position (or the recovery) is read; then go the reply, the replay,
 * and the waiting publications the replay did not already hold, so a
 * publication racing the recovery is neither lost nor doubled.
 */
function heldTopic<S extends FanoutSubscriber>(
  port: SubscribePort<S>,
  session: S,
  topic: string,
  id: RequestId | undefined,
  history: boolean,
  since: TopicPosition | undefined,
  presence: boolean | undefined,
  replay: boolean,
  data: unknown,
): Promise<void> | void {
  const hub = port.hub(session);
  if (!port.open(session) || !port.subscribed(session, topic)) {
    hub.fanout.release(topic);
    return;
  }
  if (!isPattern(topic)) {
    if (presence === true && hub.fanout.follow(topic, session)) port.follow(session, topic);
    if (hub.presence) port.enter(session, topic);
  }
  if (!history && since === undefined) {
    hub.fanout.add(topic, session);
    return port.subscribedAck(session, id, data);
  }
  const waiting: Outgoing[] = [];
  port.startRecovery(session, topic, waiting);
  hub.fanout.add(topic, session);
  const read = readRecovery(hub.engine, topic, since, replay, hub.maxRecover);
  return read.then(
    ({ position, recovered, replay }) => {
      if (!stillRecovering(port, session, topic, waiting)) return;
      recordPosition(
        port.givenPositions(session),
        topic,
        position,
        hub.limits.maxSubscriptions,
        (old) => port.subscribed(session, old),
      );
      port.reply(session, recoveryAck(id, position, recovered, data));
      let last = since !== undefined && recovered ? since.offset : position.offset;
      for (const entry of replay) {
        port.publication(
          session,
          new Outgoing(topic, entry.publication, entry.offset, position.epoch),
        );
        last = entry.offset;
      }
      if (replay.length > 0) increment(hub.metrics.messagesOut, "message", replay.length);
      endRecovery(port, session, topic, waiting, last);
    },
    (error) => {
      if (!stillRecovering(port, session, topic, waiting)) return;
      if (error instanceof EngineError && error.code === "NO_HISTORY") {
        if (since === undefined) {
          // The engine keeps no history for it after all: a plain subscription.
          port.subscribedAck(session, id, data);
          return endRecovery(port, session, topic, waiting, -1);
        }
        port.recovering(session)?.delete(topic);
        port.unsubscribed(session, topic);
        return port.error(session, "NO_HISTORY", error.message, id);
      }
      port.recovering(session)?.delete(topic);
      port.notHeld(session, topic, id, error);
    },
  );
}

/** Whether the recovery of `topic` is still the one that `waiting` belongs to. */
function stillRecovering<S extends FanoutSubscriber>(
  port: SubscribePort<S>,
  session: S,
  topic: string,
  waiting: Outgoing[],
): boolean {
  return port.open(session) && port.recovering(session)?.get(topic) === waiting;
}

/** Sends what waited with an offset above `last` (or without one) and ends the wait. */
function endRecovery<S extends FanoutSubscriber>(
  port: SubscribePort<S>,
  session: S,
  topic: string,
  waiting: Outgoing[],
  last: number,
): void {
  for (const publication of waiting) {
    const offset = publication.offset;
    if (offset === undefined || offset > last) port.publication(session, publication);
  }
  port.endRecovery(session, topic);
}

/**
 * A subscription the application's connect handler made: concrete topics
 * only, no ACL check and no reply; what fails is logged.
 */
export function serverSubscribe<S extends FanoutSubscriber & { readonly id: string }>(
  port: SubscribePort<S>,
  session: S,
  topic: string,
): void {
  const hub = port.hub(session);
  const problem = validateTopic(topic);
  if (problem !== undefined || port.subscribed(session, topic)) {
    if (problem !== undefined) {
      hub.log({
        level: "error",
        event: "handler.bad_subscription",
        connection: session.id,
        error: problem,
      });
    }
    return;
  }
  if (port.subscriptionCount(session) >= hub.limits.maxSubscriptions) return;
  port.addSubscription(session, topic);
  const start = () => {
    if (!port.open(session) || !port.subscribed(session, topic)) {
      hub.fanout.release(topic);
      return;
    }
    if (hub.presence) port.enter(session, topic);
    hub.fanout.add(topic, session);
  };
  const held = hub.fanout.hold(topic);
  if (held === undefined) return start();
  held.then(start, (error) => {
    port.engineFailed(session, "subscribe", topic, error);
    port.dropSubscription(session, topic);
  });
}
