/**
 * The ceiling on this runtime: a bare `Deno.upgradeWebSocket` pub/sub loop
 * speaking the hub's JSON frames (subscribe, publish, ack, message) with no
 * authentication, no ACL and no frame validation beyond `JSON.parse`. Prints
 * `READY <port>` once listening.
 *
 * @module
 */

const topics = new Map<string, Set<WebSocket>>();

function onMessage(socket: WebSocket, subscribed: Set<string>, data: unknown): void {
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
  socket.send(JSON.stringify({ type: "ack", id: frame.id }));
}

const server = Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen: ({ port }) => {
    Deno.stdout.writeSync(new TextEncoder().encode(`READY ${port}\n`));
  },
}, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("not found", { status: 404 });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  const subscribed = new Set<string>();
  socket.onmessage = (event) => onMessage(socket, subscribed, event.data);
  socket.onclose = () => {
    for (const topic of subscribed) {
      const set = topics.get(topic);
      set?.delete(socket);
      if (set?.size === 0) topics.delete(topic);
    }
  };
  socket.onerror = () => {};
  return response;
});

Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
