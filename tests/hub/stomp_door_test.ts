// The STOMP door's timed and negotiated behaviour over a real socket, on an
// injected clock: heart-beats both ways and the silence grace, version
// negotiation, DISCONNECT, the upgrade's token, token expiry, one MESSAGE per
// matching subscription, ack headers and the rate limit.

import assert from "node:assert/strict";
import { startTestHub, type TestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { withTimeout } from "../_support/client.ts";
import { mintToken } from "../../src/auth/mint.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { signPublication } from "../../src/signing/mod.ts";
import { SECRET as SIGNING_SECRET } from "../signing/_keys.ts";

const WAIT_MS = 10_000;
const SECRET = "test-secret-of-at-least-32-bytes-long!!";

/** A raw STOMP socket whose messages and close are awaited with a bound. */
class Peer {
  readonly socket: WebSocket;
  #messages: string[] = [];
  #waiters: ((text: string) => void)[] = [];
  readonly closed: Promise<CloseEvent>;
  /** Every WebSocket message as received, before splitting. */
  readonly raw: string[] = [];

  constructor(url: string, protocols: string[]) {
    this.socket = new WebSocket(url, protocols);
    this.socket.onmessage = (event) => {
      this.raw.push(String(event.data));
      // The hub writes the frames of one turn in one message, each ending with its NUL.
      for (const text of splitFrames(String(event.data))) {
        const waiter = this.#waiters.shift();
        if (waiter !== undefined) waiter(text);
        else this.#messages.push(text);
      }
    };
    this.closed = new Promise((resolve) => this.socket.onclose = resolve);
  }

  opened(): Promise<unknown> {
    return withTimeout(
      new Promise((resolve, reject) => {
        this.socket.onopen = resolve;
        this.socket.onerror = reject;
      }),
      WAIT_MS,
      "open",
    );
  }

  next(what: string): Promise<string> {
    const text = this.#messages.shift();
    if (text !== undefined) return Promise.resolve(text);
    return withTimeout(new Promise((resolve) => this.#waiters.push(resolve)), WAIT_MS, what);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  close(): Promise<CloseEvent> {
    this.socket.close();
    return withTimeout(this.closed, WAIT_MS, "close");
  }
}

/** A message's frames (bodies here hold no NUL), or a heart-beat's EOL. */
function splitFrames(text: string): string[] {
  if (!text.includes("\0")) return [text];
  return text.split("\0").slice(0, -1).map((part) => `${part.replace(/^(?:\r?\n)+/, "")}\0`);
}

function header(frame: string, name: string): string | undefined {
  const head = frame.slice(0, frame.indexOf("\n\n"));
  return head.split("\n").find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1);
}

async function connected(
  h: TestHub,
  headers: string,
  protocols = ["v12.stomp"],
): Promise<{ peer: Peer; frame: string }> {
  const peer = new Peer(h.url, protocols);
  await peer.opened();
  peer.send(`CONNECT\n${headers}\n\n\0`);
  return { peer, frame: await peer.next("CONNECTED") };
}

async function hub(options: Partial<HubOptions> = {}): Promise<{ h: TestHub; clock: ManualClock }> {
  const clock = new ManualClock();
  const h = await startTestHub("deno", {
    clock,
    acl: { rules: [{ effect: "allow", actions: "*", topics: ["chat:**"] }] },
    ...options,
  });
  return { h, clock };
}

function token(clock: ManualClock, sub: string, ttl: string | number = "1h"): Promise<string> {
  return mintToken({ sub }, { secret: SECRET }, { ttl, now: () => clock.now() });
}

Deno.test("StompDoor negotiates heart-beats, beats when idle and closes a silent client after twice the interval", async () => {
  const { h, clock } = await hub({ stomp: { heartbeatMs: 2000 } });
  await using _ = h;
  const { peer, frame } = await connected(
    h,
    `accept-version:1.2\nheart-beat:1000,1000\npasscode:${await token(clock, "alice")}`,
  );
  assert.equal(header(frame, "heart-beat"), "2000,2000");
  // The hub checks every half interval and beats when it wrote nothing since the last check.
  clock.advance(1000);
  clock.advance(1000);
  assert.equal(await peer.next("heart-beat"), "\n");
  // 3999 ms of silence: still open, as a receipt shows (which also resets the silence).
  clock.advance(1999);
  peer.send("SUBSCRIBE\nid:1\ndestination:/topic/chat/a\nreceipt:r1\n\n\0");
  let next = await peer.next("receipt");
  while (next === "\n") next = await peer.next("receipt");
  assert.match(next, /^RECEIPT\nreceipt-id:r1\n/);
  const heardAt = clock.now();
  clock.advance(3999);
  peer.send("\n");
  clock.advance(3999);
  // Silent for 4000 ms (twice 2000) since the EOL: closed with 4008.
  clock.advance(1);
  const closed = await withTimeout(peer.closed, WAIT_MS, "close");
  assert.equal(closed.code, 4008);
  assert.ok(clock.now() - heardAt >= 4000);
});

Deno.test("StompDoor offers no heart-beat when the client asks none", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer, frame } = await connected(
    h,
    `accept-version:1.2\npasscode:${await token(clock, "a")}`,
  );
  assert.equal(header(frame, "heart-beat"), "10000,10000");
  clock.advance(60_000);
  // Neither beats nor closes: a frame still gets its receipt, first.
  peer.send("SUBSCRIBE\nid:1\ndestination:/topic/chat/a\nreceipt:r\n\n\0");
  assert.match(await peer.next("receipt"), /^RECEIPT\n/);
  await peer.close();
});

