// Malformed upgrade requests over raw TCP, against a hub in its own process:
// every one is answered (or closed) within a deadline and the hub's open
// descriptors return to where they were, on both transports.

import assert from "node:assert/strict";
import { TRANSPORTS } from "../_support/hub.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** A well-formed upgrade request, with headers replaced (`null` drops one). */
function upgrade(
  target: string,
  headers: Record<string, string | null> = {},
  line = `GET ${target} HTTP/1.1`,
): string {
  const all: Record<string, string | null> = {
    Host: "127.0.0.1",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const lines = Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  return `${line}\r\n${lines.join("\r\n")}\r\n\r\n`;
}

interface Case {
  name: string;
  bytes: string | Uint8Array;
  /** Half-close after writing: a truncated request then EOF. */
  eof?: boolean;
  /** Odd but within what a parser may accept: any answer, even 101, as long as it is released. */
  lawful?: boolean;
}

const CASES: Case[] = [
  { name: "port out of range in Host", bytes: upgrade("/ws", { Host: "x:99999" }) },
  { name: "space in Host", bytes: upgrade("/ws", { Host: "a b" }) },
  { name: "unclosed IPv6 Host", bytes: upgrade("/ws", { Host: "[::1" }) },
  { name: "non-numeric port in Host", bytes: upgrade("/ws", { Host: "127.0.0.1:abc" }) },
  { name: "empty Host", bytes: upgrade("/ws", { Host: "" }) },
  { name: "missing Host", bytes: upgrade("/ws", { Host: null }) },
  { name: "duplicate Host", bytes: upgrade("/ws", { Host: "127.0.0.1\r\nHost: other" }) },
  { name: "target //", bytes: upgrade("//") },
  { name: "target http://[/ws", bytes: upgrade("http://[/ws") },
  { name: "target *", bytes: upgrade("*") },
  { name: "target without slash", bytes: upgrade("ws") },
  { name: "target //evil/ws", bytes: upgrade("//evil.example/ws") },
  { name: "target of 20 KiB", bytes: upgrade("/ws?" + "a".repeat(20 * 1024)), lawful: true },
  { name: "header of 100 KiB", bytes: upgrade("/ws", { "X-Big": "b".repeat(100 * 1024) }) },
  {
    name: "2,000 headers",
    bytes: upgrade("/ws", {
      "X-0": Array.from({ length: 2000 }, (_, i) => `${i}`).join("\r\nX-n: "),
    }),
    lawful: true,
  },
  { name: "missing Sec-WebSocket-Key", bytes: upgrade("/ws", { "Sec-WebSocket-Key": null }) },
  { name: "bad Sec-WebSocket-Key", bytes: upgrade("/ws", { "Sec-WebSocket-Key": "not base64!" }) },
  { name: "short Sec-WebSocket-Key", bytes: upgrade("/ws", { "Sec-WebSocket-Key": "YQ==" }) },
  {
    name: "duplicate Sec-WebSocket-Key",
    bytes: upgrade("/ws", { "Sec-WebSocket-Key": `${KEY}\r\nSec-WebSocket-Key: ${KEY}` }),
  },
  { name: "missing version", bytes: upgrade("/ws", { "Sec-WebSocket-Version": null }) },
  { name: "version 8", bytes: upgrade("/ws", { "Sec-WebSocket-Version": "8" }) },
  { name: "version abc", bytes: upgrade("/ws", { "Sec-WebSocket-Version": "abc" }) },
  { name: "Upgrade h2c", bytes: upgrade("/ws", { Upgrade: "h2c" }) },
  { name: "Connection keep-alive", bytes: upgrade("/ws", { Connection: "keep-alive" }) },
  { name: "POST upgrade", bytes: upgrade("/ws", {}, "POST /ws HTTP/1.1") },
  { name: "lowercase method", bytes: upgrade("/ws", {}, "get /ws HTTP/1.1") },
  // Refused by the ws adapter; Deno.serve does not tell a handler the HTTP version.
  { name: "HTTP/1.0", bytes: upgrade("/ws", {}, "GET /ws HTTP/1.0"), lawful: true },
  { name: "HTTP/9.9", bytes: upgrade("/ws", {}, "GET /ws HTTP/9.9") },
  { name: "no version in request line", bytes: upgrade("/ws", {}, "GET /ws") },
  { name: "header without colon", bytes: upgrade("/ws", { "X-Broken\r\nNoColonHere": "x" }) },
  { name: "NUL in a header", bytes: upgrade("/ws", { "X-Nul": "a\u0000b" }) },
  { name: "obsolete line folding", bytes: upgrade("/ws", { "X-Fold": "a\r\n  b" }) },
  // RFC 9112 §2.2 lets a server accept bare LF: Deno does, node:http refuses.
  { name: "bare LF line ends", bytes: upgrade("/ws").replaceAll("\r\n", "\n"), lawful: true },
  {
    name: "chunked body on an upgrade",
    bytes: upgrade("/ws", { "Transfer-Encoding": "chunked", "Content-Length": "5" }),
  },
  { name: "garbage bytes", bytes: Uint8Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256) },
  { name: "TLS hello on a plain port", bytes: Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xa5, 0x01) },
  { name: "truncated request line then EOF", bytes: "GET /w", eof: true },
  { name: "truncated headers then EOF", bytes: upgrade("/ws").slice(0, 60), eof: true },
  { name: "bad Host then EOF", bytes: upgrade("/ws", { Host: "x:99999" }), eof: true },
];

