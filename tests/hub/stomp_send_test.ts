// The STOMP door's fast read of the common SEND against the full parser:
// whatever the fast read takes, the parser reads to the same headers and
// body; whatever it leaves, the parser answers as it always did.

import assert from "node:assert/strict";
import { DEFAULT_STOMP_LIMITS, parseStompFrame } from "../../src/protocol/stomp/frame.ts";
import { resolveStompDestinationRule } from "../../src/protocol/stomp/destination.ts";
import { readPlainSend, StompSendTopics } from "../../src/hub/codec/stomp_send.ts";
import { MALFORMED_FRAMES } from "../_support/stomp_malformed.ts";

const LIMITS = DEFAULT_STOMP_LIMITS;

/** Asserts the fast read agrees with the parser; returns whether it took the frame. */
function agrees(text: string, limits = LIMITS): boolean {
  const fast = readPlainSend(text, limits);
  if (fast === undefined) return false;
  const full = parseStompFrame(text, limits);
  const name = JSON.stringify(text.slice(0, 120));
  assert.ok(full.ok && full.frame !== undefined, `the parser refused ${name}`);
  const { command, headers, body } = full.frame;
  assert.equal(command, "SEND", name);
  assert.equal(fast.destination, headers.get("destination"), name);
  assert.equal(fast.contentType, headers.get("content-type"), name);
  assert.equal(fast.receipt, headers.get("receipt"), name);
  assert.equal(fast.body, body, name);
  for (const left of ["content-length", "transaction", "jws"]) {
    assert.equal(headers.has(left), false, `${name} has ${left}`);
  }
  return true;
}

/** Frames the parser reads, each a variation of a SEND a client writes. */
function variations(): string[] {
  const frames: string[] = [];
  const bodies = ["", "hi", '{"seq":1,"pad":"xxxx"}', "a:b\nc", "é😀", '"text"', "[[[1]]]"];
  const headerSets = [
    ["destination:/topic/chat/lobby"],
    ["destination:/topic/chat/lobby", "content-type:application/json"],
    ["content-type:text/plain", "destination:/topic/a", "receipt:r-1"],
    ["destination:/topic/a", "destination:/topic/b"],
    ["receipt:1", "receipt:2", "destination:/topic/a", "content-type:x", "content-type:y"],
    ["destination:/topic/a", "x-custom:with:colons", "empty:"],
    ["destination:/topic/a", "destinationx:/topic/b", "receipts:no", "content-typ:z"],
    ["destination:", "receipt:"],
    ["destination:/topic/a", "content-length:2"],
    ["destination:/topic/a", "transaction:tx1"],
    ["destination:/topic/a", "jws:a.b.c"],
    ["destination:/topic/a\\cb"],
    ["destination:/topic/a", "receipt:r\\n1"],
    ["content-type:application/json"],
    [],
  ];
  for (const headers of headerSets) {
    for (const body of bodies) {
      const head = headers.map((h) => h + "\n").join("");
      frames.push(`SEND\n${head}\n${body}\0`);
      frames.push(`SEND\n${head}\n${body}\0\n`);
      frames.push(`\nSEND\n${head}\n${body}\0`);
      frames.push(`SEND\r\n${headers.map((h) => h + "\r\n").join("")}\r\n${body}\0`);
      frames.push(`SEND\n${head}\n${body}\0${body}\0`);
    }
  }
  return frames;
}

Deno.test("readPlainSend takes a plain SEND only as the parser reads it", () => {
  let taken = 0;
  for (const text of variations()) if (agrees(text)) taken++;
  // The common frames are taken; the rest are the parser's.
  assert.ok(taken >= 40, `took ${taken}`);
  assert.ok(agrees("SEND\ndestination:/topic/a\ncontent-type:application/json\n\n{}\0"));
  assert.ok(agrees("SEND\ndestination:/topic/a\nreceipt:7\n\nx\0"));
});

Deno.test("readPlainSend leaves every malformed frame of the table to the parser", () => {
  for (const bad of MALFORMED_FRAMES) {
    if (typeof bad.data !== "string") continue;
    assert.equal(readPlainSend(bad.data, LIMITS), undefined, bad.name);
  }
});

