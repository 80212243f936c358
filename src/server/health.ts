/**
 * `GET /healthz`: whether this hub can serve, for load balancers and
 * orchestrators. With the Redis engine it says whether every shard's
 * connections are up; a hub that lost Redis answers 503 until its
 * connections are back and its subscriptions verified.
 *
 * @module
 */

/**
 * What `/healthz` answers, as JSON.
 *
 * @example A hub on two Redis shards, the second one down
 * ```ts
 * import type { HealthReport } from "@realtime/hub/server";
 *
 * const report: HealthReport = {
 *   ok: false,
 *   engine: "redis",
 *   shards: [{ commands: true, subscriber: true }, { commands: false, subscriber: false }],
 * };
 * ```
 */
export interface HealthReport {
  /** The hub can accept connections, publish and deliver. */
  readonly ok: boolean;
  /** Which engine the hub runs on. */
  readonly engine: "memory" | "redis";
  /**
   * With Redis, each shard in the order of the configured URLs: its command
   * connection and its (verified) subscriber connection. URLs are left out:
   * the endpoint is public, Redis addresses are not.
   */
  readonly shards?: readonly { readonly commands: boolean; readonly subscriber: boolean }[];
}

/**
 * An engine that can report its connections' state, such as a `RedisEngine`.
 *
 * @example The shape of a Redis engine's `health()`
 * ```ts
 * import type { HealthSource } from "@realtime/hub/server";
 *
 * const source: HealthSource = { health: () => ({ ok: true, shards: [] }) };
 * ```
 */
export interface HealthSource {
  /** The current state, without a round trip. */
  health(): {
    readonly ok: boolean;
    readonly shards: readonly { readonly commands: boolean; readonly subscriber: boolean }[];
  };
}

/** The path the health route answers on. */
export const HEALTH_PATH = "/healthz";

/**
 * Creates the `/healthz` route: 200 with `{"ok":true,...}` when the hub can
 * serve, else 503 with the same shape. Other paths and methods get
 * `undefined`, so the route composes with other handlers.
 *
 * @param redis The Redis engine, or `undefined` for the in-memory engine (always healthy).
 * @returns A handler for `GET` and `HEAD /healthz`.
 *
 * @example Answer for the in-memory engine
 * ```ts
 * import { createHealthHandler } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const health = createHealthHandler(undefined);
 * const res = health(new Request("http://localhost/healthz"))!;
 * assert.equal(res.status, 200);
 * assert.deepEqual(await res.json(), { ok: true, engine: "memory" });
 * ```
 */
export function createHealthHandler(
  redis: HealthSource | undefined,
): (req: Request) => Response | undefined {
  return function health(req: Request): Response | undefined {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    if (new URL(req.url).pathname !== HEALTH_PATH) return undefined;
    const report = healthReport(redis);
    return new Response(req.method === "HEAD" ? null : JSON.stringify(report), {
      status: report.ok ? 200 : 503,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  };
}

/**
 * The report `/healthz` answers with.
 *
 * @param redis The Redis engine, or `undefined` for the in-memory engine.
 * @returns Whether the hub can serve, and each shard's connections.
 *
 * @example A healthy Redis engine
 * ```ts
 * import { healthReport } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const report = healthReport({ health: () => ({ ok: true, shards: [{ commands: true, subscriber: true }] }) });
 * assert.equal(report.ok, true);
 * ```
 */
export function healthReport(redis: HealthSource | undefined): HealthReport {
  if (redis === undefined) return { ok: true, engine: "memory" };
  const { ok, shards } = redis.health();
  return {
    ok,
    engine: "redis",
    shards: shards.map(({ commands, subscriber }) => ({ commands, subscriber })),
  };
}
