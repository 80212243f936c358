// The `ws` transport's own RFC 6455 framing, from a raw TCP peer that sends
// exactly the bytes each case names: every malformed frame is closed with
// the code RFC 6455 (and `ws`, which this framing replaced) gives it, and a
// subscriber on the same hub keeps receiving throughout; frames split at any
// byte, several in one write, fragments, pings and both closing handshakes
// work as the RFC says.

import assert from "node:assert/strict";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { rawHandshake, type RawPeer } from "../_support/raw.ts";
import { startTestHub, type TestHub } from "../_support/hub.ts";
import { createHub } from "../../src/server/create_hub.ts";
import { listenNode } from "../../src/server/node_adapter.ts";
import { acceptKey } from "../../src/server/_ws_socket.ts";
import { closeFrame, FrameParser, type FrameSink } from "../../src/server/_ws_frames.ts";

const enc = new TextEncoder();

/** A client frame: masked unless told, FIN unless told, RSV bits as given. */
function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  { fin = true, rsv = 0, mask = true, long = false }: {
    fin?: boolean;
    rsv?: number;
    mask?: boolean;
    long?: boolean;
  } = {},
): Uint8Array {
  const body = typeof payload === "string" ? enc.encode(payload) : payload;
  const n = body.byteLength;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (long) head.push(m | 127, 0, 0, 0, 0, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  else if (n < 126) head.push(m | n);
  else if (n < 65536) head.push(m | 126, n >>> 8, n & 255);
  else head.push(m | 127, 0, 0, 0, 0, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const key = mask ? crypto.getRandomValues(new Uint8Array(4)) : new Uint8Array(0);
  const out = new Uint8Array(head.length + key.length + n);
  out.set(head);
  out.set(key, head.length);
  for (let i = 0; i < n; i++) {
    out[head.length + key.length + i] = mask ? body[i] ^ key[i % 4] : body[i];
  }
  return out;
}

/** A server frame as read by the raw peer. */
interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** Reads server frames (never masked) from a raw peer. */
class FrameReader {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }
  async #fill(n: number): Promise<boolean> {
    while (this.#buf.byteLength < n) {
      const chunk = new Uint8Array(65536);
      const got = await this.#conn.read(chunk);
      if (got === null) return false;
      const next = new Uint8Array(this.#buf.byteLength + got);
      next.set(this.#buf);
      next.set(chunk.subarray(0, got), this.#buf.byteLength);
      this.#buf = next;
    }
    return true;
  }
  /** The next frame, or `null` at the end of the stream. */
  async next(): Promise<ServerFrame | null> {
    if (!await this.#fill(2)) return null;
    const b1 = this.#buf[1];
    assert.equal(b1 & 0x80, 0, "a server frame is never masked");
    let len = b1 & 0x7f;
    let at = 2;
    if (len === 126) {
      await this.#fill(4);
      len = (this.#buf[2] << 8) | this.#buf[3];
      at = 4;
    } else if (len === 127) {
      await this.#fill(10);
      len = new DataView(this.#buf.buffer).getUint32(6);
      at = 10;
    }
    if (!await this.#fill(at + len)) return null;
    const frame = {
      fin: (this.#buf[0] & 0x80) !== 0,
      opcode: this.#buf[0] & 0x0f,
      payload: this.#buf.slice(at, at + len),
    };
    this.#buf = this.#buf.slice(at + len);
    return frame;
  }
  /** The next frame that is not a text message (replies the test does not look at). */
  async nextControl(): Promise<ServerFrame | null> {
    for (;;) {
      const frame = await this.next();
      if (frame === null || frame.opcode !== 1) return frame;
    }
  }
}

interface Peer {
  raw: RawPeer;
  reader: FrameReader;
  send(bytes: Uint8Array): Promise<void>;
}

async function open(
  h: { port: number; token(c: { sub: string }): Promise<string> },
): Promise<Peer> {
  const token = await h.token({ sub: "raw" });
  const raw = await rawHandshake(h.port, "/ws", {
    "Sec-WebSocket-Protocol": `realtime.v1, auth, ${token}`,
  });
  assert.match(raw.head, /^HTTP\/1.1 101 /);
  assert.match(raw.head, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
  assert.match(raw.head, /sec-websocket-protocol: realtime\.v1\r\n/i);
  const reader = new FrameReader(raw.conn);
  const welcome = await withTimeout(reader.next(), 3000, "welcome");
  assert.equal(welcome?.opcode, 1);
  assert.equal(JSON.parse(new TextDecoder().decode(welcome!.payload)).type, "welcome");
  return {
    raw,
    reader,
    send: async (bytes) => void await raw.conn.write(bytes),
  };
}

/** Waits (3 s at most) until the hub counts no connection: the server side has closed. */
async function untilNoConnections(h: TestHub): Promise<void> {
  const deadline = Date.now() + 3000;
  while (h.hub.stats().connections !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(h.hub.stats().connections, 0);
}

function closeCode(frame: ServerFrame | null): number | undefined {
  if (frame === null || frame.opcode !== 8 || frame.payload.byteLength < 2) return undefined;
  return (frame.payload[0] << 8) | frame.payload[1];
}

/** Sends a request and reads the JSON reply. */
async function request(
  peer: Peer,
  frame: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  await peer.send(clientFrame(1, JSON.stringify(frame)));
  const reply = await withTimeout(peer.reader.next(), 3000, "reply");
  assert.equal(reply?.opcode, 1);
  return JSON.parse(new TextDecoder().decode(reply!.payload));
}

const badUtf8 = new Uint8Array([0x22, 0xc3, 0x28, 0x22]);

/** Each malformed input and the close code it gets. */
const CASES: { name: string; bytes: () => Uint8Array; code: number }[] = [
  { name: "RSV1 set with no extension", bytes: () => clientFrame(1, "{}", { rsv: 4 }), code: 1002 },
  { name: "RSV2 set", bytes: () => clientFrame(1, "{}", { rsv: 2 }), code: 1002 },
  { name: "RSV3 set", bytes: () => clientFrame(1, "{}", { rsv: 1 }), code: 1002 },
  { name: "unmasked frame", bytes: () => clientFrame(1, "{}", { mask: false }), code: 1002 },
  { name: "reserved data opcode 3", bytes: () => clientFrame(3, "x"), code: 1002 },
  { name: "reserved control opcode 0xB", bytes: () => clientFrame(0xb, "x"), code: 1002 },
  { name: "continuation with nothing to continue", bytes: () => clientFrame(0, "x"), code: 1002 },
  {
    name: "new message inside a fragmented one",
    bytes: () => concat(clientFrame(1, "{", { fin: false }), clientFrame(1, "}")),
    code: 1002,
  },
  { name: "fragmented ping", bytes: () => clientFrame(9, "x", { fin: false }), code: 1002 },
  { name: "ping longer than 125 bytes", bytes: () => clientFrame(9, "x".repeat(126)), code: 1002 },
  {
    name: "close with a one-byte payload",
    bytes: () => clientFrame(8, new Uint8Array([3])),
    code: 1002,
  },
  {
    name: "close with reserved code 1005",
    bytes: () => clientFrame(8, new Uint8Array([3, 237])),
    code: 1002,
  },
  {
    name: "close with code 999",
    bytes: () => clientFrame(8, new Uint8Array([3, 231])),
    code: 1002,
  },
  {
    name: "close with unassigned code 2000",
    bytes: () => clientFrame(8, new Uint8Array([7, 208])),
    code: 1002,
  },
  {
    name: "close reason that is not UTF-8",
    bytes: () => clientFrame(8, new Uint8Array([3, 232, 0xc3, 0x28])),
    code: 1007,
  },
  { name: "text message that is not UTF-8", bytes: () => clientFrame(1, badUtf8), code: 1007 },
  {
    name: "fragments that join to bytes that are not UTF-8",
    bytes: () =>
      concat(
        clientFrame(1, badUtf8.subarray(0, 2), { fin: false }),
        clientFrame(0, badUtf8.subarray(2)),
      ),
    code: 1007,
  },
  {
    name: "message past the size bound",
    bytes: () => clientFrame(1, "x".repeat(2048)),
    code: 1009,
  },
  {
    name: "fragments past the size bound together",
    bytes: () =>
      concat(clientFrame(1, "x".repeat(1000), { fin: false }), clientFrame(0, "x".repeat(1100))),
    code: 1009,
  },
  {
    name: "64-bit length past 2^53",
    bytes: () => new Uint8Array([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]),
    code: 1009,
  },
  {
    name: "declared length past the bound, payload never sent",
    bytes: () => new Uint8Array([0x81, 0xfe, 0xff, 0xff, 1, 2, 3, 4]),
    code: 1009,
  },
];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

Deno.test("malformed frames are closed with the RFC's codes, and a subscriber beside them keeps receiving", async (t) => {
  await using h = await startTestHub("ws", { limits: { maxFrameBytes: 2000 } });
  const [watcher] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "watcher", acl: { "news:*": ["subscribe"] } })],
  });
  const subscribed = await watcher.request({ type: "subscribe", id: 1, topic: "news:a" });
  assert.equal(subscribed.type, "ack");
  let n = 0;
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const peer = await open(h);
      try {
        await peer.send(c.bytes());
        const close = await withTimeout(peer.reader.nextControl(), 3000, "close frame");
        assert.equal(closeCode(close), c.code, c.name);
        // A failed connection is ended by the server without waiting for an answer.
        assert.equal(await withTimeout(peer.reader.next(), 3000, "end of stream"), null);
      } finally {
        peer.raw.close();
      }
      await h.hub.publish("news:a", { n: ++n });
      const got = await watcher.next((f) => f.type === "message");
      assert.deepEqual(got.payload, { n });
    });
  }
  await watcher.close();
});

Deno.test("a frame split at every byte, and several frames in one write, are read whole", async () => {
  await using h = await startTestHub("ws");
  const peer = await open(h);
  try {
    const frame = clientFrame(1, JSON.stringify({ type: "ping", id: 7 }));
    for (const byte of frame) await peer.send(new Uint8Array([byte]));
    assert.deepEqual(
      await withTimeout(
        peer.reader.next().then((f) => JSON.parse(new TextDecoder().decode(f!.payload))),
        3000,
        "pong",
      ),
      { type: "pong", id: 7 },
    );
    await peer.send(concat(
      clientFrame(1, JSON.stringify({ type: "ping", id: 8 })),
      clientFrame(1, JSON.stringify({ type: "ping", id: 9 })),
    ));
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const f = await withTimeout(peer.reader.next(), 3000, "pong");
      ids.push(JSON.parse(new TextDecoder().decode(f!.payload)).id);
    }
    assert.deepEqual(ids, [8, 9]);
  } finally {
    peer.raw.close();
  }
});

Deno.test("fragments with a control frame between them and a character split across them make one message", async () => {
  await using h = await startTestHub("ws");
  const peer = await open(h);
  try {
    const text = enc.encode(JSON.stringify({ type: "ping", id: "é€" }));
    const cut = text.indexOf(0xe2) + 1; // inside the three bytes of the euro sign
    await peer.send(concat(
      clientFrame(1, text.subarray(0, cut), { fin: false }),
      clientFrame(9, "mid"),
      clientFrame(0, text.subarray(cut)),
    ));
    const pong = await withTimeout(peer.reader.next(), 3000, "pong to the ping");
    assert.equal(pong?.opcode, 10);
    assert.equal(new TextDecoder().decode(pong!.payload), "mid");
    const reply = await withTimeout(peer.reader.next(), 3000, "reply to the message");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(reply!.payload)), {
      type: "pong",
      id: "é€",
    });
    assert.deepEqual(await request(peer, { type: "ping", id: 2 }), { type: "pong", id: 2 });
  } finally {
    peer.raw.close();
  }
});