Deno.test("readPlainSend leaves to the parser what needs its rarer rules", () => {
  const plain = "SEND\ndestination:/topic/a\n\nbody\0";
  assert.ok(agrees(plain));
  const cases: Record<string, string> = {
    "another command": "SUBSCRIBE\nid:0\ndestination:/topic/a\n\n\0",
    "a heart-beat before": `\n${plain}`,
    "end-of-lines after": `${plain}\n\n`,
    "CR LF lines": "SEND\r\ndestination:/topic/a\r\n\r\nbody\0",
    "a CR in a header": "SEND\ndestination:/topic/a\rb\n\nbody\0",
    "an escape": "SEND\ndestination:/topic/a\\cb\n\nbody\0",
    "a NUL in the body": "SEND\ndestination:/topic/a\n\nbo\0dy\0",
    "content-length": "SEND\ndestination:/topic/a\ncontent-length:4\n\nbody\0",
    "a transaction": "SEND\ndestination:/topic/a\ntransaction:t\n\nbody\0",
    "a signature": "SEND\ndestination:/topic/a\njws:a.b.c\n\nbody\0",
    "no destination": "SEND\nreceipt:1\n\nbody\0",
    "no headers": "SEND\n\nbody\0",
    "no NUL": "SEND\ndestination:/topic/a\n\nbody",
    "no blank line": "SEND\ndestination:/topic/a\nbody\0",
    "a header without colon": "SEND\ndestination:/topic/a\nnocolon\n\nbody\0",
    "an empty header name": "SEND\n:x\ndestination:/topic/a\n\nbody\0",
  };
  for (const [name, text] of Object.entries(cases)) {
    assert.equal(readPlainSend(text, LIMITS), undefined, name);
  }
});

Deno.test("readPlainSend leaves frames near a limit to the parser, which measures them", () => {
  const limits = { ...LIMITS, maxFrameBytes: 300, maxBodyBytes: 90, maxHeaders: 2 };
  const head = "SEND\ndestination:/topic/a\n\n";
  // 100 units may be 300 bytes: measured by the parser, not read here.
  assert.equal(readPlainSend(`${head}${"x".repeat(100 - head.length - 1)}\0`, limits), undefined);
  assert.ok(agrees(`${head}${"x".repeat(30)}\0`, limits));
  // A body of 31 units may be 93 bytes, past maxBodyBytes.
  assert.equal(readPlainSend(`${head}${"x".repeat(31)}\0`, limits), undefined);
  assert.equal(readPlainSend("SEND\na:1\nb:2\ndestination:/topic/a\n\n\0", limits), undefined);
  const long = { ...LIMITS, maxHeaderLength: "destination:/topic/abcdefg".length };
  assert.equal(readPlainSend("SEND\ndestination:/topic/abcdefgh\n\n\0", long), undefined);
  assert.ok(agrees("SEND\ndestination:/topic/abcdefg\n\n\0", long));
});

Deno.test("StompSendTopics names the concrete topic of a topic destination, nothing else", () => {
  const topics = new StompSendTopics(resolveStompDestinationRule());
  assert.equal(topics.topic("/topic/chat/lobby"), "chat:lobby");
  assert.equal(topics.topic("/topic/chat/lobby"), "chat:lobby");
  for (
    const other of [
      "/topic/chat/*",
      "/topic/chat/**",
      "/topic/",
      "/topic/a b",
      "/app/m",
      "/user/queue/q",
      "/queue/x",
      "",
    ]
  ) {
    assert.equal(topics.topic(other), undefined, other);
  }
  const spring = new StompSendTopics(resolveStompDestinationRule({ separator: "." }));
  assert.equal(spring.topic("/topic/chat.lobby"), "chat:lobby");
});

Deno.test("StompSendTopics keeps a bounded number of destinations and still answers past it", () => {
  const topics = new StompSendTopics(resolveStompDestinationRule());
  for (let i = 0; i < 10_000; i++) assert.equal(topics.topic(`/topic/t/${i}`), `t:${i}`);
  assert.equal(topics.topic("/topic/t/0"), "t:0");
});

Deno.test("StompSendTopics answers every destination it keeps, through the table's growth", () => {
  const topics = new StompSendTopics(resolveStompDestinationRule());
  // Names alike but for their last characters: neighbours in the table.
  const names = Array.from({ length: 3000 }, (_, i) => `bench/t${i}`);
  for (const name of names) assert.equal(topics.topic(`/topic/${name}`), name.replace("/", ":"));
  for (const name of names) assert.equal(topics.topic(`/topic/${name}`), name.replace("/", ":"));
  assert.equal(topics.topic("/topic/bench/t3000x"), "bench:t3000x");
  assert.equal(topics.topic("/topic/bench/*"), undefined);
});

Deno.test("StompSendTopics answers right when many destinations crowd the same slots", () => {
  const topics = new StompSendTopics(resolveStompDestinationRule());
  // Past the probe bound some are replaced rather than kept: each still maps.
  const names = Array.from({ length: 4096 }, (_, i) => `a/${i.toString(2)}`);
  for (let round = 0; round < 3; round++) {
    for (const name of names) assert.equal(topics.topic(`/topic/${name}`), name.replace("/", ":"));
  }
});