const DEADLINE_MS = 5000;

/**
 * Whether a whole response arrived. Deno.serve keeps a connection open after
 * a 400 even with `Connection: close` (hyper ignores it there), so the probe
 * closes its side then, as a client would: the descriptor check below then
 * shows the hub released it (the bug was sockets left in CLOSE-WAIT).
 */
function isComplete(received: string): boolean {
  const end = received.indexOf("\r\n\r\n");
  if (end < 0) return false;
  if (received.startsWith("HTTP/1.1 101")) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(received.slice(0, end));
  return length === null || received.length - end - 4 >= Number(length[1]);
}

/** Sends one request and reads until a whole answer or the server's close. */
async function probe(port: number, c: Case): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, DEADLINE_MS);
  let received = "";
  try {
    const bytes = typeof c.bytes === "string" ? new TextEncoder().encode(c.bytes) : c.bytes;
    await conn.write(bytes);
    if (c.eof) await conn.closeWrite();
    const buf = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      received += decoder.decode(buf.subarray(0, n), { stream: true });
      if (isComplete(received)) break;
    }
  } catch {
    // A reset also ends the connection; only the deadline's close is a failure (below).
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the deadline
    }
  }
  if (timedOut) throw new Error(`No answer to '${c.name}' within ${DEADLINE_MS} ms`);
  return received.split("\r\n")[0];
}

/**
 * Open TCP sockets of a process. The runtime also opens Unix socket pairs of
 * its own now and then (seen under load): those are not counted.
 */
function openDescriptors(pid: number): number {
  const tcp = tcpTable(pid);
  return socketInodes(pid).filter((inode) => tcp.has(inode)).length;
}

function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const link = Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`);
      if (link.startsWith("socket:")) inodes.push(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** The process's TCP sockets (IPv4 and IPv6) by inode: `[local, remote, state]`. */
function tcpTable(pid: number): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const file of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${file}`);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9) table.set(fields[9], fields.slice(1, 4));
    }
  }
  return table;
}

/** The TCP state and ports of each socket a process holds, for failure messages. */
function describeSockets(pid: number): string {
  const table = tcpTable(pid);
  return socketInodes(pid).map((inode) => {
    const row = table.get(inode);
    if (row === undefined) return `${inode}: not TCP`;
    const [local, remote, state] = row;
    const port = (address: string) => parseInt(address.split(":").at(-1)!, 16);
    return `${inode}: ${port(local)} -> ${port(remote)} state ${TCP_STATES[state] ?? state}`;
  }).join("\n");
}

const TCP_STATES: Record<string, string> = {
  "01": "ESTABLISHED",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "0A": "LISTEN",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "09": "LAST_ACK",
};

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

for (const transport of TRANSPORTS) {
  Deno.test(`upgrade answers every malformed request and releases its socket [${transport}]`, async () => {
    assert.ok(CASES.length >= 30);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--cached-only",
        "tests/server/_hub_process.ts",
        transport,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Hub process exited before listening");
        out += value;
      }
      const port = Number(/port (\d+)/.exec(out)![1]);
      // One good request first, so lazily opened descriptors are in the baseline.
      await probe(port, {
        name: "plain request",
        bytes: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      });
      const before = openDescriptors(child.pid);
      const answers: string[] = [];
      for (const c of CASES) {
        const status = await probe(port, c);
        answers.push(`${c.name}: ${status || "(closed)"}`);
        if (!c.lawful) assert.doesNotMatch(status, / 101 /, `${c.name} was upgraded`);
        if (!c.eof && !c.lawful && status !== "") {
          assert.match(status, /^HTTP\/1\.[01] [45]\d\d /, `${c.name}: ${status}`);
        }
      }
      const released = await until(() => openDescriptors(child.pid) <= before, 2 * DEADLINE_MS);
      assert.ok(
        released,
        `sockets ${before} before, ${openDescriptors(child.pid)} after:\n${
          describeSockets(child.pid)
        }\n${answers.join("\n")}`,
      );
      // Every request the adapters answered 400 themselves is counted, and audited once a second.
      await child.stdin.close();
      while (!out.includes("malformed ")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const report = JSON.parse(/malformed (.*)/.exec(out)![1]);
      assert.ok(report.counts.target >= 7, JSON.stringify(report));
      assert.ok(report.counts.handshake >= 7, JSON.stringify(report));
      const total = Object.values(report.counts as Record<string, number>).reduce((a, b) => a + b);
      assert.ok(report.audits >= 1 && report.audits < total, JSON.stringify(report));
    } finally {
      await child.stdin.close().catch(() => {});
      const status = await child.status;
      const stderr = await new Response(child.stderr).text();
      await child.stdout.cancel().catch(() => {});
      assert.equal(status.code, 0, stderr);
    }
  });
}
