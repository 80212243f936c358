// Checks the application's handlers and their limits once, at creation. Internal.

import type { HubEventSink } from "./hub_events.ts";
import { errorDetail, type LogEntry } from "./log.ts";
import { type AppHandlers, DEFAULT_HANDLER_LIMITS, type HandlerLimits } from "./handlers.ts";

/** What an RPC method may be called (the same rule as the `rpc` frame's). */
export const RPC_METHOD_NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;

const KINDS = ["connect", "subscribe", "publish", "refresh", "disconnect"] as const;

/** The handlers, checked; `undefined` when none is given. */
export function resolveHandlers(handlers: AppHandlers | undefined): AppHandlers | undefined {
  if (handlers === undefined) return undefined;
  if (typeof handlers !== "object" || handlers === null) {
    throw new TypeError(`Cannot use 'handlers': expected an object, got ${typeof handlers}`);
  }
  for (const name of Object.keys(handlers)) {
    if (!(KINDS as readonly string[]).includes(name)) {
      throw new TypeError(
        `Cannot use handler '${name}': the handlers are ${
          KINDS.join(", ")
        } (RPC methods go to hub.rpc)`,
      );
    }
    const value = handlers[name as keyof AppHandlers];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`Cannot use handler '${name}': expected a function, got ${typeof value}`);
    }
  }
  return handlers;
}

/**
 * The events observer, checked, and guarded: what it throws is logged, and
 * never reaches the session that told it.
 */
export function resolveEvents(
  events: HubEventSink | undefined,
  log: (entry: LogEntry) => void,
): HubEventSink | undefined {
  if (events === undefined) return undefined;
  if (typeof events !== "function") {
    throw new TypeError(`Cannot use 'events': expected a function, got ${typeof events}`);
  }
  return (event) => {
    try {
      events(event);
    } catch (error) {
      log({ level: "error", event: "events.failed", type: event.type, ...errorDetail(error) });
    }
  };
}

/** The limits with their defaults, checked. */
export function resolveHandlerLimits(limits: Partial<HandlerLimits> | undefined): HandlerLimits {
  const resolved = { ...DEFAULT_HANDLER_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot use handlerLimits.${name}: expected a positive integer, got ${value}`,
      );
    }
  }
  return resolved;
}
