// Socket.IO on Node, the peer users would pick instead: websocket transport
// only, rooms as topics, `subscribe`/`publish` events with ack callbacks.
// With REDIS_URL set, rooms span every node through @socket.io/redis-adapter
// (the scale-out peer of bench/scale_out.ts). Prints `READY <port>` once listening.
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

const redisUrl = process.env.REDIS_URL;
let redisClients = [];
if (redisUrl !== undefined && redisUrl !== "") {
  const { createAdapter } = await import("@socket.io/redis-adapter");
  const { createClient } = await import("redis");
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  redisClients = [pub, sub];
  io.adapter(createAdapter(pub, sub));
}

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
process.on("SIGTERM", () =>
  io.close(async () => {
    await Promise.all(redisClients.map((c) => c.quit().catch(() => {})));
    process.exit(0);
  }));