Deno.test("StompDoor agrees on the highest common version, and refuses none in common", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const jwt = await token(clock, "a");
  const one = await connected(h, `accept-version:1.0,1.1,1.2\npasscode:${jwt}`, ["v11.stomp"]);
  assert.equal(header(one.frame, "version"), "1.1");
  await one.peer.close();
  const none = await connected(h, `accept-version:1.2\npasscode:${jwt}`, ["v11.stomp"]);
  assert.match(none.frame, /^ERROR\n/);
  assert.equal(header(none.frame, "version"), "1.1,1.0");
  assert.notEqual((await withTimeout(none.peer.closed, WAIT_MS, "close")).code, 1000);
});

Deno.test("StompDoor answers DISCONNECT's receipt, then closes with 1000", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  peer.send("DISCONNECT\nreceipt:bye\n\n\0");
  assert.match(await peer.next("receipt"), /^RECEIPT\nreceipt-id:bye\n/);
  assert.equal((await withTimeout(peer.closed, WAIT_MS, "close")).code, 1000);
});

Deno.test("StompDoor takes the upgrade's token when CONNECT carries none", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const jwt = await token(clock, "carol");
  const { peer, frame } = await connected(h, "accept-version:1.2", ["v12.stomp", "auth", jwt]);
  assert.match(frame, /^CONNECTED\n/);
  assert.equal(header(frame, "user-name"), "carol");
  assert.equal(peer.socket.protocol, "v12.stomp");
  await peer.close();
});

Deno.test("StompDoor ends a session at token expiry with an ERROR and 4001", async () => {
  const { h, clock } = await hub({ tokenExpiringLeadMs: 1000 });
  await using _ = h;
  const { peer } = await connected(
    h,
    `accept-version:1.2\npasscode:${await token(clock, "a", 10)}`,
  );
  clock.advance(10_000);
  const error = await peer.next("ERROR");
  assert.match(error, /^ERROR\n/);
  assert.equal(header(error, "code"), "TOKEN_EXPIRED");
  assert.equal((await withTimeout(peer.closed, WAIT_MS, "close")).code, 4001);
});

