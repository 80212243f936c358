// What every hook needs: the provider's context, and the error of a call
// made before the provider has a client.

import { RealtimeError } from "../client/errors.ts";
import type { RealtimeContextValue } from "./context.ts";

/**
 * The nearest provider's context value.
 *
 * @param value The context value read.
 * @param hook The hook's name, for the error.
 * @returns The context value.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 */
export function requireRealtimeContext(
  value: RealtimeContextValue | null,
  hook: string,
): RealtimeContextValue {
  if (value === null) {
    throw new TypeError(`Cannot call ${hook} outside a RealtimeProvider: wrap the tree in one`);
  }
  return value;
}

/** The error of a call made before the provider has a client. */
export function noClient(what: string): RealtimeError {
  return new RealtimeError(
    "CLOSED",
    `Cannot ${what}: the RealtimeProvider has no client yet (not mounted, or no token)`,
  );
}
