/**
 * React bindings for `RealtimeClient`: a {@linkcode RealtimeProvider} that
 * owns one client for a tree, and hooks for the connection
 * ({@linkcode useRealtime}), a topic's messages ({@linkcode useSubscription}),
 * live presence ({@linkcode usePresence}), history ({@linkcode useHistory}),
 * publishing ({@linkcode usePublish})
 * and RPC ({@linkcode useRpc}). `react` (18 or 19) is a peer dependency.
 * Safe under StrictMode and with server rendering: no socket is opened
 * while rendering. See `docs/react.md`.
 *
 * @example A component
 * ```ts
 * import { usePresence, usePublish, useRealtime, useSubscription } from "@realtime/hub/react";
 *
 * function useRoom(room: string) {
 *   const { isConnected } = useRealtime();
 *   const { messages } = useSubscription<{ text: string }>(`chat:${room}`);
 *   const { members } = usePresence(`chat:${room}`);
 *   const publish = usePublish();
 *   return { isConnected, messages, members, say: (text: string) => publish(`chat:${room}`, { text }) };
 * }
 * ```
 *
 * @module
 */

export * from "./context.ts";
export * from "./provider.ts";
export * from "./use_realtime.ts";
export * from "./use_subscription.ts";
export * from "./use_presence.ts";
export * from "./use_history.ts";
export * from "./use_publish.ts";
export * from "./use_rpc.ts";
