/**
 * {@linkcode useRpc}: a stable function that calls the hub's RPC methods.
 *
 * @module
 */

import { useCallback, useContext } from "react";
import type { PresenceOptions } from "../client/client.ts";
import { RealtimeContext } from "./context.ts";
import { noClient, requireRealtimeContext } from "./_require.ts";

/** What {@linkcode useRpc} returns: `RealtimeClient.rpc` of the provider's client. */
export type RpcFunction = <T = unknown>(
  method: string,
  data?: unknown,
  options?: PresenceOptions,
) => Promise<T>;

/**
 * A function that calls a method the hub registered with `hub.rpc`, stable
 * while the client is.
 *
 * @returns The call function; it rejects with `CLOSED` before the provider
 * has a client, and with the hub's code when the method refuses.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 *
 * @example Ask the hub for the time
 * ```ts
 * import { useRpc } from "@realtime/hub/react";
 *
 * function useHubTime() {
 *   const rpc = useRpc();
 *   return () => rpc<{ now: number }>("time.now");
 * }
 * ```
 */
export function useRpc(): RpcFunction {
  const { client } = requireRealtimeContext(useContext(RealtimeContext), "useRpc");
  return useCallback(<T>(method: string, data: unknown = null, options?: PresenceOptions) => {
    if (client === null) return Promise.reject(noClient("call"));
    return client.rpc(method, data, options) as Promise<T>;
  }, [client]);
}