Deno.test("16- and 64-bit lengths are read, and a long reply gets a 16-bit length", async () => {
  await using h = await startTestHub("ws");
  const peer = await open(h);
  try {
    const id = "x".repeat(64);
    const frame = JSON.stringify({ type: "ping", id }) + " ".repeat(300);
    await peer.send(clientFrame(1, frame));
    const a = await withTimeout(peer.reader.next(), 3000, "pong");
    assert.equal(JSON.parse(new TextDecoder().decode(a!.payload)).id, id);
    await peer.send(clientFrame(1, JSON.stringify({ type: "ping", id: 3 }), { long: true }));
    const b = await withTimeout(peer.reader.next(), 3000, "pong");
    assert.equal(JSON.parse(new TextDecoder().decode(b!.payload)).id, 3);
  } finally {
    peer.raw.close();
  }
});

Deno.test("a client's close is answered with its code and the server ends the connection", async () => {
  await using h = await startTestHub("ws");
  for (const payload of [closeFrame(4321, "bye").subarray(2), new Uint8Array(0)]) {
    const peer = await open(h);
    try {
      await peer.send(clientFrame(8, payload));
      const answer = await withTimeout(peer.reader.next(), 3000, "close answer");
      assert.equal(answer?.opcode, 8);
      assert.equal(closeCode(answer), payload.byteLength === 0 ? undefined : 4321);
      assert.equal(answer!.payload.byteLength, payload.byteLength === 0 ? 0 : 2);
      assert.equal(await withTimeout(peer.reader.next(), 3000, "end of stream"), null);
    } finally {
      peer.raw.close();
    }
  }
  // Both connections left the hub.
  await untilNoConnections(h);
});

