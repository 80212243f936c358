// One fast client per wire protocol, all on npm `ws` so every peer pays the
// same client cost: `hub` (docs/protocol.md, token in the subprotocol list,
// newline-delimited batches split), `plain` (the same JSON frames without
// auth), `sio` (Engine.IO v4 / Socket.IO v5 framing spoken directly) and
// `nats` (the NATS text protocol over its WebSocket listener; PING/PONG
// stands in for acks since NATS answers them in order).
import { Buffer } from "node:buffer";
import WebSocket from "ws";

/**
 * Reads `seq` and `t` of a benchmark payload from a delivery's text without
 * `JSON.parse`, so the load generator stays well below one core at several
 * hundred thousand deliveries per second. `undefined` when the text is not
 * a delivery (acks, welcome, errors go through `JSON.parse`).
 * @param {string} text
 * @returns {{seq: number, t: number} | undefined}
 */
export function readDelivery(text) {
  const at = text.indexOf('"seq":');
  if (at < 0) return undefined;
  const t = text.indexOf('"t":', at);
  return {
    seq: Number.parseInt(text.slice(at + 6, at + 24), 10),
    t: Number.parseFloat(text.slice(t + 4, t + 40)),
  };
}

const SOCKET_OPTIONS = {
  perMessageDeflate: false,
  skipUTF8Validation: true,
  handshakeTimeout: 15_000,
  // A zero masking key: servers unmask whatever the key, and with it `ws`
  // writes the text as is instead of copying and XOR-ing every frame. The
  // same for every peer; it only lowers the client's cost per message.
  generateMask: (mask) => mask.fill(0),
};

const ACK_PREFIX = '{"type":"ack","id":';

/**
 * @typedef {object} Client
 * @property {(topic: string) => Promise<void>} subscribe Subscribes; resolves on the ack.
 * @property {(topic: string, payload: string) => Promise<void>} publish Publishes a payload given as JSON text; resolves on the ack.
 * @property {(payload: any) => void} onMessage Receives each delivered payload.
 * @property {() => void} close Closes the socket.
 */

/**
 * Opens one connection and resolves once it may subscribe.
 * @param {"hub" | "plain" | "sio" | "nats"} protocol
 * @param {string} url
 * @param {string | undefined} token The JWT (hub only).
 * @param {{errors: number}} stats Error frames and replies are counted here.
 * @returns {Promise<Client>}
 */
export function connect(protocol, url, token, stats) {
  switch (protocol) {
    case "hub":
      return jsonClient(
        new WebSocket(url, ["realtime.v1.batch", "realtime.v1", "auth", token], SOCKET_OPTIONS),
        true,
        stats,
      );
    case "plain":
      return jsonClient(new WebSocket(url, SOCKET_OPTIONS), false, stats);
    case "sio":
      return sioClient(new WebSocket(url, SOCKET_OPTIONS), stats);
    case "nats":
      return natsClient(new WebSocket(url, SOCKET_OPTIONS), stats);
    default:
      return Promise.reject(new TypeError(`Unknown protocol '${protocol}'`));
  }
}

/**
 * Coalesces the client's own writes: sends made while the socket's incoming
 * messages of this event-loop turn are handled (a publish for each ack) leave
 * in one write at the end of the turn instead of one syscall each. Applied to
 * every peer alike; servers still receive one WebSocket message per frame.
 * Registered after the protocol's own listener, so the acks it resolves run
 * their continuations while the socket is corked.
 */
function coalesceWrites(ws) {
  let corked = false;
  ws.on("message", () => {
    if (corked) return;
    const socket = ws._socket;
    if (socket === null || socket === undefined) return;
    corked = true;
    socket.cork();
    setImmediate(() => {
      corked = false;
      socket.uncork();
    });
  });
}

function opened(ws, whenReady) {
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.on("error", (error) => {
      if (!ready) reject(error);
    });
    ws.on("close", (code) => {
      if (!ready) reject(new Error(`Closed with ${code} before ready`));
    });
    whenReady(() => {
      ready = true;
      resolve();
    });
  });
}

