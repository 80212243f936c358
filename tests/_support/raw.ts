// A raw TCP WebSocket peer that completes the handshake and then does only
// what the test says: it never answers pings and reads only when asked.

export interface RawPeer {
  conn: Deno.TcpConn;
  /** The HTTP status line and headers of the handshake response. */
  head: string;
  close(): void;
}

export async function rawHandshake(
  port: number,
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<RawPeer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const request =
    `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
  await conn.write(new TextEncoder().encode(request));
  // Read just the response head, byte by byte, so no frame data is consumed.
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (bytes.length < 8192) {
    const n = await conn.read(one);
    if (n === null) break;
    bytes.push(one[0]);
    const l = bytes.length;
    if (
      l >= 4 && bytes[l - 4] === 13 && bytes[l - 3] === 10 && bytes[l - 2] === 13 &&
      bytes[l - 1] === 10
    ) break;
  }
  const head = new TextDecoder().decode(new Uint8Array(bytes));
  return {
    conn,
    head,
    close: () => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/** Waits until `condition()` holds, checking every 10 ms, for at most `timeoutMs`. */
export async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