Deno.test("too many fragments in one message are closed with 1008", async () => {
  const hub = createHub({ auth: { secret: "test-secret-of-at-least-32-bytes-long!!" } });
  const server = await listenNode(hub, { port: 0, maxFragments: 4 });
  const { mintToken } = await import("../../src/auth/mint.ts");
  try {
    const h = {
      port: server.port,
      token: (c: { sub: string }) =>
        mintToken(c, { secret: "test-secret-of-at-least-32-bytes-long!!" }, { ttl: "1h" }),
    };
    const peer = await open(h);
    try {
      const parts = [clientFrame(1, "{", { fin: false })];
      for (let i = 0; i < 4; i++) parts.push(clientFrame(0, " ", { fin: false }));
      await peer.send(concat(...parts));
      assert.equal(closeCode(await withTimeout(peer.reader.nextControl(), 3000, "close")), 1008);
    } finally {
      peer.raw.close();
    }
  } finally {
    await hub.close();
    await server.close();
  }
});

Deno.test("the parser keeps a copy of an unfinished frame, not the chunk it came in", () => {
  const got: string[] = [];
  const sink: FrameSink = {
    onText: (s) => got.push(s),
    onBinary: () => {},
    onPing: () => {},
    onPong: () => {},
    onClose: () => {},
    onFail: (code) => got.push(`fail ${code}`),
  };
  const parser = new FrameParser({ maxPayload: 100, maxFragments: 0 });
  const frame = clientFrame(1, "hello");
  const chunk = new Uint8Array(frame.byteLength - 2);
  chunk.set(frame.subarray(0, frame.byteLength - 2));
  parser.push(chunk, sink);
  chunk.fill(0); // the socket reuses its buffer
  parser.push(frame.subarray(frame.byteLength - 2), sink);
  assert.deepEqual(got, ["hello"]);
});

Deno.test("the accept key is the RFC's", () => {
  assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("a peer that ends its side without a close frame gets the connection ended and leaves the hub", async () => {
  await using h = await startTestHub("ws");
  const peer = await open(h);
  try {
    await peer.raw.conn.closeWrite();
    assert.equal(await withTimeout(peer.reader.next(), 3000, "end of stream"), null);
  } finally {
    peer.raw.close();
  }
  await untilNoConnections(h);
});
