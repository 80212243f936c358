/**
 * {@linkcode useRealtime}: the connection state, server-pushed events and RPC.
 *
 * @module
 */

import { useCallback, useContext, useEffect, useMemo, useSyncExternalStore } from "react";
import type { RealtimeClient } from "../client/client.ts";
import type { ConnectionState } from "../client/options.ts";
import type { RealtimeMessage } from "../client/subscription.ts";
import { RealtimeContext } from "./context.ts";
import { noClient, requireRealtimeContext } from "./_require.ts";

/** The connection state as the hooks see it: `"idle"` while the provider has no client yet. */
export type RealtimeState = ConnectionState | "idle";

/** Called with a server-pushed event's payload and the whole message. */
export type EventCallback<T = unknown> = (payload: T, message: RealtimeMessage<T>) => void;

/** What {@linkcode useRealtime} returns. */
export interface UseRealtimeResult {
  /** The provider's client, `null` before it is created. */
  readonly client: RealtimeClient | null;
  /** The connection state. */
  readonly state: RealtimeState;
  /** Whether the state is `"open"`. */
  readonly isConnected: boolean;
  /**
   * Listens to server-pushed events named `type` (`hub.sendToUser(user,
   * type, payload)`, `hub.broadcast({ event: type, ... })`, a server
   * publication with an `event`). Stable while the client is. The payload
   * is `any` unless `T` says otherwise, as in an untyped event hook.
   *
   * @returns A function that removes the listener.
   */
  // deno-lint-ignore no-explicit-any
  on<T = any>(type: string, callback: EventCallback<T>): () => void;
  /**
   * Calls the hub's RPC method `type` with `payload` (`rt.rpc(type,
   * payload)`, answered by `hub.rpc(type, handler)`). Stable while the
   * client is.
   *
   * @returns The method's answer.
   * @throws {RealtimeError} `CLOSED` when there is no client yet, or the hub's refusal.
   */
  send(type: string, payload?: unknown): Promise<unknown>;
}

/**
 * The state of a client, as a stable snapshot for `useSyncExternalStore`.
 *
 * @param client The client, or `null`.
 * @returns Its state, `"idle"` for `null`.
 *
 * @example Show the state of a client made elsewhere
 * ```ts
 * import { useConnectionState } from "@realtime/hub/react";
 * import type { RealtimeClient } from "@realtime/hub/client";
 *
 * function useOnline(client: RealtimeClient | null): boolean {
 *   return useConnectionState(client) === "open";
 * }
 * ```
 */
export function useConnectionState(client: RealtimeClient | null): RealtimeState {
  const subscribe = useCallback(
    (changed: () => void) => client === null ? () => {} : client.on("state", changed),
    [client],
  );
  return useSyncExternalStore(
    subscribe,
    () => client?.state ?? "idle",
    () => "idle",
  );
}

/**
 * The provider's connection: its state, `on(type, callback)` for
 * server-pushed events and `send(type, payload)` for RPC.
 *
 * @param token A token for the provider to connect with, when the provider
 * was given none (as in `useRealtime(authToken)`); a new token reconnects.
 * @returns The state, `isConnected`, `on`, `send` and the client.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 *
 * @example Listen to notifications, call a method
 * ```ts
 * import { useRealtime } from "@realtime/hub/react";
 * import { useEffect } from "react";
 *
 * function useNotifications(authToken: string, show: (title: string) => void) {
 *   const { isConnected, on, send } = useRealtime(authToken);
 *   useEffect(() => on<{ title: string }>("notification", (p) => show(p.title)), [on]);
 *   return { isConnected, ping: () => send("test", { message: "hi" }) };
 * }
 * ```
 */
export function useRealtime(token?: string): UseRealtimeResult {
  const { client, setToken } = requireRealtimeContext(
    useContext(RealtimeContext),
    "useRealtime",
  );
  useEffect(() => {
    if (token !== undefined) setToken(token);
  }, [token, setToken]);
  const state = useConnectionState(client);
  const on = useCallback(<T>(type: string, callback: EventCallback<T>) => {
    if (client === null) return () => {};
    return client.on("notification", (message) => {
      if (message.event === type) callback(message.payload as T, message as RealtimeMessage<T>);
    });
  }, [client]);
  const send = useCallback((type: string, payload: unknown = null) => {
    if (client === null) return Promise.reject(noClient("send"));
    return client.rpc(type, payload);
  }, [client]);
  return useMemo(
    () => ({ client, state, isConnected: state === "open", on, send }),
    [client, state, on, send],
  );
}
