// A TCP proxy on 127.0.0.1 for network-failure tests: it forwards bytes
// both ways between each client connection and one target, reads the
// WebSocket messages clients send (RFC 6455 frames, masked, after the HTTP
// upgrade) so a test can act at the moment a given message goes up, and can
// stop forwarding the server's bytes of a connection, then cut every
// connection on command. Real sockets only; every connection it accepted is
// closed by `close()`.

/** One client connection and its upstream twin. */
interface Pair {
  readonly client: Deno.TcpConn;
  readonly server: Deno.TcpConn;
  /** Whether the server's bytes still reach the client. */
  downstream: boolean;
  closed: boolean;
}

/** A message a client sent, as the proxy saw it go up. */
export interface SeenMessage {
  /** The connection's number, from 1 in accept order. */
  readonly connection: number;
  /** The text of a text message (binary messages are not recorded). */
  readonly text: string;
}

export interface TcpProxy extends AsyncDisposable {
  /** The port it listens on, at 127.0.0.1. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Every text message clients sent, in order. */
  readonly seen: readonly SeenMessage[];
  /**
   * Arms a trap: the first client text message for which `match` holds
   * stops the server→client direction of its connection before the message
   * is forwarded up (so no answer to it can reach the client). Resolves with
   * the message once it was forwarded.
   */
  dropAnswersAfter(match: (text: string) => boolean): Promise<SeenMessage>;
  /** Closes every open connection, both sides, at once; the proxy keeps accepting. */
  cutAll(): void;
  /**
   * While `true`, every new connection is closed as soon as it is accepted
   * (the network stays down for reconnect attempts); `false` lets them through again.
   */
  refuse(on: boolean): void;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` on a free 127.0.0.1 port.
 *
 * @param target Where to forward, such as a hub's port on 127.0.0.1.
 */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pairs = new Set<Pair>();
  const seen: SeenMessage[] = [];
  const traps: { match: (text: string) => boolean; resolve: (m: SeenMessage) => void }[] = [];
  const running = new Set<Promise<void>>();
  let accepted = 0;
  let closed = false;
  let refusing = false;

  const closePair = (pair: Pair) => {
    if (pair.closed) return;
    pair.closed = true;
    pairs.delete(pair);
    for (const conn of [pair.client, pair.server]) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };

  const serve = async (client: Deno.TcpConn, connection: number) => {
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect(target);
    } catch {
      client.close();
      return;
    }
    const pair: Pair = { client, server, downstream: true, closed: false };
    if (closed) return closePair(pair);
    pairs.add(pair);
    const sniffer = new ClientFrames();
    const up = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      while (!pair.closed) {
        const n = await client.read(buffer).catch(() => null);
        if (n === null) break;
        const chunk = buffer.slice(0, n);
        const sprung: [SeenMessage, (m: SeenMessage) => void][] = [];
        for (const text of sniffer.push(chunk)) {
          const message = { connection, text };
          seen.push(message);
          const i = traps.findIndex((t) => t.match(text));
          if (i >= 0) {
            // Before the message goes up: its answer must never come down.
            pair.downstream = false;
            sprung.push([message, traps.splice(i, 1)[0].resolve]);
          }
        }
        if (!await writeAll(server, chunk)) break;
        for (const [message, resolve] of sprung) resolve(message);
      }
      closePair(pair);
    })();
    const down = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      while (!pair.closed) {
        const n = await server.read(buffer).catch(() => null);
        if (n === null) break;
        if (!pair.downstream) continue;
        if (!await writeAll(client, buffer.slice(0, n))) break;
      }
      closePair(pair);
    })();
    await Promise.all([up, down]);
  };

  const accepting = (async () => {
    for await (const client of listener) {
      if (refusing) {
        client.close();
        continue;
      }
      const task = serve(client, ++accepted);
      running.add(task);
      task.finally(() => running.delete(task));
    }
  })().catch(() => {});

  const proxy: TcpProxy = {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    seen,
    dropAnswersAfter(match) {
      const { promise, resolve } = Promise.withResolvers<SeenMessage>();
      traps.push({ match, resolve });
      return promise;
    },
    cutAll() {
      for (const pair of [...pairs]) closePair(pair);
    },
    refuse(on) {
      refusing = on;
    },
    async close() {
      if (closed) return;
      closed = true;
      listener.close();
      proxy.cutAll();
      await accepting;
      await Promise.all([...running]);
    },
    [Symbol.asyncDispose]: () => proxy.close(),
  };
  return proxy;
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<boolean> {
  try {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads what a WebSocket client sends: skips the HTTP upgrade request, then
 * decodes frames (masked, as clients must send them) and returns each
 * complete text message. Fragmented messages are joined; control frames are
 * skipped.
 */
class ClientFrames {
  #buffer: Uint8Array = new Uint8Array(0);
  #upgraded = false;
  #fragments: Uint8Array[] = [];
  #text = false;

  push(chunk: Uint8Array): string[] {
    this.#buffer = concat(this.#buffer, chunk);
    if (!this.#upgraded) {
      const end = indexOfHeaderEnd(this.#buffer);
      if (end < 0) return [];
      this.#upgraded = true;
      this.#buffer = this.#buffer.slice(end);
    }
    const texts: string[] = [];
    for (;;) {
      const frame = readFrame(this.#buffer);
      if (frame === undefined) break;
      this.#buffer = this.#buffer.slice(frame.size);
      if (frame.opcode >= 0x8) continue;
      if (frame.opcode !== 0) {
        this.#text = frame.opcode === 1;
        this.#fragments = [];
      }
      this.#fragments.push(frame.payload);
      if (!frame.fin) continue;
      if (this.#text) {
        texts.push(new TextDecoder().decode(this.#fragments.reduce(concat, new Uint8Array(0))));
      }
      this.#fragments = [];
    }
    return texts;
  }
}

function readFrame(
  b: Uint8Array,
): { fin: boolean; opcode: number; payload: Uint8Array; size: number } | undefined {
  if (b.length < 2) return undefined;
  const fin = (b[0] & 0x80) !== 0;
  const opcode = b[0] & 0x0f;
  const masked = (b[1] & 0x80) !== 0;
  let length = b[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    if (b.length < 4) return undefined;
    length = (b[2] << 8) | b[3];
    at = 4;
  } else if (length === 127) {
    if (b.length < 10) return undefined;
    length = Number(new DataView(b.buffer, b.byteOffset + 2, 8).getBigUint64(0));
    at = 10;
  }
  const mask = masked ? b.slice(at, at + 4) : undefined;
  if (masked) at += 4;
  if (b.length < at + length) return undefined;
  const payload = b.slice(at, at + length);
  if (mask !== undefined) { for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3]; }
  return { fin, opcode, payload, size: at + length };
}

function indexOfHeaderEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) {
    if (b[i - 3] === 13 && b[i - 2] === 10 && b[i - 1] === 13 && b[i] === 10) return i + 1;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
