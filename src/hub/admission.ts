/**
 * Admission of upgrade requests: capacity, per-IP connection rate, origin,
 * token extraction and verification. Internal to the hub.
 *
 * @module
 */

import { AuthError } from "../auth/errors.ts";
import { extractToken, parseSubprotocols, selectSubprotocol } from "../auth/extract.ts";
import { ANONYMOUS_PRINCIPAL, type Principal } from "../auth/principal.ts";
import { CloseCode, type ErrorCode } from "../protocol/codes.ts";
import { STOMP_SUBPROTOCOLS } from "../protocol/subprotocols.ts";
import type { ResolvedSources } from "./_resolve_options.ts";
import {
  type Admission,
  type ConnInfo,
  type Peer,
  peerAddress,
  type Refused,
  type UpgradeRequest,
} from "./transport.ts";
import type { Clock } from "./clock.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import type { AuthenticateHook, HubLimits, TrustProxyOptions } from "./options.ts";
import { clientAddress, resolveProxyTrust } from "./_client_ip.ts";
import { createTokenBucket, type TokenBucket } from "./token_bucket.ts";

export type { Accepted, Admission, ConnInfo, Peer, Refused } from "./transport.ts";

/** What admission needs from the hub. */
export interface AdmissionDeps {
  readonly sources: ResolvedSources;
  readonly limits: HubLimits;
  readonly clock: Clock;
  readonly metrics: HubMetrics;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly reject: "http" | "close";
  readonly trustProxy: boolean | TrustProxyOptions | undefined;
  readonly authenticate: AuthenticateHook | undefined;
  /** Whether a token-less upgrade is the anonymous principal. */
  readonly anonymous: boolean;
  readonly canVerify: boolean;
  verify(token: string): Promise<Principal>;
  connectionCount(): number;
  isClosing(): boolean;
  audit(entry: LogEntry): void;
  log(entry: LogEntry): void;
}

/**
 * The door a request comes in by: a WebSocket upgrade, or a plain HTTP
 * request of the SSE door (`sse`) or of HTTP publish (`http`). The HTTP
 * doors take no subprotocol and no first-message token, are always refused
 * with an HTTP status (there is no socket to close), and an HTTP publish is
 * not a connection attempt for the per-IP connect rate (its requests are
 * rate-limited as publications).
 */
export type AdmissionDoor = "websocket" | "sse" | "http";

