// RealtimeClient signing and verifying, against a scripted peer on
// 127.0.0.1 that echoes what the client published (the hub does not verify
// or forward `jws` until its wiring lands; tests/client/signing_hub_test.ts
// holds the real-hub table for then). The signing core is the real one.

import assert from "node:assert/strict";
import { base64url } from "jose";
import {
  RealtimeClient,
  type RealtimeMessage,
  type VerificationFailure,
} from "../../src/client/mod.ts";
import {
  createPublicationSigner,
  createPublicationVerifier,
  type PublicationVerifier,
  signPublication,
} from "../../src/signing/mod.ts";
import { ed25519, es256, SECRET } from "../signing/_keys.ts";
import { next } from "./_helpers.ts";
import { type Frame, type PeerConnection, scriptedPeer } from "./_scripted_peer.ts";
import { withTimeout } from "../_support/client.ts";

function client(url: string): RealtimeClient {
  return new RealtimeClient({
    url,
    token: "a.b.c",
    backoff: { baseMs: 1, maxMs: 1 },
    heartbeatMs: 0,
  });
}

/** Subscribes with `verify`, collecting messages and failures; resolves when `count` of both arrived. */
function verifying(rt: RealtimeClient, topic: string, verify: unknown, count: number) {
  const messages: RealtimeMessage[] = [];
  const failures: VerificationFailure[] = [];
  const all = Promise.withResolvers<void>();
  const check = () => {
    if (messages.length + failures.length >= count) all.resolve();
  };
  rt.on("verification_failed", (failure) => {
    failures.push(failure);
    check();
  });
  const unsubscribe = rt.subscribe(topic, (msg) => {
    messages.push(msg);
    check();
  }, { verify: verify as string });
  return {
    messages,
    failures,
    unsubscribe,
    all: withTimeout(all.promise, 5000, `${count} messages or failures`),
  };
}

/** Acknowledges the next subscribe on `conn`, then sends `after`. */
async function ackSubscribe(conn: PeerConnection, reply: Frame = {}, ...after: Frame[]) {
  const request = await conn.nextOf("subscribe");
  conn.send({ type: "ack", id: request.id, ...reply }, ...after);
  return request;
}

/** The message frame a hub sends for a signed publish: payload decoded, jws untouched. */
function echo(publish: Frame, extra: Frame = {}): Frame {
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(publish.jws.split(".")[1])));
  return {
    type: "message",
    topic: publish.topic,
    payload: claims.data,
    jws: publish.jws,
    from: "pricing",
    ts: 1,
    ...extra,
  };
}

const keys = [
  { name: "HS256", sign: () => Promise.resolve(SECRET), verify: () => Promise.resolve(SECRET) },
  {
    name: "ES256",
    sign: async () => (await es256()).privateJwk,
    verify: async () => (await es256()).publicPem,
  },
  {
    name: "EdDSA",
    sign: async () => (await ed25519()).privatePem,
    verify: async () => ({ keys: [(await ed25519()).publicJwk] }),
  },
];

for (const key of keys) {
  Deno.test(`RealtimeClient.publish signs with ${key.name} and a verify subscription receives the exact JWS`, async () => {
    await using peer = scriptedPeer();
    await using rt = client(peer.url);
    const sub = verifying(rt, "prices:eur", await key.verify(), 1);
    const conn = await peer.connection(1);
    await ackSubscribe(conn);
    await sub.unsubscribe.ready;

    const published = rt.publish("prices:eur", { bid: 1.08 }, { sign: await key.sign() });
    const frame = await conn.nextOf("publish");
    assert.deepEqual(Object.keys(frame).sort(), ["id", "idempotencyKey", "jws", "topic", "type"]);
    const check = await createPublicationVerifier({ keys: await key.verify() })
      .verify("prices:eur", frame.jws);
    assert.equal(check.ok, true, "the signing core accepts what the client signed");
    conn.send({ type: "ack", id: frame.id }, echo(frame));
    await published;

    await sub.all;
    assert.deepEqual(sub.failures, []);
    const [msg] = sub.messages;
    assert.equal(msg.jws, frame.jws, "the JWS reaches the handler byte for byte");
    assert.deepEqual(msg.payload, { bid: 1.08 });
    assert.equal(msg.verified, true);
  });
}

