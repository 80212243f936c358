// Defaults and validation of hub options, applied once at creation. Internal.

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