/** Creates the `admit` function of a hub. */
export function createAdmission(
  deps: AdmissionDeps,
): (
  req: Request | UpgradeRequest,
  info?: ConnInfo,
  door?: AdmissionDoor,
) => Promise<Admission> {
  const { sources, limits, clock, metrics, allowedOrigins, reject } = deps;
  const buckets = new Map<string, TokenBucket>();
  const trust = resolveProxyTrust(deps.trustProxy);
  let warnedUnknownIp = false;

  function refuse(
    status: number,
    code: ErrorCode,
    message: string,
    retryAfterMs?: number,
  ): Refused {
    const headers = new Headers({ "content-type": "application/json" });
    if (status === 401) headers.set("www-authenticate", 'Bearer error="invalid_token"');
    if (status === 426) headers.set("upgrade", "websocket");
    if (retryAfterMs !== undefined) {
      headers.set("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    return {
      ok: false,
      response: new Response(JSON.stringify({ code, message }), { status, headers }),
    };
  }

  function authFailure(
    protocol: string | undefined,
    error: AuthError,
    ip: string | undefined,
    door: AdmissionDoor = "websocket",
  ): Admission {
    deps.audit({
      level: "info",
      event: "auth.failed",
      reason: error.reason,
      source: "upgrade",
      ip,
    });
    if (reject === "close" && door === "websocket") {
      return {
        ok: true,
        protocol,
        principal: undefined,
        closeWith: { code: CloseCode.AuthFailed, reason: error.message },
      };
    }
    return refuse(401, error.code, error.message);
  }

  /**
   * Socket peers already canonicalized, when no proxy is trusted: one parse
   * per address rather than per upgrade, and one string per address kept by
   * its connections. Bounded: emptied when full.
   */
  const canonical = new Map<string, string>();

  function peerIp(peer: string | undefined): string | undefined {
    if (peer === undefined) return undefined;
    let ip = canonical.get(peer);
    if (ip === undefined) {
      ip = clientAddress(peer, null, undefined);
      if (ip === undefined) return undefined;
      if (canonical.size >= 4096) canonical.clear();
      canonical.set(peer, ip);
    }
    return ip;
  }

  function clientIp(req: Request | UpgradeRequest, info: ConnInfo | undefined): string | undefined {
    const ip = trust === undefined
      ? peerIp(peerAddress(info))
      : clientAddress(peerAddress(info), req.headers.get("x-forwarded-for"), trust);
    if (ip === undefined) {
      // Per-IP limits cannot apply: say so once, and count every such upgrade.
      metrics.unknownClientIp++;
      if (!warnedUnknownIp) {
        warnedUnknownIp = true;
        deps.log({
          level: "warn",
          event: "client_ip.unknown",
          message:
            "Per-IP connection limits are off for upgrades without the peer address: pass the connection info, as in Deno.serve((req, info) => hub.upgrade(req, info))",
        });
      }
    }
    return ip;
  }

  /** Per-IP token bucket; full buckets are forgotten so the map stays small. */
  function takeConnectToken(ip: string): number {
    const now = clock.now();
    let bucket = buckets.get(ip);
    if (bucket === undefined) {
      if (buckets.size >= 10_000) {
        for (const [key, b] of buckets) if (b.isFull(now)) buckets.delete(key);
      }
      bucket = createTokenBucket(limits.connectRatePerIp, limits.connectBurstPerIp, now);
      buckets.set(ip, bucket);
    }
    return bucket.take(now) ? 0 : bucket.retryAfterMs(now);
  }

  return async function admit(
    req: Request | UpgradeRequest,
    info?: ConnInfo,
    door: AdmissionDoor = "websocket",
  ): Promise<Admission> {
    if (deps.isClosing()) return refuse(503, "INTERNAL", "Server is shutting down", 1000);
    const upgrade = door === "websocket";
    if (upgrade && (req.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
      return refuse(426, "BAD_REQUEST", "Expected a WebSocket upgrade request");
    }
    const ip = clientIp(req, info);
    if (ip !== undefined && door !== "http") {
      const retryAfterMs = takeConnectToken(ip);
      if (retryAfterMs > 0) {
        increment(metrics.rateLimitHits, "connect_rate");
        deps.audit({ level: "warn", event: "rate_limited", limit: "connect_rate", ip });
        return refuse(429, "RATE_LIMITED", "Too many connection attempts", retryAfterMs);
      }
    }
    if (deps.connectionCount() >= limits.maxConnections) {
      increment(metrics.rateLimitHits, "connections_total");
      return refuse(503, "RATE_LIMITED", "Server is at capacity", 5000);
    }
    const origin = req.headers.get("origin");
    if (origin !== null && allowedOrigins.size > 0 && !allowedOrigins.has(origin)) {
      deps.audit({ level: "warn", event: "origin.refused", origin, ip });
      return refuse(403, "FORBIDDEN", "Origin is not allowed");
    }
    const offered = upgrade ? parseSubprotocols(req.headers.get("sec-websocket-protocol")) : [];
    const protocol = upgrade ? selectSubprotocol(offered) : undefined;
    const peer: Peer = { remoteAddr: ip, transport: upgrade ? info?.transport : door };
    try {
      if (deps.authenticate !== undefined) {
        const principal = await deps.authenticate(req instanceof Request ? req : req.toRequest());
        if (principal !== undefined) return { ok: true, protocol, principal, peer };
      }
      const extracted = deps.canVerify ? extractToken(req, sources, offered) : undefined;
      if (extracted === undefined) {
        if (deps.anonymous) {
          increment(metrics.authSuccesses, "anonymous");
          return { ok: true, protocol, principal: ANONYMOUS_PRINCIPAL, peer };
        }
        // A STOMP client's first message is CONNECT, which may carry the token.
        if ((sources.firstMessage || isStomp(protocol)) && deps.canVerify && upgrade) {
          return { ok: true, protocol, principal: undefined, peer };
        }
        return authFailure(protocol, new AuthError("missing"), ip, door);
      }
      if (extracted.source === "cookie" && (origin === null || !allowedOrigins.has(origin))) {
        deps.audit({ level: "warn", event: "origin.refused", origin, source: "cookie", ip });
        return refuse(403, "FORBIDDEN", "Origin is not allowed");
      }
      const principal = await deps.verify(extracted.token);
      increment(metrics.authSuccesses, extracted.source);
      return { ok: true, protocol, principal, peer };
    } catch (error) {
      if (error instanceof AuthError) return authFailure(protocol, error, ip, door);
      deps.log({
        level: "error",
        event: "authenticate.failed",
        error: error instanceof Error ? error.name : typeof error,
      });
      return refuse(500, "INTERNAL", "Authentication failed unexpectedly");
    }
  };
}

function isStomp(protocol: string | undefined): boolean {
  return protocol !== undefined && STOMP_SUBPROTOCOLS[protocol] !== undefined;
}
