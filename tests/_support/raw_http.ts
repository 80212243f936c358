// One raw HTTP/1.1 request over TCP to 127.0.0.1, for what fetch cannot
// send: a chosen Host header (DNS rebinding tests).

/** Sends one raw HTTP/1.1 request (fetch cannot set Host) and reads the status and body. */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<[number, string]> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const lines = [
    `${method} ${path} HTTP/1.1`,
    ...Object.entries({
      ...(body === undefined ? {} : {
        "content-type": "application/json",
        "content-length": String(new TextEncoder().encode(text).byteLength),
      }),
      connection: "close",
      ...headers,
    }).map(([k, v]) => `${k}: ${v}`),
  ];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n" + text));
    let answer = "";
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16 * 1024);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && answer.length < 64 * 1024 && !complete(answer)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      answer += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return [Number(answer.slice(9, 12)), answer.slice(answer.indexOf("\r\n\r\n") + 4)];
  } finally {
    conn.close();
  }
}

/** Whether a response's head and its `content-length` of body have arrived (an upgrade keeps the socket open). */
function complete(answer: string): boolean {
  const end = answer.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end));
  return length !== null && new TextEncoder().encode(answer.slice(end + 4)).byteLength >=
      Number(length[1]);
}
