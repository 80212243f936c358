/**
 * The bare pub/sub loop the hub is measured against, without a server: the
 * hub's JSON frames (subscribe, publish, ack, message) with no
 * authentication, no ACL and no frame validation beyond `JSON.parse`.
 * `bare_deno.ts` serves it over `Deno.upgradeWebSocket`; `publish_path.ts
 * --bare` runs it in process on the same frames as the hub.
 *
 * @module
 */

/** Anything a frame can be sent to. */
export interface BareSocket {
  send(text: string): void;
}

/** One loop's handlers, over its own topic table. */
export interface BareLoop<S extends BareSocket> {
  /** Handles a frame from `socket`, which is subscribed to `subscribed`. */
  onMessage(socket: S, subscribed: Set<string>, data: unknown): void;
  /** Takes a closed socket out of the topics it subscribed to. */
  leave(socket: S, subscribed: Set<string>): void;
}

/**
 * Creates a bare loop.
 *
 * @returns Its handlers.
 */
export function createBareLoop<S extends BareSocket>(): BareLoop<S> {
  const topics = new Map<string, Set<S>>();
  return {
    onMessage(socket, subscribed, data) {
      if (typeof data !== "string") return;
      const frame = JSON.parse(data);
      if (frame.type === "subscribe") {
        let set = topics.get(frame.topic);
        if (set === undefined) topics.set(frame.topic, set = new Set());
        set.add(socket);
        subscribed.add(frame.topic);
      } else if (frame.type === "publish") {
        // Serialized once per publication, as the hub does.
        const text = JSON.stringify({
          type: "message",
          topic: frame.topic,
          payload: frame.payload ?? null,
          from: null,
          ts: Date.now(),
        });
        const set = topics.get(frame.topic);
        if (set !== undefined) { for (const s of set) s.send(text); }
      }
      // A frame without an id asks for no ack, as on the hub (fire-and-forget publishes).
      if (frame.id !== undefined) socket.send(JSON.stringify({ type: "ack", id: frame.id }));
    },
    leave(socket, subscribed) {
      for (const topic of subscribed) {
        const set = topics.get(topic);
        set?.delete(socket);
        if (set?.size === 0) topics.delete(topic);
      }
    },
  };
}
