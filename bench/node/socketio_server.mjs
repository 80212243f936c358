// Socket.IO on Node, the peer users would pick instead: websocket transport
// only, rooms as topics, `subscribe`/`publish` events with ack callbacks.
// Prints `READY <port>` once listening.
import { createServer } from "node:http";
import process from "node:process";
// A dynamic import: `deno check .` resolves every static import in the
// repository, and socket.io is a bench/node dependency (npm ci), not in deno.json.
const { Server } = await import("socket.io");

const http = createServer();
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
});

io.on("connection", (socket) => {
  socket.on("subscribe", (topic, ack) => {
    socket.join(topic);
    if (typeof ack === "function") ack();
  });
  socket.on("publish", (topic, payload, ack) => {
    io.to(topic).emit("message", { topic, payload: payload ?? null, from: null, ts: Date.now() });
    if (typeof ack === "function") ack();
  });
});

http.listen(0, "127.0.0.1", () => process.stdout.write(`READY ${http.address().port}\n`));
process.on("SIGTERM", () => io.close(() => process.exit(0)));
