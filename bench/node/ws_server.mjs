// Node + npm `ws`: the same JSON frames and fan-out loop as the bare Deno
// baseline (bench/servers/bare_deno.ts), no authentication, no ACL.
// Prints `READY <port>` once listening.
import process from "node:process";
import { WebSocketServer } from "ws";

const topics = new Map();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });

wss.on("connection", (socket) => {
  const subscribed = new Set();
  socket.on("error", () => {});
  socket.on("message", (data, isBinary) => {
    if (isBinary) return;
    const frame = JSON.parse(data.toString());
    if (frame.type === "subscribe") {
      let set = topics.get(frame.topic);
      if (set === undefined) topics.set(frame.topic, set = new Set());
      set.add(socket);
      subscribed.add(frame.topic);
    } else if (frame.type === "publish") {
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
  });
  socket.on("close", () => {
    for (const topic of subscribed) {
      const set = topics.get(topic);
      set?.delete(socket);
      if (set?.size === 0) topics.delete(topic);
    }
  });
});

wss.on("listening", () => process.stdout.write(`READY ${wss.address().port}\n`));
process.on("SIGTERM", () => wss.close(() => process.exit(0)));
