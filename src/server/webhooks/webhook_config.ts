/**
 * The `webhooks` section of the server's config file: which of the hub's
 * events are posted to the application's backend, where, and within which
 * bounds. The wire format is in `docs/webhooks.md`.
 *
 * @module
 */

import { validatePattern } from "../../topic/topic.ts";

/** The events a webhook can carry. */
export const WEBHOOK_EVENT_TYPES = [
  "connect",
  "disconnect",
  "join",
  "leave",
  "publication",
] as const;

/** One of {@linkcode WEBHOOK_EVENT_TYPES}. */
export type WebhookEventType = typeof WEBHOOK_EVENT_TYPES[number];

/** The `webhooks` section of the config file. */
export interface WebhookConfig {
  /**
   * The `http://` or `https://` URL the hub POSTs batches to; without it
   * (a section holding only the secret, as `REALTIME_WEBHOOK_SECRET` alone
   * makes) no webhook is posted.
   */
  url?: string;
  /**
   * The secret (at least 32 bytes) every request is signed with
   * (`REALTIME_WEBHOOK_SECRET` wins).
   */
  secret?: string;
  /**
   * Which events are posted.
   *
   * @default {["connect", "disconnect", "join", "leave"]}
   */
  events?: WebhookEventType[];
  /**
   * Topics or patterns whose publications are posted (with `"publication"`
   * in `events`); joins and leaves are posted for every topic.
   *
   * @default {[]}
   */
  topics?: string[];
  /**
   * Most events in one request.
   *
   * @default {100}
   */
  maxBatch?: number;
  /**
   * Longest an event waits for its batch to fill, in ms.
   *
   * @default {1000}
   */
  maxDelayMs?: number;
  /**
   * Most events kept while the backend does not take them; past it the
   * oldest are dropped (counted in `realtime_webhook_events_dropped_total`
   * and logged, without payloads).
   *
   * @default {10000}
   */
  maxQueue?: number;
  /**
   * Time limit of one request, in ms.
   *
   * @default {5000}
   */
  timeoutMs?: number;
  /**
   * The first retry's delay, in ms; it doubles per failed attempt.
   *
   * @default {500}
   */
  retryMinMs?: number;
  /**
   * The longest delay between retries, in ms.
   *
   * @default {30000}
   */
  retryMaxMs?: number;
}

/** {@linkcode WebhookConfig} with every default applied. */
export type ResolvedWebhookConfig = Required<WebhookConfig> & { url: string };

/** The defaults of {@linkcode WebhookConfig}. */
export const DEFAULT_WEBHOOK_CONFIG: Readonly<Omit<ResolvedWebhookConfig, "url" | "secret">> = {
  events: ["connect", "disconnect", "join", "leave"],
  topics: [],
  maxBatch: 100,
  maxDelayMs: 1000,
  maxQueue: 10_000,
  timeoutMs: 5000,
  retryMinMs: 500,
  retryMaxMs: 30_000,
};

/**
 * Checks a `webhooks` section and applies its defaults, throwing a
 * `TypeError` naming the first field that is wrong. Never quotes the secret.
 *
 * @param config The section as read from the file.
 * @returns The section with its defaults.
 * @throws {TypeError} When a field is missing or of the wrong kind.
 *
 * @example Check a section
 * ```ts
 * import { checkWebhookConfig } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const config = checkWebhookConfig({
 *   url: "http://127.0.0.1:8001/realtime/webhook",
 *   secret: "a-webhook-secret-of-32-bytes-min!",
 * });
 * assert.equal(config.maxBatch, 100);
 * assert.throws(() => checkWebhookConfig({ url: "http://x", secret: "short" }));
 * ```
 */
export function checkWebhookConfig(config: WebhookConfig): ResolvedWebhookConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(`Cannot use 'webhooks': expected an object, got ${kind(config)}`);
  }
  const known = ["url", "secret", ...Object.keys(DEFAULT_WEBHOOK_CONFIG)];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot use 'webhooks.${key.slice(0, 64)}': the fields are ${known.join(", ")}`,
      );
    }
  }
  let url: URL | undefined;
  try {
    url = new URL(config.url ?? "");
  } catch { /* reported below */ }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError("Cannot use 'webhooks.url': expected an http:// or https:// URL");
  }
  const { secret } = config;
  if (typeof secret !== "string" || new TextEncoder().encode(secret).length < 32) {
    throw new TypeError(
      `Cannot post webhooks as 'webhooks.secret' (or REALTIME_WEBHOOK_SECRET) has ${
        typeof secret === "string" ? new TextEncoder().encode(secret).length : 0
      } bytes: at least 32 are required`,
    );
  }
  const resolved: ResolvedWebhookConfig = {
    ...DEFAULT_WEBHOOK_CONFIG,
    ...config,
    url: url.href,
    secret,
  };
  for (
    const name of [
      "maxBatch",
      "maxDelayMs",
      "maxQueue",
      "timeoutMs",
      "retryMinMs",
      "retryMaxMs",
    ] as const
  ) {
    const value = resolved[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new TypeError(
        `Cannot use 'webhooks.${name}' ${kind(value)}: expected a positive integer`,
      );
    }
  }
  if (resolved.retryMaxMs < resolved.retryMinMs) {
    throw new TypeError("Cannot use 'webhooks.retryMaxMs': it is below 'webhooks.retryMinMs'");
  }
  if (
    !Array.isArray(resolved.events) ||
    !resolved.events.every((e) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
  ) {
    throw new TypeError(
      `Cannot use 'webhooks.events': expected some of ${WEBHOOK_EVENT_TYPES.join(", ")}`,
    );
  }
  if (!Array.isArray(resolved.topics)) {
    throw new TypeError(`Cannot use 'webhooks.topics': expected an array of topics or patterns`);
  }
  resolved.topics.forEach((topic, i) => {
    const problem = typeof topic === "string" ? validatePattern(topic) : "it is not a string";
    if (problem !== undefined) {
      throw new TypeError(`Cannot use 'webhooks.topics[${i}]': ${problem}`);
    }
  });
  if (resolved.events.includes("publication") && resolved.topics.length === 0) {
    throw new TypeError(
      "Cannot post publications without 'webhooks.topics': name the topics or patterns to post",
    );
  }
  return resolved;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "number" ? String(value) : typeof value;
}