function jsonClient(ws, waitForWelcome, stats) {
  const pending = new Map();
  let nextId = 1;
  let markReady = () => {};
  const client = {
    onMessage: () => {},
    subscribe: (topic) => request({ type: "subscribe", topic }),
    publish: (topic, payload) => request({ type: "publish", topic, payload }),
    close: () => ws.terminate(),
  };
  function request(frame) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // Built by hand: the client's own cost must stay small next to the server's.
      const payload = frame.payload === undefined ? "" : `,"payload":${frame.payload}`;
      ws.send(`{"type":"${frame.type}","id":${id},"topic":"${frame.topic}"${payload}}`);
    });
  }
  function handle(line) {
    const delivery = readDelivery(line);
    if (delivery !== undefined) return client.onMessage(delivery);
    if (line.startsWith(ACK_PREFIX) && line.indexOf(",", ACK_PREFIX.length) < 0) {
      // `{"type":"ack","id":N}`, the commonest reply, read without JSON.parse.
      const id = Number.parseInt(line.slice(ACK_PREFIX.length), 10);
      const waiter = pending.get(id);
      pending.delete(id);
      return waiter?.resolve();
    }
    const frame = JSON.parse(line);
    if (frame.type === "message") return client.onMessage(frame.payload);
    if (frame.type === "ack" || frame.type === "error") {
      const waiter = pending.get(frame.id);
      pending.delete(frame.id);
      if (frame.type === "error") {
        stats.errors++;
        waiter?.reject(new Error(`${frame.code}: ${frame.message}`));
      } else waiter?.resolve();
      return;
    }
    if (frame.type === "welcome") markReady();
  }
  ws.on("message", (data) => {
    const text = data.toString();
    // A hub speaking `realtime.v1.batch` packs several frames per message.
    if (text.indexOf("\n") < 0) return handle(text);
    for (const line of text.split("\n")) if (line.length > 0) handle(line);
  });
  ws.on("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("Socket closed"));
    pending.clear();
  });
  coalesceWrites(ws);
  return opened(ws, (ready) => {
    if (waitForWelcome) markReady = ready;
    else ws.on("open", ready);
  }).then(() => client);
}

function sioClient(ws, stats) {
  const pending = new Map();
  let nextId = 1;
  let markReady = () => {};
  const client = {
    onMessage: () => {},
    subscribe: (topic) => emit(`"subscribe","${topic}"`),
    publish: (topic, payload) => emit(`"publish","${topic}",${payload}`),
    close: () => ws.terminate(),
  };
  /** @param {string} args The event's arguments as JSON text, without the brackets. */
  function emit(args) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(`42${id}[${args}]`);
    });
  }
  ws.on("message", (data) => {
    const text = data.toString();
    if (text.startsWith("42")) {
      const delivery = readDelivery(text);
      if (delivery !== undefined) client.onMessage(delivery);
    } else if (text.startsWith("43")) {
      const id = Number.parseInt(text.slice(2), 10);
      pending.get(id)?.resolve();
      pending.delete(id);
    } else if (text === "2") ws.send("3"); // Engine.IO ping
    else if (text.startsWith("0")) ws.send("40"); // Engine.IO open: join namespace "/"
    else if (text.startsWith("40")) markReady();
    else if (text.startsWith("44")) stats.errors++;
  });
  ws.on("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("Socket closed"));
    pending.clear();
  });
  coalesceWrites(ws);
  return opened(ws, (ready) => markReady = ready).then(() => client);
}

function natsClient(ws, stats) {
  const pongs = [];
  let sid = 0;
  let buffered = "";
  let connected = false;
  const client = {
    onMessage: () => {},
    subscribe: (topic) => flush(`SUB ${topic} ${++sid}\r\n`),
    publish: (topic, payload) => {
      const body = payload;
      return flush(`PUB ${topic} ${Buffer.byteLength(body)}\r\n${body}\r\n`);
    },
    close: () => ws.terminate(),
  };
  function flush(command) {
    return new Promise((resolve, reject) => {
      pongs.push({ resolve, reject });
      ws.send(`${command}PING\r\n`);
    });
  }
  let markReady = () => {};
  function parse() {
    let pos = 0;
    while (true) {
      const eol = buffered.indexOf("\r\n", pos);
      if (eol < 0) break;
      if (buffered.startsWith("MSG ", pos)) {
        const size = Number(buffered.slice(buffered.lastIndexOf(" ", eol) + 1, eol));
        if (buffered.length < eol + 2 + size + 2) break;
        const body = buffered.slice(eol + 2, eol + 2 + size);
        pos = eol + 2 + size + 2;
        const delivery = readDelivery(body);
        if (delivery !== undefined) client.onMessage(delivery);
        continue;
      }
      const line = buffered.slice(pos, eol);
      pos = eol + 2;
      if (line === "PING") ws.send("PONG\r\n");
      else if (line === "PONG") pongs.shift()?.resolve();
      else if (line.startsWith("-ERR")) stats.errors++;
      else if (line.startsWith("INFO") && !connected) {
        connected = true;
        ws.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":false}\r\n');
        flush("").then(() => markReady(), () => {});
      }
    }
    buffered = buffered.slice(pos);
  }
  ws.on("message", (data) => {
    buffered += data.toString();
    parse();
  });
  ws.on("close", () => {
    for (const waiter of pongs) waiter.reject(new Error("Socket closed"));
    pongs.length = 0;
  });
  coalesceWrites(ws);
  return opened(ws, (ready) => markReady = ready).then(() => client);
}
