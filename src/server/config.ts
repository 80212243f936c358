/**
 * Server configuration from a JSON file and environment variables, as used
 * by `deno task start` and `realtime-cli serve`.
 *
 * @module
 */

import type { AclOptions } from "../acl/rules.ts";
import type { JwtOptions } from "../auth/verify.ts";
import type { HubLimits, TokenSourceOptions } from "../hub/options.ts";
import type { Transport } from "./serve.ts";

/** What a config file may hold (all optional; environment variables win). */
export interface ServerConfig {
  /** Port. @default {8000} */
  port?: number;
  /** Interface to bind. @default {"127.0.0.1"} with a development key, else `"0.0.0.0"` */
  hostname?: string;
  /** Transport adapter. @default {"ws"} */
  transport?: Transport;
  /** Token verification (secret, publicKey, jwks, jwksUrl, algorithms, issuer, audience...). */
  auth?: Omit<JwtOptions, "now" | "fetch">;
  /** Rules and capability claim. */
  acl?: AclOptions;
  /** Origins allowed to connect. */
  allowedOrigins?: string[];
  /** Token sources. */
  tokenSources?: TokenSourceOptions;
  /** How failed upgrades are answered. */
  reject?: "http" | "close";
  /** Per-connection limits. */
  limits?: Partial<HubLimits>;
  /** First-message auth deadline. */
  firstMessageTimeoutMs?: number;
  /** Lead time of `token_expiring`. */
  tokenExpiringLeadMs?: number;
  /**
   * Anything but `"development"` (or unset) refuses to start with a
   * generated development key.
   */
  env?: string;
  /** The admin API key (`REALTIME_ADMIN_KEY`); without it and without admin JWTs the admin API answers 401. */
  adminKey?: string;
  /** Role an admin JWT must carry. @default {"admin"} */
  adminRole?: string;
  /** The `aud` an admin JWT must carry, distinct from the hub's audience. @default {"realtime-admin"} */
  adminAudience?: string;
  /** Prefix of the admin API. @default {"/v1/realtime"} */
  adminPrefix?: string;
  /**
   * `/metrics`: `"public"`, `"admin"` (behind the admin credential) or `"off"`.
   *
   * @default {"public"} with the development key, else `"admin"`
   */
  metrics?: "public" | "admin" | "off";
  /** Serve `/metrics` on this port instead of the main one (`REALTIME_METRICS_PORT`). */
  metricsPort?: number;
}

/**
 * Reads a config file (when named) and overlays the documented environment
 * variables: `PORT`, `REALTIME_HOST`, `REALTIME_TRANSPORT`, `REALTIME_ENV`,
 * `REALTIME_JWT_SECRET`, `REALTIME_JWT_PUBLIC_KEY`, `REALTIME_JWKS_URL`,
 * `REALTIME_JWT_ALGORITHMS`, `REALTIME_JWT_ISSUER`, `REALTIME_JWT_AUDIENCE`,
 * `REALTIME_ALLOWED_ORIGINS`, `REALTIME_ADMIN_KEY`, `REALTIME_METRICS`,
 * `REALTIME_METRICS_PORT`, `REALTIME_CONFIG` (the file, when `path` is absent).
 *
 * @param env The environment.
 * @param path A JSON config file.
 * @returns The merged configuration.
 *
 * @example Configure from the environment
 * ```ts
 * import { loadServerConfig } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const config = await loadServerConfig({ PORT: "9000", REALTIME_TRANSPORT: "deno" });
 * assert.equal(config.port, 9000);
 * ```
 */
export async function loadServerConfig(
  env: Record<string, string | undefined>,
  path?: string,
): Promise<ServerConfig> {
  const file = path ?? env.REALTIME_CONFIG;
  let config: ServerConfig = {};
  if (file !== undefined && file !== "") {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new TypeError(`Cannot read config file '${file}': ${(error as Error).message}`);
    }
    try {
      config = JSON.parse(text);
    } catch {
      throw new TypeError(`Cannot parse config file '${file}': it is not valid JSON`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new TypeError(`Cannot use config file '${file}': it must hold a JSON object`);
    }
  }
  const auth: Omit<JwtOptions, "now" | "fetch"> = { ...config.auth };
  const keyFromEnv = env.REALTIME_JWT_SECRET !== undefined ||
    env.REALTIME_JWT_PUBLIC_KEY !== undefined ||
    env.REALTIME_JWKS_URL !== undefined;
  if (keyFromEnv) {
    delete auth.secret;
    delete auth.publicKey;
    delete auth.jwks;
    delete auth.jwksUrl;
  }
  if (env.REALTIME_JWT_SECRET !== undefined) auth.secret = env.REALTIME_JWT_SECRET;
  if (env.REALTIME_JWT_PUBLIC_KEY !== undefined) {
    const text = env.REALTIME_JWT_PUBLIC_KEY.trim();
    if (text.startsWith("{")) {
      try {
        auth.publicKey = JSON.parse(text);
      } catch {
        // JSON.parse quotes its input in its message: never let key text reach an error.
        throw new TypeError(
          "Cannot parse REALTIME_JWT_PUBLIC_KEY: it starts with '{' but is not valid JSON",
        );
      }
    } else {
      auth.publicKey = text;
    }
  }
  if (env.REALTIME_JWKS_URL !== undefined) auth.jwksUrl = env.REALTIME_JWKS_URL;
  if (env.REALTIME_JWT_ALGORITHMS !== undefined) {
    auth.algorithms = list(env.REALTIME_JWT_ALGORITHMS);
  }
  if (env.REALTIME_JWT_ISSUER !== undefined) auth.issuer = env.REALTIME_JWT_ISSUER;
  if (env.REALTIME_JWT_AUDIENCE !== undefined) auth.audience = env.REALTIME_JWT_AUDIENCE;
  const merged: ServerConfig = { ...config, auth };
  if (env.PORT !== undefined) merged.port = port(env.PORT);
  if (env.REALTIME_HOST !== undefined) merged.hostname = env.REALTIME_HOST;
  if (env.REALTIME_TRANSPORT !== undefined) merged.transport = env.REALTIME_TRANSPORT as Transport;
  if (env.REALTIME_ENV !== undefined) merged.env = env.REALTIME_ENV;
  if (env.REALTIME_ALLOWED_ORIGINS !== undefined) {
    merged.allowedOrigins = list(env.REALTIME_ALLOWED_ORIGINS);
  }
  if (merged.transport !== undefined && merged.transport !== "ws" && merged.transport !== "deno") {
    throw new TypeError(`Cannot use transport '${merged.transport}': use "ws" or "deno"`);
  }
  return merged;
}

/** Whether the configuration names a key (otherwise the development key is used). */
export function hasConfiguredKey(config: ServerConfig): boolean {
  const auth = config.auth ?? {};
  return auth.secret !== undefined || auth.publicKey !== undefined || auth.jwks !== undefined ||
    auth.jwksUrl !== undefined;
}

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`Cannot listen on PORT '${text}': a port number 0-65535 is required`);
  }
  return value;
}
