/**
 * How frames, times and durations are shown to people. Pure functions.
 *
 * @module
 */

import type { Colors } from "./colors.ts";

/**
 * Shows milliseconds the way durations are typed: `250ms`, `1.5s`, `2m 5s`, `3h 0m`.
 *
 * @param ms A non-negative duration.
 * @returns The duration.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/**
 * Shows an epoch time with how far it is from now: `2025-01-01T12:00:00.000Z (in 14m 59s)`.
 *
 * @param epochMs The time.
 * @param now The current time.
 * @returns The time and the distance.
 */
export function formatInstant(epochMs: number, now: number): string {
  const iso = new Date(epochMs).toISOString();
  const delta = epochMs - now;
  return delta >= 0
    ? `${iso} (in ${formatDuration(delta)})`
    : `${iso} (${formatDuration(-delta)} ago)`;
}

/** A JSON value on one line; strings keep their quotes so `"42"` and `42` differ. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/**
 * One `tail` line: time, topic, sender and payload, separated by spaces.
 * The sender is `-` for server-pushed messages, followed by `[event]` when
 * the message names one, and by the verification column when given.
 *
 * @param frame A `message` frame.
 * @param colors Styles.
 * @param verdict `verified` or `UNVERIFIED:CODE`, one word, with `tail --verify-key`.
 * @returns The line, without a newline.
 */
export function formatMessageLine(
  frame: Record<string, unknown>,
  colors: Colors,
  verdict?: string,
): string {
  const ts = typeof frame.ts === "number" ? new Date(frame.ts).toISOString() : "-";
  const from = typeof frame.from === "string" ? frame.from : "-";
  const event = typeof frame.event === "string" ? ` [${frame.event}]` : "";
  const column = verdict === undefined ? "" : ` ${verdict}`;
  return `${colors.dim(ts)} ${colors.bold(String(frame.topic))} ${
    colors.cyan(from)
  }${event}${column} ${compactJson(frame.payload)}`;
}

/**
 * Describes any server frame for the interactive session.
 *
 * @param frame The frame.
 * @param colors Styles.
 * @param now The current time (for expiry distances).
 * @returns One line.
 */
export function describeFrame(
  frame: Record<string, unknown>,
  colors: Colors,
  now: number,
): string {
  const id = frame.id === undefined ? "" : colors.dim(` #${String(frame.id)}`);
  switch (frame.type) {
    case "message":
      return `${colors.green("message")} ${formatMessageLine(frame, colors)}`;
    case "welcome":
      return `${colors.green("welcome")}${id} user ${colors.cyan(String(frame.user))}, connection ${
        String(frame.connectionId)
      }, ${expiry(frame.expiresAt, now)}`;
    case "ack":
      return `${colors.green("ack")}${id}${
        frame.expiresAt === undefined ? "" : `, ${expiry(frame.expiresAt, now)}`
      }`;
    case "pong":
      return `${colors.green("pong")}${id}`;
    case "error":
      return `${colors.red("error")}${id} ${String(frame.code)}: ${String(frame.message)}${
        frame.retry === true ? " (retryable)" : ""
      }`;
    case "unsubscribed":
      return `${colors.yellow("unsubscribed")} ${colors.bold(String(frame.topic))}: ${
        String(frame.code)
      }`;
    case "token_expiring":
      return `${colors.yellow("token_expiring")} ${
        expiry(frame.expiresAt, now)
      }: send 'auth NEW_TOKEN'`;
    default:
      return `${colors.yellow(String(frame.type))} ${compactJson(frame)}`;
  }
}

function expiry(expiresAt: unknown, now: number): string {
  return typeof expiresAt === "number"
    ? `token expires ${formatInstant(expiresAt, now)}`
    : "token never expires";
}
