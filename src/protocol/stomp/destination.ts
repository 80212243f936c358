/**
 * How STOMP destinations name the hub's topics, the application's methods
 * and a user's own queue (see `docs/stomp.md`). A hub topic is segments
 * joined by `:`, and a segment may hold a `.`, so `/topic/chat.lobby` could
 * be `chat:lobby` or the one-segment topic `chat.lobby`: the rule says which
 * separator a destination uses. With `/` (the default) a topic's segments
 * map one to one (`/topic/chat/lobby` is `chat:lobby`, `/topic/a.b/c` is
 * `a.b:c`); with `.` (Spring's habit) `/topic/chat.lobby` is `chat:lobby`,
 * and a topic whose segments hold a `.` cannot be named.
 *
 * @module
 */

import { validatePattern } from "../../topic/topic.ts";

/** The configurable parts of the mapping. */
export interface StompDestinationRule {
  /**
   * Destinations under this prefix are topics.
   *
   * @default {"/topic/"}
   */
  topicPrefix: string;
  /**
   * What separates a topic's segments in a destination: `/` or `.`.
   *
   * @default {"/"}
   */
  separator: "/" | ".";
  /**
   * Destinations under this prefix call the application's RPC method named
   * by the rest (`/app/chat.echo` calls `chat.echo`), as Spring's
   * `@MessageMapping` does.
   *
   * @default {"/app/"}
   */
  appPrefix: string;
  /**
   * Destinations under this prefix receive what the server sends to the
   * connection's user (`/user/queue/alerts` receives events named `alerts`).
   *
   * @default {"/user/queue/"}
   */
  userPrefix: string;
}

/** The default {@linkcode StompDestinationRule}. */
export const DEFAULT_STOMP_DESTINATIONS: Readonly<StompDestinationRule> = Object.freeze({
  topicPrefix: "/topic/",
  separator: "/",
  appPrefix: "/app/",
  userPrefix: "/user/queue/",
});

/** What a destination names. */
export type StompTarget =
  | { kind: "topic"; topic: string }
  | { kind: "app"; method: string }
  | { kind: "user"; name: string }
  | { kind: "invalid"; message: string };

const METHOD_RE = /^[A-Za-z0-9_.:/-]{1,128}$/;

/**
 * Reads a destination: a topic or pattern, an application method, or a user
 * queue, or why it is none.
 *
 * @param destination The destination header's value.
 * @param rule The mapping.
 * @returns What it names.
 *
 * @example Map destinations with both separators
 * ```ts
 * import { DEFAULT_STOMP_DESTINATIONS, resolveStompDestination } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(resolveStompDestination("/topic/chat/lobby", DEFAULT_STOMP_DESTINATIONS), {
 *   kind: "topic",
 *   topic: "chat:lobby",
 * });
 * const spring = { ...DEFAULT_STOMP_DESTINATIONS, separator: "." as const };
 * assert.deepEqual(resolveStompDestination("/topic/chat.lobby", spring), {
 *   kind: "topic",
 *   topic: "chat:lobby",
 * });
 * assert.deepEqual(resolveStompDestination("/app/chat.echo", spring), { kind: "app", method: "chat.echo" });
 * ```
 */
export function resolveStompDestination(
  destination: string,
  rule: StompDestinationRule,
): StompTarget {
  if (destination.startsWith(rule.topicPrefix)) {
    const rest = destination.slice(rule.topicPrefix.length);
    const topic = rest.replaceAll(rule.separator, ":");
    const problem = validatePattern(topic);
    if (problem !== undefined) {
      return { kind: "invalid", message: `Destination '${short(destination)}': ${problem}` };
    }
    return { kind: "topic", topic };
  }
  if (destination.startsWith(rule.appPrefix)) {
    const method = destination.slice(rule.appPrefix.length);
    if (!METHOD_RE.test(method)) {
      return {
        kind: "invalid",
        message: `Destination '${
          short(destination)
        }' names no method: use 1 to 128 of letters, digits and '_.:/-' after '${rule.appPrefix}'`,
      };
    }
    return { kind: "app", method };
  }
  if (destination.startsWith(rule.userPrefix)) {
    const name = destination.slice(rule.userPrefix.length);
    if (name.length === 0 || name.length > 128) {
      return {
        kind: "invalid",
        message: `Destination '${short(destination)}' names no queue after '${rule.userPrefix}'`,
      };
    }
    return { kind: "user", name };
  }
  return {
    kind: "invalid",
    message: `Unknown destination '${
      short(destination)
    }': use '${rule.topicPrefix}...', '${rule.appPrefix}...' or '${rule.userPrefix}...'`,
  };
}

/**
 * The destination a publication on `topic` carries in its MESSAGE frames.
 *
 * @param topic A topic.
 * @param rule The mapping.
 * @returns The destination.
 *
 * @example Name a topic
 * ```ts
 * import { DEFAULT_STOMP_DESTINATIONS, topicDestination } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(topicDestination("chat:lobby", DEFAULT_STOMP_DESTINATIONS), "/topic/chat/lobby");
 * ```
 */
export function topicDestination(topic: string, rule: StompDestinationRule): string {
  return rule.topicPrefix + topic.replaceAll(":", rule.separator);
}

/**
 * Checks a rule given in options.
 *
 * @param rule The rule's fields, any of which may be absent.
 * @returns The full rule.
 * @throws {TypeError} When a prefix does not start and end with `/`, two
 * prefixes overlap, or the separator is neither `/` nor `.`.
 *
 * @example Take Spring's separator
 * ```ts
 * import { resolveStompDestinationRule } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveStompDestinationRule({ separator: "." }).topicPrefix, "/topic/");
 * ```
 */
export function resolveStompDestinationRule(
  rule: Partial<StompDestinationRule> = {},
): StompDestinationRule {
  const resolved = { ...DEFAULT_STOMP_DESTINATIONS, ...rule };
  if (resolved.separator !== "/" && resolved.separator !== ".") {
    throw new TypeError(
      `Cannot use the STOMP separator '${String(resolved.separator)}': use '/' or '.'`,
    );
  }
  const prefixes = [resolved.topicPrefix, resolved.appPrefix, resolved.userPrefix];
  for (const prefix of prefixes) {
    if (typeof prefix !== "string" || !/^\/(?:[^/]+\/)+$/.test(prefix)) {
      throw new TypeError(
        `Cannot use the STOMP destination prefix '${
          String(prefix)
        }': it must start and end with '/', as '/topic/' does`,
      );
    }
  }
  for (const a of prefixes) {
    for (const b of prefixes) {
      if (a !== b && a.startsWith(b)) {
        throw new TypeError(
          `Cannot use the STOMP destination prefixes '${a}' and '${b}': one holds the other`,
        );
      }
    }
  }
  if (new Set(prefixes).size !== 3) {
    throw new TypeError("Cannot use one STOMP destination prefix for two kinds of destination");
  }
  return resolved;
}

function short(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 64)}...`;
}
