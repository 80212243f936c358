// Run by tests/node/node_client_test.ts under the system's Node:
// `node _round_trip.mjs <bundle> <hub url> <token>`. Subscribes, publishes,
// waits for its own message (bounded), server-renders the React bindings,
// and prints one JSON line of what it saw. Exits 1 with the error otherwise.

const [bundle, url, token] = process.argv.slice(2);
const {
  RealtimeClient,
  RealtimeProvider,
  WebSocket,
  createElement,
  renderToString,
  useRealtime,
  useSubscription,
} = await import(bundle);

const WAIT_MS = 20_000;

function Room() {
  const { state, isConnected } = useRealtime();
  const { messages } = useSubscription("chat:node");
  return `${state} ${isConnected} ${messages.length}`;
}
const report = { node: process.versions.node, nativeWebSocket: typeof globalThis.WebSocket };

// Without a WebSocket implementation, Node 20 gets a clear error at construction.
try {
  new RealtimeClient({ url, token }).close();
  report.withoutWebSocket = "constructed";
} catch (error) {
  report.withoutWebSocket = `${error.name}: ${error.message}`;
}

const rt = new RealtimeClient({ url, token, WebSocket });
try {
  const got = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No message within ${WAIT_MS} ms`)), WAIT_MS);
    const off = rt.subscribe("chat:node", (message) => {
      clearTimeout(timer);
      off();
      resolve(message);
    });
    off.ready.then(() => rt.publish("chat:node", { text: "from node" }), reject);
  });
  const message = await got;
  report.message = { topic: message.topic, from: message.from, payload: message.payload };
  report.user = rt.user;

  // Server rendering of the bindings: no socket, the idle snapshot.
  let sockets = 0;
  class Counting extends WebSocket {
    constructor(...args) {
      super(...args);
      sockets++;
    }
  }
  report.html = renderToString(
    createElement(
      RealtimeProvider,
      { url, token, options: { WebSocket: Counting } },
      createElement(Room),
    ),
  );
  report.ssrSockets = sockets;
} finally {
  await rt.close();
}
// The report is this script's output, read by the test.
process.stdout.write(`${JSON.stringify(report)}\n`);
