// Defaults and validation of hub options, applied once at creation. Internal.

import type { Principal } from "../auth/principal.ts";
import { utf8ByteLength } from "./codec/utf8.ts";
import { DEFAULT_LIMITS, type HubLimits, type HubOptions } from "./options.ts";

/** Options after defaults and validation. */
export interface ResolvedSources {
  subprotocol: boolean;
  header: boolean;
  query: string | false;
  cookie: string | false;
  firstMessage: boolean;
}

/** Validates the parts of {@linkcode HubOptions} that are checked once at creation. */
export function resolveLimits(limits: Partial<HubLimits> | undefined): HubLimits {
  const resolved = { ...DEFAULT_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(
        `Cannot create hub as 'limits.${name}' is ${value}: a positive integer is required`,
      );
    }
  }
  return resolved;
}

/** Resolves token sources and checks the cookie/origin rule. */
export function resolveSources(options: HubOptions): ResolvedSources {
  const s = options.tokenSources ?? {};
  const sources: ResolvedSources = {
    subprotocol: s.subprotocol ?? true,
    header: s.header ?? true,
    query: s.query ?? "token",
    cookie: s.cookie ?? false,
    firstMessage: s.firstMessage ?? true,
  };
  if (sources.cookie !== false && (options.allowedOrigins ?? []).length === 0) {
    throw new TypeError(
      "Cannot read tokens from cookies without 'allowedOrigins': cross-site WebSocket hijacking would be possible",
    );
  }
  if (options.reject !== undefined && options.reject !== "http" && options.reject !== "close") {
    throw new TypeError(
      `Cannot create hub as 'reject' is '${options.reject}': use "http" or "close"`,
    );
  }
  if (options.anonymous !== undefined && typeof options.anonymous !== "boolean") {
    throw new TypeError(
      `Cannot create hub as 'anonymous' is ${typeof options.anonymous}: use true or false`,
    );
  }
  return sources;
}

/** Most bytes of presence info (encoded) kept per connection; a larger value is left out. */
const MAX_PRESENCE_INFO_BYTES = 1024;

/** What every session of a hub is given, after defaults and validation. */
export interface SessionSettings {
  maxRecover: number;
  presence: boolean;
  firstMessageTimeoutMs: number;
  tokenExpiringLeadMs: number;
  /** A connection's presence info: the claim's value, when it is JSON of at most 1 KiB in UTF-8. */
  presenceInfo(principal: Principal): unknown;
}

/** Validates the options every session is given. */
export function resolveSessionSettings(
  options: Pick<
    HubOptions,
    | "maxRecover"
    | "presence"
    | "presenceInfoClaim"
    | "firstMessageTimeoutMs"
    | "tokenExpiringLeadMs"
  >,
): SessionSettings {
  const maxRecover = options.maxRecover ?? 1000;
  if (!Number.isSafeInteger(maxRecover) || maxRecover < 0) {
    throw new RangeError(
      `Cannot create hub as 'maxRecover' is ${maxRecover}: a non-negative integer is required`,
    );
  }
  const presenceInfoClaim = options.presenceInfoClaim ?? "info";
  if (typeof presenceInfoClaim !== "string" || presenceInfoClaim === "") {
    throw new TypeError("Cannot create hub as 'presenceInfoClaim' is not a non-empty string");
  }
  return {
    maxRecover,
    presence: options.presence ?? true,
    firstMessageTimeoutMs: options.firstMessageTimeoutMs ?? 5000,
    tokenExpiringLeadMs: options.tokenExpiringLeadMs ?? 60_000,
    presenceInfo: (principal) => presenceInfo(principal.claims[presenceInfoClaim]),
  };
}

function presenceInfo(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text !== undefined && utf8ByteLength(text) <= MAX_PRESENCE_INFO_BYTES ? value : undefined;
}
