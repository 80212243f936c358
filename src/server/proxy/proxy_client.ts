/**
 * The HTTP client of the proxies: one POST per decision to the
 * application's backend, signed with a short-lived HS256 JWT, within a time
 * limit and a bound on calls in flight, never retried, and failing closed
 * with a code the client sees (`docs/proxy.md`). Every call is counted and
 * audited, never with its payload.
 *
 * @module
 */

import { mintToken } from "../../auth/mint.ts";
import { ERROR_CODES, type ErrorCode } from "../../protocol/codes.ts";
import { HubError } from "../../protocol/errors.ts";
import { readBodyBytes } from "../../hub/http_body.ts";
import type { LogEntry } from "../../hub/log.ts";
import { DEFAULT_PROXY_TIMEOUT_MS, type ProxyEndpoint } from "./proxy_config.ts";

/** The `iss` of the hub's JWTs to the backend. */
export const PROXY_ISSUER = "realtime-hub";
/** The `aud` of the hub's JWTs to the backend. */
export const PROXY_AUDIENCE = "realtime-backend";
/** The upgrade's headers a connect call forwards unless told otherwise. */
export const DEFAULT_CONNECT_HEADERS: readonly string[] = ["cookie", "origin"];
/** Largest answer body read from the backend, in bytes. */
export const MAX_PROXY_ANSWER_BYTES = 1 << 20;

/** How a call ended, as counted and audited. */
export type ProxyOutcome = "ok" | "refused" | "failed" | "timeout";

/** What the client needs. */
export interface ProxyClientOptions {
  /** The HS256 secret the hub signs its calls with. */
  secret: string;
  /** Most calls in flight at once. */
  maxConcurrent: number;
  /** Audit sink: one entry per call, without payloads or URLs. */
  audit?: (entry: LogEntry) => void;
  /** Counts a call (`kind`: `connect`, `publish`…), its outcome and its time in seconds. */
  count?: (kind: string, outcome: ProxyOutcome, seconds: number) => void;
  /** The `fetch` to call with. @default {globalThis.fetch} */
  fetch?: typeof fetch;
}

/** One call. */
export interface ProxyCall {
  /** Which decision (`connect`, `subscribe`, `publish`, `rpc`). */
  kind: string;
  /** Where. */
  endpoint: ProxyEndpoint;
  /** The JSON body. */
  body: Record<string, unknown>;
  /** Client headers to forward (connect only). */
  headers?: Headers;
  /** Aborts the call (the connection closed, the handler's limit passed). */
  signal?: AbortSignal;
  /** The user, for the audit. */
  user?: string;
}

/** The proxies' HTTP client. */
export interface ProxyClient {
  /**
   * Calls the backend: the answer's `result` (an object, or `undefined`
   * when it gave none), or a thrown `HubError` with the code the client gets.
   */
  call(call: ProxyCall): Promise<Record<string, unknown> | undefined>;
  /** Calls in flight now. */
  readonly inFlight: number;
}

/**
 * Creates the proxies' HTTP client.
 *
 * @param options The secret, the bound, the audit and the counter.
 * @returns The client.
 *
 * @example Call a backend
 * ```ts ignore
 * const client = createProxyClient({ secret, maxConcurrent: 64 });
 * const result = await client.call({
 *   kind: "rpc",
 *   endpoint: { url: "http://127.0.0.1:8001/realtime/rpc" },
 *   body: { method: "time.now", data: null, user: "alice" },
 * });
 * ```
 */
