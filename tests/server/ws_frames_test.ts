// FrameParser, the pure core of the ws transport's framing, against many
// random conversations: whatever the sizes of the chunks a socket delivers
// them in, a sequence of valid frames (fragmented messages, pings and pongs
// between fragments, 7-, 16- and 64-bit lengths, multi-byte characters cut
// by fragment edges) yields exactly the messages and control frames sent,
// in order. Seeded, so a failure names a case that can be replayed.

import assert from "node:assert/strict";
import { FrameParser, type FrameSink } from "../../src/server/_ws_frames.ts";
import { prng as random } from "../acl/_helpers.ts";

const enc = new TextEncoder();

function masked(
  fin: boolean,
  opcode: number,
  payload: Uint8Array,
  long: boolean,
  rnd: () => number,
): Uint8Array {
  const n = payload.byteLength;
  const head = [(fin ? 0x80 : 0) | opcode];
  if (long) head.push(0x80 | 127, 0, 0, 0, 0, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  else if (n < 126) head.push(0x80 | n);
  else head.push(0x80 | 126, n >>> 8, n & 255);
  const key = [0, 1, 2, 3].map(() => Math.floor(rnd() * 256));
  const out = new Uint8Array(head.length + 4 + n);
  out.set(head);
  out.set(key, head.length);
  for (let i = 0; i < n; i++) out[head.length + 4 + i] = payload[i] ^ key[i % 4];
  return out;
}

const ALPHABET = ["a", "z", " ", "{", '"', "é", "€", "𝄞", "\u0000"];

/** One random conversation: its bytes and what the parser must report. */
function conversation(rnd: () => number): { bytes: Uint8Array; expected: string[] } {
  const frames: Uint8Array[] = [];
  const expected: string[] = [];
  const messages = 1 + Math.floor(rnd() * 8);
  for (let m = 0; m < messages; m++) {
    const length = rnd() < 0.2 ? 126 + Math.floor(rnd() * 400) : Math.floor(rnd() * 40);
    let text = "";
    while (enc.encode(text).byteLength < length) {
      text += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    }
    const binary = rnd() < 0.2;
    const bytes = enc.encode(text);
    expected.push(binary ? `binary ${Array.from(bytes).join(",")}` : `text ${text}`);
    // Cut into fragments at any byte, characters included.
    const cuts = [0];
    const fragments = rnd() < 0.5 ? 1 : 1 + Math.floor(rnd() * 4);
    for (let f = 1; f < fragments; f++) cuts.push(Math.floor(rnd() * (bytes.byteLength + 1)));
    cuts.sort((a, b) => a - b);
    cuts.push(bytes.byteLength);
    for (let f = 0; f < cuts.length - 1; f++) {
      const opcode = f === 0 ? (binary ? 2 : 1) : 0;
      const fin = f === cuts.length - 2;
      frames.push(masked(fin, opcode, bytes.subarray(cuts[f], cuts[f + 1]), rnd() < 0.1, rnd));
      if (!fin && rnd() < 0.3) {
        const ping = enc.encode(`p${m}.${f}`);
        frames.push(masked(true, 9, ping, false, rnd));
        expected.splice(expected.length - 1, 0, `ping p${m}.${f}`);
      }
    }
    if (rnd() < 0.2) {
      frames.push(masked(true, 10, new Uint8Array(0), false, rnd));
      expected.push("pong");
    }
  }
  const total = frames.reduce((n, f) => n + f.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    bytes.set(f, at);
    at += f.byteLength;
  }
  return { bytes, expected };
}

Deno.test("random conversations in random chunks are read exactly as sent (500 seeded cases)", () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rnd = random(seed);
    const { bytes, expected } = conversation(rnd);
    const got: string[] = [];
    const sink: FrameSink = {
      onText: (s) => got.push(`text ${s}`),
      onBinary: (b) => got.push(`binary ${Array.from(b).join(",")}`),
      onPing: (p) => got.push(`ping ${new TextDecoder().decode(p)}`),
      onPong: () => got.push("pong"),
      onClose: (code) => got.push(`close ${code}`),
      onFail: (code, reason) => got.push(`fail ${code} ${reason}`),
    };
    const parser = new FrameParser({ maxPayload: 1 << 20, maxFragments: 0 });
    // Each chunk is a fresh copy, as a socket's reads are.
    for (let at = 0; at < bytes.byteLength;) {
      const size = rnd() < 0.3 ? 1 : 1 + Math.floor(rnd() * 64);
      parser.push(bytes.slice(at, at + size), sink);
      at += size;
    }
    // The ping inside a message is reported before the message it interrupts.
    assert.deepEqual(got, expected, `seed ${seed}`);
  }
});
