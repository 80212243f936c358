/**
 * {@linkcode usePublish}: a stable function that publishes with the provider's client.
 *
 * @module
 */

import { useCallback, useContext } from "react";
import type { PublishOptions, PublishResult } from "../client/client.ts";
import { RealtimeContext } from "./context.ts";
import { noClient, requireRealtimeContext } from "./_require.ts";

/** What {@linkcode usePublish} returns: `RealtimeClient.publish` of the provider's client. */
export type PublishFunction = (
  topic: string,
  payload: unknown,
  options?: PublishOptions,
) => Promise<PublishResult>;

/**
 * A function that publishes with the provider's client (queued while it
 * reconnects), stable while the client is.
 *
 * @returns The publish function; it rejects with `CLOSED` before the provider has a client.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 *
 * @example Send a chat line
 * ```ts
 * import { usePublish } from "@realtime/hub/react";
 *
 * function useSay(room: string) {
 *   const publish = usePublish();
 *   return (text: string) => publish(`chat:${room}`, { text });
 * }
 * ```
 */
export function usePublish(): PublishFunction {
  const { client } = requireRealtimeContext(useContext(RealtimeContext), "usePublish");
  return useCallback((topic: string, payload: unknown, options?: PublishOptions) => {
    if (client === null) return Promise.reject(noClient("publish"));
    return client.publish(topic, payload, options);
  }, [client]);
}