export function createProxyClient(options: ProxyClientOptions): ProxyClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const key = { secret: options.secret };
  let active = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    const next = waiting.shift();
    if (next !== undefined) next();
    else active--;
  }

  /** Resolves once a place is free (the place is then the caller's), or rejects on abort. */
  function acquire(signal: AbortSignal): Promise<void> {
    if (active < options.maxConcurrent) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const take = () => {
        signal.removeEventListener("abort", abandon);
        resolve();
      };
      const abandon = () => {
        const i = waiting.indexOf(take);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal.reason);
      };
      waiting.push(take);
      signal.addEventListener("abort", abandon, { once: true });
    });
  }

  async function call(request: ProxyCall): Promise<Record<string, unknown> | undefined> {
    const { kind, endpoint } = request;
    const started = performance.now();
    const timeoutMs = endpoint.timeoutMs ?? DEFAULT_PROXY_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal === undefined
      ? timeout
      : AbortSignal.any([timeout, request.signal]);
    let outcome: ProxyOutcome = "failed";
    let status: number | undefined;
    let code: ErrorCode | undefined;
    let acquired = false;
    try {
      await acquire(signal);
      acquired = true;
      const headers = new Headers({
        "content-type": "application/json",
        accept: "application/json",
      });
      for (const name of endpoint.headers ?? (kind === "connect" ? DEFAULT_CONNECT_HEADERS : [])) {
        const value = request.headers?.get(name);
        if (value !== null && value !== undefined) headers.set(name, value);
      }
      const jwt = await mintToken({ sub: PROXY_ISSUER, proxy: kind }, key, {
        ttl: 60,
        iss: PROXY_ISSUER,
        aud: PROXY_AUDIENCE,
      });
      headers.set("authorization", `Bearer ${jwt}`);
      let res: Response;
      try {
        res = await doFetch(endpoint.url, {
          method: "POST",
          headers,
          body: JSON.stringify(request.body),
          signal,
          redirect: "manual",
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new HubError("INTERNAL", `Cannot reach the ${kind} backend: try again later`);
      }
      status = res.status;
      const text = await readBounded(res, kind);
      if (res.status < 200 || res.status > 299) {
        throw new HubError(
          "INTERNAL",
          `The ${kind} backend answered HTTP ${res.status}: try again later`,
        );
      }
      const answer = parseAnswer(text, kind);
      if (answer.error !== undefined) {
        outcome = "refused";
        throw answer.error;
      }
      outcome = "ok";
      return answer.result;
    } catch (error) {
      if (error instanceof HubError) {
        code = error.code;
        throw error;
      }
      if (signal.aborted) {
        outcome = "timeout";
        code = "TIMEOUT";
        throw new HubError(
          "TIMEOUT",
          `The ${kind} backend did not answer within ${timeoutMs} ms: try again later`,
        );
      }
      code = "INTERNAL";
      throw new HubError("INTERNAL", `The ${kind} call failed: try again later`);
    } finally {
      if (acquired) release();
      const seconds = (performance.now() - started) / 1000;
      options.count?.(kind, outcome, seconds);
      options.audit?.({
        level: outcome === "ok" || outcome === "refused" ? "info" : "warn",
        event: "proxy.call",
        proxy: kind,
        outcome,
        status,
        code,
        user: request.user,
        ms: Math.round(seconds * 1000),
        audit: true,
      });
    }
  }

  return {
    call,
    get inFlight() {
      return active;
    },
  };
}

/** Reads at most {@linkcode MAX_PROXY_ANSWER_BYTES} of the answer. */
async function readBounded(res: Response, kind: string): Promise<string> {
  const bytes = await readBodyBytes(res, MAX_PROXY_ANSWER_BYTES);
  if (bytes === undefined) {
    throw new HubError(
      "INTERNAL",
      `The ${kind} backend answered more than ${MAX_PROXY_ANSWER_BYTES} bytes`,
    );
  }
  return new TextDecoder().decode(bytes);
}

/** The answer's `result` or its refusal; anything else is `INTERNAL`. */
function parseAnswer(
  text: string,
  kind: string,
): { result?: Record<string, unknown>; error?: HubError } {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new HubError("INTERNAL", `The ${kind} backend's answer is not JSON`);
  }
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    throw new HubError("INTERNAL", `The ${kind} backend's answer is not a JSON object`);
  }
  const { result, error } = answer as Record<string, unknown>;
  if (error !== undefined && error !== null) {
    const { code, message } = (typeof error === "object" ? error : {}) as Record<string, unknown>;
    const known = ERROR_CODES.includes(code as ErrorCode) ? code as ErrorCode : "FORBIDDEN";
    const text = typeof message === "string" && message !== ""
      ? message.slice(0, 256)
      : `Refused by the ${kind} backend`;
    return { error: new HubError(known, text) };
  }
  if (result === undefined || result === null) return {};
  if (typeof result !== "object" || Array.isArray(result)) {
    throw new HubError("INTERNAL", `The ${kind} backend's 'result' is not a JSON object`);
  }
  return { result: result as Record<string, unknown> };
}
