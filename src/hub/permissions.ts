/**
 * Permission checks of one hub: the compiled ACL, the `authorize` hook,
 * per-connection decision caches, and the audit of denials.
 *
 * @module
 */

import { type Acl, compileAcl } from "../acl/compile.ts";
import { createDecisionCache, type DecisionCache } from "../acl/decision_cache.ts";
import type { AclAction, AclOptions, AclRule } from "../acl/rules.ts";
import type { Principal } from "../auth/principal.ts";
import type { Clock } from "./clock.ts";
import { errorDetail, type LogEntry } from "./log.ts";
import { HubError } from "../protocol/errors.ts";
import { type HubMetrics, increment, observe } from "./metrics.ts";
import type { AuthorizeHook } from "./options.ts";
import type { ErrorCode } from "../protocol/codes.ts";

/** The outcome of a permission check. */
export type Verdict = { allowed: true } | { allowed: false; code: ErrorCode; message: string };

/** What a permission check needs of a connection. */
export interface Checked {
  /** Server-assigned id, for the log. */
  readonly id: string;
  /** Whether the connection is still open (a late answer is not cached for a closed one). */
  readonly isOpen: boolean;
}

/** Options of {@linkcode createPermissions}. */
export interface PermissionsOptions {
  /** The ACL options (rules, claims, capabilities). */
  acl: AclOptions;
  /** The hook asked after the rules, unless a rule denied. */
  authorize: AuthorizeHook | undefined;
  /** Decision cache bounds. */
  cache: { max: number; ttlMs: number };
  clock: Clock;
  metrics: HubMetrics;
  log(entry: LogEntry): void;
  audit(entry: LogEntry): void;
}

/** The permission checks of one hub, created by {@linkcode createPermissions}. */
export interface Permissions<C extends Checked> {
  /** Decides one action; synchronous unless the `authorize` hook is asked. */
  check(
    connection: C,
    principal: Principal,
    action: AclAction,
    topic: string,
  ): Verdict | Promise<Verdict>;
  /** Drops a connection's cached decisions (on token refresh and close). */
  forget(connection: C): void;
  /** Replaces the server-side rules; throws, changing nothing, on bad rules. */
  replaceRules(rules: AclRule[]): void;
  /** The compiled ACL in force (rules, explanations, signing requirements). */
  readonly acl: Acl;
}

/**
 * Creates the permission checks of one hub. Publish decisions, the hot ones,
 * are cached per connection; with an `authorize` hook every answer is.
 *
 * @param options The ACL, the hook, cache bounds and the hub's clock, metrics and logs.
 * @returns The permission checks.
 *
 * @example Check a subscription
 * ```ts ignore
 * const permissions = createPermissions({ acl: { rules }, authorize: undefined, cache, clock, metrics, log, audit });
 * permissions.check(connection, principal, "subscribe", "chat:lobby"); // { allowed: true }
 * ```
 */
