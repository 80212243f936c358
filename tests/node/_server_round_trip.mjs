// Run by tests/node/node_server_test.ts: `node _server_round_trip.mjs <bundle>`.
// Serves a hub with the node:http WebSocket adapter under Node, connects a
// `ws` client, subscribes, publishes a message with multi-byte characters
// long enough for a 16-bit frame length, receives it, sends a frame the
// adapter must refuse (RSV1 set) from a second client, and prints one JSON
// report line. Every wait is bounded.

const bundle = await import(process.argv[2]);
const secret = "a-node-test-secret-of-32-bytes-long!!";
const hub = bundle.composeHub(
  { auth: { secret }, log: () => {} },
  {
    upgrade: () => {
      throw new Error("Deno.serve upgrades are not used under Node");
    },
    schedule: setImmediate,
  },
);
const server = await bundle.listenNode(hub, { port: 0, hostname: "127.0.0.1" });
const token = await bundle.mintToken(
  { sub: "noder", acl: { "chat:*": ["subscribe", "publish"] } },
  { secret },
  { ttl: "1h" },
);
const url = `ws://127.0.0.1:${server.port}/ws`;
const deadline = setTimeout(() => {
  process.stderr.write("timed out\n");
  process.exit(2);
}, 20_000);

function open() {
  const ws = new bundle.WebSocket(url, ["realtime.v1", "auth", token]);
  const frames = [];
  const waiters = [];
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  async function next(type) {
    for (;;) {
      const at = frames.findIndex((f) => f.type === type);
      if (at >= 0) return frames.splice(at, 1)[0];
      await new Promise((resolve) => waiters.push(resolve));
    }
  }
  return { ws, next, closed };
}

const a = open();
const welcome = await a.next("welcome");
a.ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: "chat:node" }));
await a.next("ack");
const text = "é€".repeat(100);
a.ws.send(JSON.stringify({ type: "publish", id: 2, topic: "chat:node", payload: { text } }));
const message = await a.next("message");

// A second client sends a frame with RSV1 set (no extension was agreed): 1002.
const b = open();
await b.next("welcome");
// Written under ws (its socket is a private field: a test-only shortcut to raw bytes).
b.ws._socket.write(Buffer.from([0xc1, 0x80, 1, 2, 3, 4]));
const refused = await b.closed;

a.ws.close(1000);
const closed = await a.closed;
await server.close();
await hub.close();
clearTimeout(deadline);
process.stdout.write(`${
  JSON.stringify({
    node: process.versions.node,
    user: welcome.user,
    received: message.payload.text === text,
    from: message.from,
    refused,
    closed,
  })
}\n`);
