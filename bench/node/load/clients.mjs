// One fast client per wire protocol, all on npm `ws` so every peer pays the
// same client cost: `hub` (docs/protocol.md, token in the subprotocol list,
// newline-delimited batches split), `stomp` (STOMP 1.2 frames), `sse` (a
// receive-only `GET /sse` stream on Node's plain `http`, whose publisher is
// a `hub` client), `plain` (the same JSON frames without
// auth), `sio` (Engine.IO v4 / Socket.IO v5 framing spoken directly) and
// `nats` (the NATS text protocol over its WebSocket listener; PING/PONG
// stands in for acks since NATS answers them in order).
import { Buffer } from "node:buffer";
import http from "node:http";
import WebSocket from "ws";

/**
 * Reads `seq` and `t` of a benchmark payload from a delivery's text without
 * `JSON.parse` or any allocation and passes them to `onMessage`, so the load
 * generator stays well below one core at several hundred thousand
 * deliveries per second. Returns false when the text is not a delivery
 * (acks, welcome, errors go through `JSON.parse`).
 * @param {string} text
 * @param {(seq: number, t: number) => void} onMessage
 * @returns {boolean}
 */
export function readDelivery(text, onMessage) {
  const at = text.indexOf('"seq":');
  if (at < 0) return false;
  onMessage(intAt(text, at + 6), intAt(text, text.indexOf('"t":', at) + 4));
  return true;
}