Deno.test("StompDoor sends one MESSAGE per matching subscription, with ack headers where asked", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  peer.send("SUBSCRIBE\nid:exact\ndestination:/topic/chat/room\n\n\0");
  peer.send("SUBSCRIBE\nid:again\ndestination:/topic/chat/room\nack:client\n\n\0");
  peer.send("SUBSCRIBE\nid:all\ndestination:/topic/chat/*\nreceipt:ready\n\n\0");
  assert.match(await peer.next("receipt"), /receipt-id:ready/);
  await h.hub.publish("chat:room", { n: 1 });
  const frames = [await peer.next("m1"), await peer.next("m2"), await peer.next("m3")];
  const subscriptions = frames.map((f) => header(f, "subscription")).sort();
  assert.deepEqual(subscriptions, ["again", "all", "exact"]);
  const ids = new Set(frames.map((f) => header(f, "message-id")));
  assert.equal(ids.size, 1, "one publication, one message id");
  const client = frames.find((f) => header(f, "subscription") === "again")!;
  assert.equal(header(client, "ack"), header(client, "message-id"));
  assert.equal(
    header(frames.find((f) => header(f, "subscription") === "exact")!, "ack"),
    undefined,
  );
  for (const f of frames) assert.equal(f.slice(f.indexOf("\n\n") + 2), '{"n":1}\0');
  // ACK is read and changes nothing.
  peer.send(`ACK\nid:${header(client, "ack")}\nreceipt:acked\n\n\0`);
  assert.match(await peer.next("ack receipt"), /receipt-id:acked/);
  await peer.close();
});

Deno.test("StompDoor counts frames against the message rate: past it, ERROR RATE_LIMITED and 4008", async () => {
  const { h, clock } = await hub({
    limits: { messageRate: 1, messageBurst: 3 },
  });
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  for (let i = 0; i < 4; i++) peer.send("\n");
  const error = await peer.next("ERROR");
  assert.equal(header(error, "code"), "RATE_LIMITED");
  assert.equal((await withTimeout(peer.closed, WAIT_MS, "close")).code, 4008);
});

for (const batch of [true, false]) {
  Deno.test(`StompDoor writes a turn's frames in ${batch ? "one message" : "one message each"} with batch: ${batch}`, async () => {
    const { h, clock } = await hub({ stomp: { batch } });
    await using _ = h;
    const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
    peer.send("SUBSCRIBE\nid:a\ndestination:/topic/chat/room\n\n\0");
    peer.send("SUBSCRIBE\nid:b\ndestination:/topic/chat/room\nreceipt:ready\n\n\0");
    assert.match(await peer.next("receipt"), /receipt-id:ready/);
    const before = peer.raw.length;
    await h.hub.publish("chat:room", "x");
    await peer.next("first");
    await peer.next("second");
    const messages = peer.raw.slice(before);
    assert.equal(messages.length, batch ? 1 : 2);
    assert.equal(messages.join("").split("\0").length - 1, 2);
    await peer.close();
  });
}

Deno.test("StompDoor answers a frame over maxFrameBytes with ERROR TOO_LARGE on the Deno adapter", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  peer.send(`SEND\ndestination:/topic/chat/a\n\n${"x".repeat(70 * 1024)}\0`);
  const error = await peer.next("ERROR");
  assert.equal(header(error, "code"), "TOO_LARGE");
  assert.equal((await withTimeout(peer.closed, WAIT_MS, "close")).code, 4000);
});

Deno.test("StompDoor closes a connection that sends no CONNECT within firstMessageTimeoutMs", async () => {
  const { h, clock } = await hub({ firstMessageTimeoutMs: 1000 });
  await using _ = h;
  const peer = new Peer(h.url, ["v12.stomp"]);
  await peer.opened();
  clock.advance(1000);
  assert.equal((await withTimeout(peer.closed, WAIT_MS, "close")).code, 4001);
});