export function createPermissions<C extends Checked>(options: PermissionsOptions): Permissions<C> {
  const { authorize, clock, metrics, log, audit } = options;
  const aclOptions = options.acl;
  const cacheMax = options.cache.max;
  const cacheTtlMs = options.cache.ttlMs;
  let acl: Acl = compileAcl(aclOptions);
  const caches = new WeakMap<C, DecisionCache<Verdict>>();
  /**
   * The connection whose cache was read or made last, and that cache: a
   * publisher sends frame after frame, and its next check skips the WeakMap.
   * `forget` clears it, so it holds no closed connection; no cache is made
   * for it, so an idle connection still has none.
   */
  let lastConnection: C | undefined;
  let lastCache: DecisionCache<Verdict> | undefined;

  function cacheOf(connection: C): DecisionCache<Verdict> | undefined {
    if (connection === lastConnection) return lastCache;
    const cache = caches.get(connection);
    if (cache !== undefined) {
      lastConnection = connection;
      lastCache = cache;
    }
    return cache;
  }

  function cacheFor(connection: C): DecisionCache<Verdict> {
    let cache = cacheOf(connection);
    if (cache === undefined) {
      cache = createDecisionCache<Verdict>({ max: cacheMax, ttlMs: cacheTtlMs, now: clock.now });
      caches.set(connection, cache);
      lastConnection = connection;
      lastCache = cache;
    }
    return cache;
  }

  function check(
    connection: C,
    principal: Principal,
    action: AclAction,
    topic: string,
  ): Verdict | Promise<Verdict> {
    // Publish decisions, the hot ones, are keyed by the topic alone (no string
    // to build per frame); others by action and topic. Topics cannot contain
    // U+0000, so the two kinds of key never collide.
    const key = action === "publish" ? topic : action + "\u0000" + topic;
    const hit = cacheOf(connection)?.get(key);
    if (hit !== undefined) return hit;
    const started = performance.now();
    const decision = acl.decide(principal, action, topic);
    if (decision.reason === "invalid") {
      return { allowed: false, code: "BAD_REQUEST", message: decision.message };
    }
    const denyRule = !decision.allowed && decision.reason === "rule";
    if (authorize === undefined || denyRule) {
      observe(metrics.aclCheckSeconds, (performance.now() - started) / 1000);
      const verdict = toVerdict(decision.allowed, action, topic);
      if (!verdict.allowed) denied(connection, principal, action, topic, decision.message);
      // Rule decisions are cheap: only publish decisions, which repeat on the
      // hot path, are kept, so idle subscribers hold no cache at all.
      if (action === "publish") cacheFor(connection).set(key, verdict);
      return verdict;
    }
    const rules = acl;
    return (async (): Promise<Verdict> => {
      let answer: boolean | undefined;
      try {
        answer = await authorize(principal, action, topic);
      } catch (error) {
        // A hook refusing with a typed error chose what the client reads; not cached.
        if (error instanceof HubError) {
          denied(connection, principal, action, topic, `authorize hook: ${error.code}`);
          return { allowed: false, code: error.code, message: error.message };
        }
        log({
          level: "error",
          event: "authorize.failed",
          connection: connection.id,
          ...errorDetail(error),
        });
        return { allowed: false, code: "INTERNAL", message: "Permission check failed" };
      }
      observe(metrics.aclCheckSeconds, (performance.now() - started) / 1000);
      const allowed = answer ?? decision.allowed;
      const verdict = toVerdict(allowed, action, topic);
      if (!allowed) {
        denied(
          connection,
          principal,
          action,
          topic,
          answer === false ? "denied by authorize hook" : decision.message,
        );
      }
      // Rules replaced meanwhile: do not cache a decision made under the old ones.
      // The hook may be slow (a database): its answers are kept for every action.
      if (rules === acl && connection.isOpen) cacheFor(connection).set(key, verdict);
      return verdict;
    })();
  }

  function denied(
    connection: C,
    principal: Principal,
    action: AclAction,
    topic: string,
    why: string,
  ): void {
    increment(metrics.aclDenials, action);
    audit({
      level: "info",
      event: "acl.denied",
      connection: connection.id,
      user: principal.sub,
      action,
      topic,
      why,
    });
  }

  return {
    check,
    forget(connection) {
      caches.delete(connection);
      if (connection === lastConnection) {
        lastConnection = undefined;
        lastCache = undefined;
      }
    },
    replaceRules(rules) {
      // The signed rules keep their replay memories: an update must not reopen a replay.
      acl = compileAcl({ ...aclOptions, rules }, { previous: acl });
    },
    get acl() {
      return acl;
    },
  };
}

/** What each action does to a topic, as a refusal says it: "Not allowed to read the history of 'x'". */
const DOING: Record<AclAction, string> = {
  subscribe: "subscribe to",
  publish: "publish to",
  history: "read the history of",
  presence: "read the presence of",
};

function toVerdict(allowed: boolean, action: AclAction, topic: string): Verdict {
  return allowed
    ? ALLOWED
    : { allowed: false, code: "FORBIDDEN", message: `Not allowed to ${DOING[action]} '${topic}'` };
}

const ALLOWED: Verdict = { allowed: true };
