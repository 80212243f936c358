/**
 * What a {@linkcode Session} needs from its hub. Internal.
 *
 * @module
 */

import type { AclAction } from "../acl/rules.ts";
import type { Principal } from "../auth/principal.ts";
import type { SignedPublish } from "./_signed_publish.ts";
import type { Engine, StreamPosition } from "../engine/engine.ts";
import type { Clock } from "./clock.ts";
import type { FrameClock } from "./_frame_clock.ts";
import type { Session } from "./session.ts";
import type { Verdict } from "./permissions.ts";
import type { LogEntry } from "./log.ts";
import type { HubMetrics } from "./metrics.ts";
import type { HubLimits } from "./options.ts";
import type { Fanout } from "./fanout.ts";
import type { FlushQueue } from "./_flush_queue.ts";
import type { Deadlines } from "./_deadlines.ts";
import type { PatternQuota } from "./_pattern_quota.ts";
import type { AppHandlers, RpcHandler } from "./handlers.ts";
import type { HandlerCalls } from "./_handler_calls.ts";
import type { HubEventSink } from "./hub_events.ts";

/** The hub as seen by one session. */
export interface HubContext {
  readonly clock: Clock;
  /** When the hub was created, epoch ms on its clock: what a session's `since` counts from. */
  readonly createdAt: number;
  /** The clock the frame being handled reads: its session holds the reading (`_frame_clock.ts`). */
  readonly frameClock: FrameClock;
  readonly limits: HubLimits;
  readonly firstMessageTimeoutMs: number;
  readonly tokenExpiringLeadMs: number;
  /** Local subscriptions and the engine behind them. */
  readonly fanout: Fanout<Session>;
  /** Pattern subscriptions per user and on the hub. */
  readonly patternQuota: PatternQuota;
  /** Session deadlines (first message, token expiry) on one clock timer. */
  readonly deadlines: Deadlines;
  /** Writes queued frames at the end of the turn. */
  readonly flushQueue: FlushQueue;
  /** Per-connection decision caches; a connection drops its own on refresh and close. */
  readonly cache: { delete(connection: Session): void };
  check(
    connection: Session,
    principal: Principal,
    action: AclAction,
    topic: string,
  ): Verdict | Promise<Verdict>;
  /**
   * Publishes a payload on a concrete topic; resolves once the engine
   * confirmed. With an idempotency key the engine publishes a repeat of it
   * only once and resolves to the first position.
   */
  publish(
    topic: string,
    payload: unknown,
    from: string | null,
    jws?: string,
    idempotencyKey?: string,
  ): Promise<StreamPosition | undefined>;
  /** The engine behind the fan-out: history, presence. */
  readonly engine: Engine;
  /** Whether a concrete topic keeps history: `"ask"` the engine when the hub does not know. */
  historyOf(topic: string): "yes" | "no" | "ask";
  /** Most publications one recovery replays. */
  readonly maxRecover: number;
  /** Whether subscriptions are tracked in presence. */
  readonly presence: boolean;
  /** A connection's presence info, from its token. */
  presenceInfo(principal: Principal): unknown;
  /** The topic's signing rule on a publish the ACL allowed (see `_signed_publish.ts`). */
  readonly signed: SignedPublish;
  verify(token: string): Promise<Principal>;
  /** Returns a close code and reason to refuse the connection, or `undefined` to accept it. */
  onAuthenticated(
    connection: Session,
    principal: Principal,
  ): { code: number; reason: string } | undefined;
  onClosed(connection: Session, code: number | undefined): void;
  log(entry: LogEntry): void;
  /** Security events. */
  audit(entry: LogEntry): void;
  readonly metrics: HubMetrics;
  /** The application's handlers; `undefined` keeps every request on its fast path. */
  readonly handlers: AppHandlers | undefined;
  /** The RPC method registered under a name. */
  rpcHandler(method: string): RpcHandler | undefined;
  /** Runs handlers within their limits. */
  readonly calls: HandlerCalls;
  /** The observer of the hub's events; `undefined` costs nothing. */
  readonly events: HubEventSink | undefined;
}