Deno.test("StompDoor sends /app/** to hub.rpc handlers and the answer to reply-to, then the receipt", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  h.hub.rpc("math.add", ({ data, principal }) => {
    const { a, b } = data as { a: number; b: number };
    return { sum: a + b, by: principal.sub };
  });
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "dora")}`);
  peer.send("SUBSCRIBE\nid:answers\ndestination:/user/queue/answers\n\n\0");
  peer.send(
    'SEND\ndestination:/app/math.add\nreply-to:/user/queue/answers\ncorrelation-id:7\ncontent-type:application/json\nreceipt:done\n\n{"a":2,"b":3}\0',
  );
  const reply = await peer.next("reply");
  assert.match(reply, /^MESSAGE\n/);
  assert.equal(header(reply, "subscription"), "answers");
  assert.equal(header(reply, "correlation-id"), "7");
  assert.equal(header(reply, "destination"), "/user/queue/answers");
  assert.equal(reply.slice(reply.indexOf("\n\n") + 2), '{"sum":5,"by":"dora"}\0');
  assert.match(await peer.next("receipt"), /^RECEIPT\nreceipt-id:done\n/);
  // An unknown method is an answer with an error header, not the end of the connection.
  peer.send("SEND\ndestination:/app/math.nope\nreply-to:/user/queue/answers\nreceipt:r2\n\n\0");
  const refused = await peer.next("refusal");
  assert.equal(header(refused, "error"), "BAD_REQUEST");
  assert.match(await peer.next("receipt 2"), /receipt-id:r2/);
  await peer.close();
});

Deno.test("StompDoor passes a signed publication through intact: SEND's jws header to MESSAGE's", async () => {
  const h = await startTestHub("deno", {
    acl: {
      rules: [
        { effect: "allow", actions: ["subscribe"], topics: ["hs:*"] },
        {
          effect: "allow",
          actions: ["publish"],
          topics: ["hs:*"],
          signed: { keys: SIGNING_SECRET },
        },
      ],
    },
  });
  await using _ = h;
  const { peer } = await connected(
    h,
    `accept-version:1.2\npasscode:${await h.token({ sub: "s" })}`,
  );
  peer.send("SUBSCRIBE\nid:1\ndestination:/topic/hs/room\nreceipt:sub\n\n\0");
  assert.match(await peer.next("receipt"), /receipt-id:sub/);
  const jws = await signPublication("hs:room", { n: 1 }, SIGNING_SECRET);
  peer.send(`SEND\ndestination:/topic/hs/room\njws:${jws}\nreceipt:sent\n\n\0`);
  const frames = [await peer.next("first"), await peer.next("second")];
  const message = frames.find((f) => f.startsWith("MESSAGE"))!;
  assert.ok(frames.some((f) => /^RECEIPT\nreceipt-id:sent\n/.test(f)));
  assert.equal(header(message, "jws"), jws);
  assert.equal(message.slice(message.indexOf("\n\n") + 2), '{"n":1}\0');
  // A plain SEND to a signed topic is refused: ERROR, as any refusal.
  peer.send("SEND\ndestination:/topic/hs/room\nreceipt:plain\n\nx\0");
  const error = await peer.next("ERROR");
  assert.equal(header(error, "code"), "SIGNATURE_REQUIRED");
  assert.equal(header(error, "receipt-id"), "plain");
});

Deno.test("StompDoor bounds subscription ids by maxSubscriptions, user queues and repeats included", async () => {
  const { h, clock } = await hub({ limits: { maxSubscriptions: 3 } });
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  peer.send("SUBSCRIBE\nid:1\ndestination:/topic/chat/a\n\n\0");
  peer.send("SUBSCRIBE\nid:2\ndestination:/topic/chat/a\n\n\0");
  peer.send("SUBSCRIBE\nid:3\ndestination:/user/queue/x\nreceipt:three\n\n\0");
  assert.match(await peer.next("receipt"), /receipt-id:three/);
  peer.send("SUBSCRIBE\nid:4\ndestination:/user/queue/y\nreceipt:four\n\n\0");
  const error = await peer.next("ERROR");
  assert.equal(header(error, "code"), "RATE_LIMITED");
  assert.equal(header(error, "receipt-id"), "four");
});

Deno.test("StompDoor takes a STOMP 1.0 SUBSCRIBE without id: the destination names it", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer, frame } = await connected(
    h,
    `accept-version:1.0\npasscode:${await token(clock, "a")}`,
    ["v10.stomp"],
  );
  assert.equal(header(frame, "version"), "1.0");
  peer.send("SUBSCRIBE\ndestination:/topic/chat/old\nreceipt:r\n\n\0");
  assert.match(await peer.next("receipt"), /receipt-id:r/);
  await h.hub.publish("chat:old", "hi");
  const message = await peer.next("message");
  assert.equal(header(message, "subscription"), "/topic/chat/old");
  peer.send("UNSUBSCRIBE\ndestination:/topic/chat/old\nreceipt:u\n\n\0");
  assert.match(await peer.next("unsubscribe receipt"), /receipt-id:u/);
  assert.equal(h.hub.subscriberCount("chat:old"), 0);
  await peer.close();
});

Deno.test("StompDoor reads a SEND's body as the JSON its content-type says, else as text", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const { peer } = await connected(h, `accept-version:1.2\npasscode:${await token(clock, "a")}`);
  peer.send("SUBSCRIBE\nid:0\ndestination:/topic/chat/body\nreceipt:sub\n\n\0");
  assert.match(await peer.next("receipt"), /receipt-id:sub/);
  // The payload within one level of maxDepth (32): accepted, however long.
  const deepest = `${"[".repeat(31)}"${"x".repeat(80)}"${"]".repeat(31)}`;
  const sent: [string, string, string, string][] = [
    // [content-type header, body sent, body delivered, content-type delivered]
    ["content-type:application/json\n", '{ "a" : [1, 2.50] }', '{"a":[1,2.5]}', "application/json"],
    ["content-type:text/plain\n", 'hi "there"', 'hi "there"', "text/plain;charset=utf-8"],
    ["", "{}", "{}", "text/plain;charset=utf-8"],
    ["content-type:application/vnd.x+json; charset=utf-8\n", "[1]", "[1]", "application/json"],
    ["content-type:application/json\nreceipt:deep\n", deepest, deepest, "application/json"],
  ];
  for (const [head, body] of sent) {
    peer.send(`SEND\ndestination:/topic/chat/body\n${head}\n${body}\0`);
  }
  for (const [, , body, type] of sent) {
    const message = await peer.next("message");
    assert.equal(header(message, "content-type"), type);
    assert.equal(message.slice(message.indexOf("\n\n") + 2), `${body}\0`);
    assert.equal(header(message, "content-length"), String(new TextEncoder().encode(body).length));
  }
  assert.match(await peer.next("receipt"), /receipt-id:deep/);
  await peer.close();
});

Deno.test("StompDoor refuses a SEND whose JSON body is nested too deep, or is not JSON", async () => {
  const { h, clock } = await hub();
  await using _ = h;
  const jwt = await token(clock, "a");
  const deep = await connected(h, `accept-version:1.2\npasscode:${jwt}`);
  // 32 levels in the payload are 33 in the request: one past maxDepth.
  deep.peer.send(
    `SEND\ndestination:/topic/chat/body\ncontent-type:application/json\nreceipt:d\n\n${
      "[".repeat(32)
    }1${"]".repeat(32)}\0`,
  );
  const tooDeep = await deep.peer.next("ERROR");
  assert.match(tooDeep, /^ERROR\n/);
  assert.equal(header(tooDeep, "code"), "BAD_REQUEST");
  assert.equal(header(tooDeep, "receipt-id"), "d");
  assert.match(header(tooDeep, "message")!, /nested deeper than 32 levels/);
  const notJson = await connected(h, `accept-version:1.2\npasscode:${jwt}`);
  notJson.peer.send(
    "SEND\ndestination:/topic/chat/body\ncontent-type:application/json\nreceipt:j\n\n{nope\0",
  );
  const refused = await notJson.peer.next("ERROR");
  assert.equal(header(refused, "code"), "BAD_REQUEST");
  assert.equal(header(refused, "receipt-id"), "j");
  assert.match(header(refused, "message")!, /Body is not valid JSON/);
  assert.notEqual((await withTimeout(notJson.peer.closed, WAIT_MS, "close")).code, 1000);
});