Deno.test("RealtimeClient verify drops and reports a tampered, a foreign-topic and an unsigned message", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const sub = verifying(rt, "prices:eur", SECRET, 5);
  const conn = await peer.connection(1);
  await ackSubscribe(conn, { offset: 0, epoch: "e1" });
  await sub.unsubscribe.ready;

  const good = await signPublication("prices:eur", 1.08, SECRET);
  const [header, , signature] = good.split(".");
  const forged = base64url.encode(JSON.stringify({ topic: "prices:eur", data: 0.01, iat: 1 }));
  const tampered = `${header}.${forged}.${signature}`;
  const otherTopic = await signPublication("prices:usd", 1.2, SECRET);
  const wrongKey = await signPublication(
    "prices:eur",
    5,
    "a different secret of at least 32 bytes",
  );
  const message = (offset: number, fields: Frame) => ({
    type: "message",
    topic: "prices:eur",
    payload: 0.01,
    from: "eve",
    ts: 1,
    offset,
    ...fields,
  });
  conn.send(
    message(1, { jws: tampered }),
    message(2, { jws: otherTopic }),
    message(3, {}),
    message(4, { jws: wrongKey }),
    message(5, { jws: good, payload: 1.08 }),
  );
  await sub.all;

  assert.deepEqual(sub.messages.map((m) => [m.offset, m.payload]), [[5, 1.08]]);
  assert.deepEqual(
    sub.failures.map(({ offset, code, topic }) => [offset, code, topic]),
    [
      [1, "SIGNATURE_INVALID", "prices:eur"],
      [2, "SIGNATURE_TOPIC", "prices:eur"],
      [3, "SIGNATURE_REQUIRED", "prices:eur"],
      [4, "SIGNATURE_INVALID", "prices:eur"],
    ],
  );
  const reported = JSON.stringify(sub.failures);
  for (const jws of [tampered, otherTopic, wrongKey]) {
    assert.equal(reported.includes(jws.split(".")[2]), false, "a failure never carries the JWS");
  }
});

Deno.test("RealtimeClient verify delivers in arrival order when slow ES256 and fast HS256 verifications mix", async () => {
  const pair = await es256();
  const hs = createPublicationVerifier({ keys: SECRET, checkFreshness: false });
  const es = createPublicationVerifier({ keys: pair.publicJwk, checkFreshness: false });
  // ES256 verifications wait until every HS256 one has finished, so without
  // a queue the fast ones would overtake them.
  const HS_COUNT = 6;
  let hsDone = 0;
  const hsAllDone = Promise.withResolvers<void>();
  const mixed: PublicationVerifier = {
    algorithms: [...hs.algorithms, ...es.algorithms],
    async verify(topic, jws) {
      const alg = JSON.parse(new TextDecoder().decode(base64url.decode(jws.split(".")[0]))).alg;
      if (alg === "ES256") {
        await hsAllDone.promise;
        return await es.verify(topic, jws);
      }
      const result = await hs.verify(topic, jws);
      if (++hsDone === HS_COUNT) hsAllDone.resolve();
      return result;
    },
  };
  const esSigner = createPublicationSigner(pair.privateJwk);
  const hsSigner = createPublicationSigner(SECRET);
  const sequence: Frame[] = [];
  for (let i = 1; i <= 2 * HS_COUNT; i++) {
    const jws = await (i % 2 === 1 ? esSigner : hsSigner).sign("ticks:a", i);
    sequence.push({ type: "message", topic: "ticks:a", payload: i, jws, from: "svc", ts: 1 });
  }

  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const sub = verifying(rt, "ticks:a", mixed, sequence.length);
  const conn = await peer.connection(1);
  await ackSubscribe(conn);
  await sub.unsubscribe.ready;
  conn.send(...sequence);
  await sub.all;
  assert.deepEqual(sub.failures, []);
  assert.deepEqual(sub.messages.map((m) => m.payload), sequence.map((f) => f.payload));
});