/** The non-negative decimal integer starting at `i`. */
function intAt(text, i) {
  let n = 0;
  for (
    let c = text.charCodeAt(i);
    c >= 48 && c <= 57;
    c = text.charCodeAt(++i)
  ) n = n * 10 + c - 48;
  return n;
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
 * @property {(topic: string, payload: string, done: (error?: Error) => void) => void} publish Publishes a payload given as JSON text; `done` is called on the ack (with an error on a refusal or a close).
 * @property {(topic: string, payload: string) => void} fire Publishes a payload given as JSON text asking for no ack (no `id`, no ack callback, no PING); a refusal counts in `stats.errors`.
 * @property {(seq: number, t: number) => void} onMessage Receives each delivered payload's `seq` and `t`.
 * @property {() => void} close Closes the socket.
 */

/**
 * Opens one connection and resolves once it may subscribe.
 * @param {"hub" | "hub-v1" | "stomp" | "sse" | "plain" | "sio" | "nats"} protocol
 * @param {string} url
 * @param {string | undefined} token The JWT (hub only).
 * @param {{errors: number}} stats Error frames and replies are counted here.
 * @returns {Promise<Client>}
 */
export function connect(protocol, url, token, stats) {
  switch (protocol) {
    case "hub":
      return jsonClient(
        new WebSocket(
          url,
          ["realtime.v1.batch", "realtime.v1", "auth", token],
          SOCKET_OPTIONS,
        ),
        true,
        stats,
      );
    case "hub-v1":
      // Only `realtime.v1` (no batching), and publishes without ids: no acks.
      return jsonClient(
        new WebSocket(url, ["realtime.v1", "auth", token], SOCKET_OPTIONS),
        true,
        stats,
        true,
      );
    case "stomp":
      return stompClient(new WebSocket(url, ["v12.stomp"], SOCKET_OPTIONS), token, stats);
    case "sse":
      return Promise.resolve(sseClient(url, token, stats));
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
 * The protocol a publisher of `protocol`'s peer speaks: its own, or for a
 * receive-only one (SSE) protocol v1 over WebSocket, as the `hub` peers'
 * publisher does, so the two runs differ only in their subscribers.
 * @param {string} protocol
 * @returns {string}
 */
export function publisherProtocol(protocol) {
  return protocol === "sse" ? "hub" : protocol;
}

/**
 * Coalesces the client's own writes: sends made while the socket's incoming
 * messages of this event-loop turn are handled (a publish for each ack) leave
 * in one write at the end of the turn instead of one syscall each. Applied to
 * every peer alike; servers still receive one WebSocket message per frame.
 * Registered before the protocol's own listener, so the publishes its ack
 * callbacks send go out while the socket is corked.
 */
function coalesceWrites(ws) {
  const cork = corkForTurn(ws);
  ws.on("message", cork);
}

/**
 * A function that corks `ws`'s socket until the end of this event-loop turn
 * (once per turn, whatever the calls): what is sent meanwhile leaves in one
 * write. Also called by `fire`, whose publishes a publisher sends while
 * handling other sockets' deliveries.
 */
function corkForTurn(ws) {
  let corked = false;
  return () => {
    if (corked) return;
    const socket = ws._socket;
    if (socket === null || socket === undefined) return;
    corked = true;
    socket.cork();
    setImmediate(() => {
      corked = false;
      socket.uncork();
    });
  };
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

function jsonClient(ws, waitForWelcome, stats, fireAndForget = false) {
  const pending = new Map();
  /** Fire-and-forget publishes, settled by their own delivery (the publisher subscribes to its topic). */
  const own = [];
  let nextId = 1;
  let markReady = () => {};
  const cork = corkForTurn(ws);
  const client = {
    onMessage: () => {},
    subscribe: (topic) => promised((done) => request("subscribe", topic, "", done)),
    fire: (topic, payload) => {
      cork();
      ws.send(`{"type":"publish","topic":"${topic}","payload":${payload}}`);
    },
    publish: fireAndForget
      ? (topic, payload, done) => {
        own.push(done);
        ws.send(`{"type":"publish","topic":"${topic}","payload":${payload}}`);
      }
      : (topic, payload, done) => request("publish", topic, `,"payload":${payload}`, done),
    close: () => ws.terminate(),
  };
  const delivered = (seq, t) => {
    client.onMessage(seq, t);
    if (fireAndForget) own.shift()?.();
  };
  // Built by hand: the client's own cost must stay small next to the server's.
  function request(type, topic, rest, done) {
    const id = nextId++;
    pending.set(id, done);
    ws.send(`{"type":"${type}","id":${id},"topic":"${topic}"${rest}}`);
  }
  function handle(line) {
    if (readDelivery(line, delivered)) return;
    if (
      line.startsWith(ACK_PREFIX) && line.indexOf(",", ACK_PREFIX.length) < 0
    ) {
      // `{"type":"ack","id":N}`, the commonest reply, read without JSON.parse.
      return settle(pending, intAt(line, ACK_PREFIX.length));
    }
    const frame = JSON.parse(line);
    if (frame.type === "message") {
      return delivered(frame.payload.seq, frame.payload.t);
    }
    if (frame.type === "ack") return settle(pending, frame.id);
    if (frame.type === "error") {
      stats.errors++;
      if (fireAndForget && frame.id === undefined) {
        return own.shift()?.(new Error(`${frame.code}: ${frame.message}`));
      }
      return settle(
        pending,
        frame.id,
        new Error(`${frame.code}: ${frame.message}`),
      );
    }
    if (frame.type === "welcome") markReady();
  }
  coalesceWrites(ws);
  ws.on("message", (data) => {
    const text = data.toString();
    // A hub speaking `realtime.v1.batch` packs several frames per message.
    if (text.indexOf("\n") < 0) return handle(text);
    for (const line of text.split("\n")) if (line.length > 0) handle(line);
  });
  ws.on("close", () => failAll(pending.values(), pending));
  return opened(ws, (ready) => {
    if (waitForWelcome) markReady = ready;
    else ws.on("open", ready);
  }).then(() => client);
}

/**
 * STOMP 1.2 (docs/stomp.md): CONNECT with the token as `passcode`, SUBSCRIBE
 * and SEND with a `receipt` each, settled by its RECEIPT; a topic `a:b` is
 * the destination `/topic/a/b`. One frame per message, as the hub writes.
 */
function stompClient(ws, token, stats) {
  const pending = new Map();
  let nextId = 1;
  let markReady = () => {};
  const destination = (topic) => `/topic/${topic.replaceAll(":", "/")}`;
  const client = {
    onMessage: () => {},
    subscribe: (topic) =>
      promised((done) => {
        const id = nextId++;
        pending.set(id, done);
        ws.send(`SUBSCRIBE\nid:${id}\ndestination:${destination(topic)}\nreceipt:${id}\n\n\0`);
      }),
    publish: (topic, payload, done) => {
      const id = nextId++;
      pending.set(id, done);
      ws.send(
        `SEND\ndestination:${
          destination(topic)
        }\ncontent-type:application/json\nreceipt:${id}\n\n${payload}\0`,
      );
    },
    // A SEND without a receipt: nothing comes back unless it is refused (ERROR).
    fire: (topic, payload) => {
      cork();
      ws.send(
        `SEND\ndestination:${destination(topic)}\ncontent-type:application/json\n\n${payload}\0`,
      );
    },
    close: () => ws.terminate(),
  };
  const cork = corkForTurn(ws);
  coalesceWrites(ws);
  function handle(frame) {
    if (frame.startsWith("MESSAGE")) readDelivery(frame, client.onMessage);
    else if (frame.startsWith("RECEIPT")) {
      settle(pending, intAt(frame, frame.indexOf("receipt-id:") + 11));
    } else if (frame.startsWith("CONNECTED")) markReady();
    else if (frame.startsWith("ERROR")) stats.errors++;
  }
  ws.on("message", (data) => {
    const text = data.toString();
    // The hub writes a turn's frames in one message, each ending with its NUL
    // (the benchmark's bodies hold none).
    let start = 0;
    for (let nul = text.indexOf("\0"); nul >= 0; nul = text.indexOf("\0", start)) {
      while (text.charCodeAt(start) === 10 || text.charCodeAt(start) === 13) start++;
      handle(text.slice(start, nul));
      start = nul + 1;
    }
  });
  ws.on("open", () => ws.send(`CONNECT\naccept-version:1.2\nhost:hub\npasscode:${token}\n\n\0`));
  ws.on("close", () => failAll(pending.values(), pending));
  return opened(ws, (ready) => markReady = ready).then(() => client);
}

/**
 * Server-Sent Events (docs/protocol.md, "Server-Sent Events"): `subscribe`
 * opens `GET /sse?topic=<topic>` on the hub's port with the token as a
 * bearer header, over plain `http` (one socket per stream, no agent), and
 * resolves on the `welcome` event, which the hub sends once the topic is
 * subscribed. Events are split on the blank line that ends each (the hub
 * writes LF only); an unnamed event is a publication, whose v1 `message`
 * frame is read by `readDelivery`; comments (heartbeats) and `retry:` carry
 * no `seq` and pass; a named `close`, `failure`, `unsubscribed` or
 * `insufficient_state` counts as an error. Receive-only: a publisher uses
 * `publisherProtocol("sse")`.
 */
function sseClient(url, token, stats) {
  const base = new URL(url);
  let request;
  const client = {
    onMessage: () => {},
    subscribe: (topic) =>
      new Promise((resolve, reject) => {
        let ready = false;
        const fail = (error) => {
          if (!ready) reject(error);
        };
        request = http.get({
          host: base.hostname,
          port: base.port,
          path: `/sse?topic=${encodeURIComponent(topic)}`,
          headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
          agent: false,
        }, (response) => {
          response.setEncoding("utf8");
          if (response.statusCode !== 200) {
            let body = "";
            response.on("data", (chunk) => body += chunk);
            response.on("end", () => fail(new Error(`SSE ${response.statusCode}: ${body}`)));
            return;
          }
          let buffered = "";
          response.on("data", (chunk) => {
            buffered += chunk;
            let start = 0;
            for (
              let end = buffered.indexOf("\n\n");
              end >= 0;
              end = buffered.indexOf("\n\n", start)
            ) {
              if (buffered.startsWith("event: ", start)) {
                if (buffered.startsWith("event: welcome\n", start)) {
                  ready = true;
                  resolve();
                } else stats.errors++;
              } else if (end > start) readDelivery(buffered.slice(start, end), client.onMessage);
              start = end + 2;
            }
            if (start > 0) buffered = buffered.slice(start);
          });
          response.on("end", () => fail(new Error("SSE stream ended before its welcome")));
        });
        request.on("error", fail);
      }),
    publish: (_topic, _payload, done) => done(new Error("An SSE stream only receives")),
    fire: () => {
      throw new Error("An SSE stream only receives");
    },
    close: () => request?.destroy(),
  };
  return client;
}

function sioClient(ws, stats) {
  const pending = new Map();
  let nextId = 1;
  let markReady = () => {};
  const cork = corkForTurn(ws);
  const client = {
    onMessage: () => {},
    subscribe: (topic) => promised((done) => emit(`"subscribe","${topic}"`, done)),
    publish: (topic, payload, done) => emit(`"publish","${topic}",${payload}`, done),
    fire: (topic, payload) => {
      cork();
      ws.send(`42["publish","${topic}",${payload}]`);
    },
    close: () => ws.terminate(),
  };
  /** @param {string} args The event's arguments as JSON text, without the brackets. */
  function emit(args, done) {
    const id = nextId++;
    pending.set(id, done);
    ws.send(`42${id}[${args}]`);
  }
  coalesceWrites(ws);
  ws.on("message", (data) => {
    const text = data.toString();
    if (text.startsWith("42")) readDelivery(text, client.onMessage);
    else if (text.startsWith("43")) settle(pending, intAt(text, 2));
    else if (text === "2") ws.send("3"); // Engine.IO ping
    else if (text.startsWith("0")) ws.send("40"); // Engine.IO open: join namespace "/"
    else if (text.startsWith("40")) markReady();
    else if (text.startsWith("44")) stats.errors++;
  });
  ws.on("close", () => failAll(pending.values(), pending));
  return opened(ws, (ready) => markReady = ready).then(() => client);
}

function natsClient(ws, stats) {
  const pongs = [];
  let sid = 0;
  let buffered = "";
  let connected = false;
  const cork = corkForTurn(ws);
  const client = {
    onMessage: () => {},
    subscribe: (topic) => promised((done) => flush(`SUB ${topic} ${++sid}\r\n`, done)),
    publish: (topic, payload, done) =>
      flush(
        `PUB ${topic} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`,
        done,
      ),
    fire: (topic, payload) => {
      cork();
      ws.send(`PUB ${topic} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
    },
    close: () => ws.terminate(),
  };
  function flush(command, done) {
    pongs.push(done);
    ws.send(`${command}PING\r\n`);
  }
  let markReady = () => {};
  function parse() {
    let pos = 0;
    while (true) {
      const eol = buffered.indexOf("\r\n", pos);
      if (eol < 0) break;
      if (buffered.startsWith("MSG ", pos)) {
        const size = Number(
          buffered.slice(buffered.lastIndexOf(" ", eol) + 1, eol),
        );
        if (buffered.length < eol + 2 + size + 2) break;
        const body = buffered.slice(eol + 2, eol + 2 + size);
        pos = eol + 2 + size + 2;
        readDelivery(body, client.onMessage);
        continue;
      }
      const line = buffered.slice(pos, eol);
      pos = eol + 2;
      if (line === "PING") ws.send("PONG\r\n");
      else if (line === "PONG") pongs.shift()?.();
      else if (line.startsWith("-ERR")) stats.errors++;
      else if (line.startsWith("INFO") && !connected) {
        connected = true;
        ws.send(
          'CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":false}\r\n',
        );
        flush("", (error) => {
          if (error === undefined) markReady();
        });
      }
    }
    buffered = buffered.slice(pos);
  }
  coalesceWrites(ws);
  ws.on("message", (data) => {
    buffered += data.toString();
    parse();
  });
  ws.on("close", () => failAll(pongs.splice(0)));
  return opened(ws, (ready) => markReady = ready).then(() => client);
}

/** Calls the waiter registered under `id`, once. */
function settle(pending, id, error) {
  const done = pending.get(id);
  pending.delete(id);
  done?.(error);
}

/** Fails every waiter left when the socket closes. */
function failAll(waiters, pending) {
  const error = new Error("Socket closed");
  for (const done of [...waiters]) done(error);
  pending?.clear();
}

/** A promise for a callback-style request (connection setup only). */
function promised(start) {
  return new Promise((resolve, reject) => start((error) => error ? reject(error) : resolve()));
}
