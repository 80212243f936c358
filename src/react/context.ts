/**
 * The React context that carries a {@linkcode RealtimeProvider}'s client to
 * its hooks.
 *
 * @module
 */

import { type Context, createContext } from "react";
import type { RealtimeClient } from "../client/client.ts";

/** What a {@linkcode RealtimeProvider} gives its hooks. */
export interface RealtimeContextValue {
  /**
   * The provider's client (`idle` until the provider's effect connects it,
   * so never connected during server rendering), or `null` while no token
   * is known.
   */
  readonly client: RealtimeClient | null;
  /** Supplies a token when the provider was given none (`useRealtime(token)`). */
  readonly setToken: (token: string | undefined) => void;
}

/**
 * The context {@linkcode RealtimeProvider} fills; `null` outside one.
 *
 * @example Read the client directly
 * ```ts
 * import { RealtimeContext } from "@realtime/hub/react";
 * import { useContext } from "react";
 *
 * function useRawClient() {
 *   return useContext(RealtimeContext)?.client ?? null;
 * }
 * ```
 */
export const RealtimeContext: Context<RealtimeContextValue | null> = createContext<
  RealtimeContextValue | null
>(null);