Deno.test("RealtimeClient verify accepts an expired signed message recovered from history after a reconnect", async () => {
  const hourAgo = Date.now() - 3_600_000;
  const old = createPublicationSigner(SECRET, { expiresInMs: 60_000, now: () => hourAgo });
  const signed = (offset: number) =>
    old.sign("chat:a", { n: offset }).then((jws) => ({
      type: "message",
      topic: "chat:a",
      payload: { n: offset },
      jws,
      from: "bot",
      ts: hourAgo,
      offset,
    }));

  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const sub = verifying(rt, "chat:a", SECRET, 3);
  const first = await peer.connection(1);
  await ackSubscribe(first, { offset: 3, epoch: "e1" }, await signed(4));
  await sub.unsubscribe.ready;
  const resubscribed = next(rt, "subscribed", (info) => info.resubscribed);
  first.close(4008);

  const second = await peer.connection(2);
  // The replay brings 5 and 6, long expired: a subscriber checks signatures, not freshness.
  const request = await ackSubscribe(
    second,
    { offset: 6, epoch: "e1", recovered: true },
    await signed(5),
    await signed(6),
  );
  assert.deepEqual(request.since, { offset: 4, epoch: "e1" });
  assert.equal((await resubscribed)[0].recovered, true);
  await sub.all;
  assert.deepEqual(sub.failures, []);
  assert.deepEqual(sub.messages.map((m) => [m.offset, m.verified]), [[4, true], [5, true], [
    6,
    true,
  ]]);
});

Deno.test("RealtimeClient.publish keeps call order when a signed publish precedes plain ones", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const conn = await peer.connection(1);
  await rt.opened();
  const pair = await es256();
  const sent = [
    rt.publish("chat:a", 1, { sign: pair.privateJwk, ack: false }),
    rt.publish("chat:a", 2, { ack: false }),
    rt.publish("chat:a", 3, { sign: SECRET, ack: false }),
    rt.publish("chat:a", 4, { ack: false }),
  ];
  await Promise.all(sent);
  const frames = [];
  for (let i = 0; i < 4; i++) frames.push(await conn.nextOf("publish"));
  assert.deepEqual(frames.map((f) => f.jws === undefined ? f.payload : "signed"), [
    "signed",
    2,
    "signed",
    4,
  ]);
});

Deno.test("RealtimeClient refuses unusable signing and verifying keys with a clear error and no frame", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const conn = await peer.connection(1);
  await rt.opened();
  const pair = await es256();
  await assert.rejects(
    rt.publish("chat:a", 1, { sign: pair.publicJwk }),
    (e: Error) => e instanceof TypeError && /public JWK/.test(e.message),
  );
  await assert.rejects(rt.publish("chat:a", 1, { sign: "short" }), RangeError);
  await assert.rejects(
    rt.publish("chat:a", 1n, { sign: SECRET }),
    (e: Error) => e instanceof TypeError && /JSON-serializable/.test(e.message),
  );
  // The verifier loads on first use, so an unusable key rejects `ready`.
  await assert.rejects(
    rt.subscribe("chat:a", () => {}, { verify: pair.privatePem }).ready,
    (e: Error) => e instanceof TypeError && /private key/.test(e.message),
  );
  await assert.rejects(rt.subscribe("chat:a", () => {}, { verify: "short" }).ready, RangeError);
  assert.throws(() => rt.subscribe("chat:a:", () => {}, { verify: SECRET }), TypeError);
  assert.deepEqual(rt.subscriptions, [], "a refused verify key subscribes nothing");
  // The client still works: the next publish is the first frame the peer sees.
  await rt.publish("chat:a", "after", { ack: false });
  const frame = await conn.nextOf("publish");
  assert.equal(frame.payload, "after");
  assert.equal(conn.received.filter((f) => f.type === "publish").length, 1);
  assert.equal(
    conn.received.some((f) => f.type === "subscribe"),
    false,
  );
});

Deno.test("RealtimeClient verify subscribes nothing when unsubscribed before its verifier loaded", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const conn = await peer.connection(1);
  await rt.opened();
  const unsubscribe = rt.subscribe("prices:eur", () => {}, { verify: SECRET });
  unsubscribe();
  await unsubscribe.ready;
  assert.deepEqual(rt.subscriptions, []);
  // The next frame the peer sees is this publish, not a subscribe.
  await rt.publish("chat:a", "after", { ack: false });
  assert.equal((await conn.nextOf("publish")).payload, "after");
  assert.equal(conn.received.some((f) => f.type === "subscribe"), false);
});
