// The hub's side of signed publications, over real sockets on 127.0.0.1:
// what subscribers receive (the verified payload and the exact JWS, which
// they verify with jose), server-side signing with hub.publish, an
// unusable configured key, and the order of one publisher's signed frames.
// The table of accepted and refused cases is tests/client/signing_hub_test.ts.

import assert from "node:assert/strict";
import { compactVerify, importJWK } from "jose";
import type { AclRule } from "../../src/acl/rules.ts";
import { PublishError } from "../../src/hub/publish_error.ts";
import { createSignedPublish } from "../../src/hub/_signed_publish.ts";
import type { PublicationVerification, PublicationVerifier } from "../../src/signing/verify.ts";
import { createPublicationSigner, signPublication } from "../../src/signing/mod.ts";
import { connectWelcomed, type Frame, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ed25519, es256, OTHER_SECRET, SECRET } from "../signing/_keys.ts";

async function rules(): Promise<AclRule[]> {
  return [
    { effect: "allow", actions: ["subscribe"], topics: ["**"] },
    { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: SECRET } },
    {
      effect: "allow",
      actions: ["publish"],
      topics: ["ed:*"],
      signed: { keys: (await ed25519()).publicJwk },
    },
    { effect: "allow", actions: ["publish"], topics: ["plain:*"] },
  ];
}

async function socket(url: string, token: string): Promise<TestSocket> {
  const [s] = await connectWelcomed(url, { headers: { authorization: `Bearer ${token}` } });
  return s;
}

async function subscribed(url: string, token: string, topic: string): Promise<TestSocket> {
  const s = await socket(url, token);
  assert.equal((await s.request({ type: "subscribe", id: 1, topic })).type, "ack");
  return s;
}

const message = (topic: string) => (f: Frame) => f.type === "message" && f.topic === topic;

eachTransport(
  "hub signed publish: every subscriber gets the verified payload and the exact JWS, which verifies with jose",
  async (transport) => {
    await using h = await startTestHub(transport, { acl: { rules: await rules() } });
    const token = await h.token({ sub: "svc" });
    const readers = [
      await subscribed(h.url, token, "ed:a"),
      await subscribed(h.url, token, "ed:a"),
    ];
    const publisher = await socket(h.url, token);
    try {
      const ed = await ed25519();
      const jws = await signPublication("ed:a", { bid: 1.08, note: "é" }, ed.privateJwk);
      const reply = await publisher.request({ type: "publish", id: 2, topic: "ed:a", jws });
      assert.equal(reply.type, "ack", JSON.stringify(reply));
      for (const reader of readers) {
        const m = await reader.next(message("ed:a"));
        assert.equal(m.jws, jws, "the JWS is forwarded byte for byte");
        assert.deepEqual(m.payload, { bid: 1.08, note: "é" });
        assert.equal(m.from, "svc");
        const { payload } = await compactVerify(m.jws, await importJWK(ed.publicJwk, "EdDSA"));
        assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)).data, m.payload);
      }
    } finally {
      for (const s of [...readers, publisher]) await s.close();
    }
  },
);

eachTransport(
  "hub signed publish: one publisher's signed publications arrive in the order sent, whatever each takes to verify",
  async (transport) => {
    // Two keys in one set: ES256 and EdDSA take different times to verify,
    // so without ordering a fast one overtakes a slow one sent before it.
    const es = await es256();
    const ed = await ed25519();
    const mixed: AclRule[] = [
      { effect: "allow", actions: ["subscribe"], topics: ["**"] },
      {
        effect: "allow",
        actions: ["publish"],
        topics: ["mix:*"],
        signed: {
          keys: { keys: [{ ...es.publicJwk, kid: "es" }, { ...ed.publicJwk, kid: "ed" }] },
        },
      },
    ];
    await using h = await startTestHub(transport, { acl: { rules: mixed } });
    const token = await h.token({ sub: "svc" });
    const reader = await subscribed(h.url, token, "mix:order");
    const publisher = await socket(h.url, token);
    try {
      const signers = [
        createPublicationSigner(es.privateJwk, { kid: "es" }),
        createPublicationSigner(ed.privateJwk, { kid: "ed" }),
      ];
      const count = 60;
      const frames: string[] = [];
      for (let n = 0; n < count; n++) {
        const jws = await signers[n % 2].sign("mix:order", n);
        frames.push(JSON.stringify({ type: "publish", id: 10 + n, topic: "mix:order", jws }));
      }
      for (const frame of frames) publisher.send(frame);
      const seen: number[] = [];
      while (seen.length < count) {
        seen.push((await reader.next(message("mix:order"), 5000)).payload);
      }
      assert.deepEqual(seen, Array.from({ length: count }, (_, n) => n));
    } finally {
      await reader.close();
      await publisher.close();
    }
  },
);

eachTransport(
  "hub.publish signs with { sign } and refuses what the topic's rule refuses, with a PublishError",
  async (transport) => {
    await using h = await startTestHub(transport, { acl: { rules: await rules() } });
    const token = await h.token({ sub: "reader" });
    const reader = await subscribed(h.url, token, "hs:srv");
    const plainReader = await subscribed(h.url, token, "plain:srv");
    try {
      await h.hub.publish("hs:srv", { n: 1 }, { sign: SECRET });
      await h.hub.publish("hs:srv", { n: 2 }, { sign: createPublicationSigner(SECRET) });
      for (const n of [1, 2]) {
        const m = await reader.next(message("hs:srv"));
        assert.deepEqual(m.payload, { n });
        assert.equal(m.from, null);
        const { payload } = await compactVerify(m.jws, new TextEncoder().encode(SECRET));
        assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)).data, { n });
      }
      // Each publish starts only when awaited: a refusal is never left unhandled meanwhile.
      const refusals: [string, () => Promise<unknown>, string][] = [
        ["plain to a signed topic", () => h.hub.publish("hs:srv", 3), "SIGNATURE_REQUIRED"],
        [
          "a key the topic does not accept",
          () => h.hub.publish("hs:srv", 4, { sign: OTHER_SECRET }),
          "SIGNATURE_INVALID",
        ],
        [
          "signed to a topic that takes none",
          () => h.hub.publish("plain:srv", 5, { sign: SECRET }),
          "BAD_REQUEST",
        ],
      ];
      for (const [name, published, code] of refusals) {
        const error = await published().then(() => undefined, (e) => e);
        assert.ok(error instanceof PublishError, name);
        assert.equal(error.code, code, name);
        assert.equal(error.message.includes(SECRET), false, name);
      }
      // Broadcast to a signed topic goes through the same rule.
      await assert.rejects(() => h.hub.broadcast({ topic: "hs:srv", payload: 6 }), PublishError);
      // Nothing refused reached a subscriber; a plain publication still does.
      await h.hub.publish("plain:srv", 7);
      assert.equal((await plainReader.next(message("plain:srv"))).payload, 7);
      assert.deepEqual(reader.pending.filter(message("hs:srv")), []);
      await assert.rejects(() => h.hub.publish("hs:srv", 8, { sign: "short" }), RangeError);
    } finally {
      await reader.close();
      await plainReader.close();
    }
  },
);

eachTransport(
  "hub signed publish: a configured key the hub cannot import gets INTERNAL, logged without the key, connection kept",
  async (transport) => {
    // A 1024-bit RSA key passes the rule's shape checks but is refused when imported.
    const pair = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const weak = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const rsaRules: AclRule[] = [
      { effect: "allow", actions: ["subscribe"], topics: ["**"] },
      { effect: "allow", actions: ["publish"], topics: ["rs:*"], signed: { keys: weak } },
    ];
    await using h = await startTestHub(transport, { acl: { rules: rsaRules } });
    const publisher = await socket(h.url, await h.token({ sub: "svc" }));
    try {
      const b64 = (v: unknown) => btoa(JSON.stringify(v)).replaceAll("=", "");
      const jws = `${b64({ alg: "RS256" })}.${b64({ topic: "rs:a", data: 1 })}.c2ln`;
      const reply = await publisher.request({ type: "publish", id: 1, topic: "rs:a", jws });
      assert.equal(reply.code, "INTERNAL", JSON.stringify(reply));
      assert.match(reply.message, /^Cannot verify publications to 'rs:a' now/);
      const logged = h.logs.find((e) => e.event === "signing.key_unusable");
      assert.ok(logged, "the misconfiguration is logged");
      assert.equal(JSON.stringify(logged).includes(String(weak.n)), false);
      assert.equal((await publisher.request({ type: "ping", id: 2 })).type, "pong");
    } finally {
      await publisher.close();
    }
  },
);

eachTransport(
  "hub signed publish: a publication accepted before a rules update is still a replay after it",
  async (transport) => {
    const ed = await ed25519();
    const other = await es256();
    const signed = (keys: unknown): AclRule => ({
      effect: "allow",
      actions: ["publish"],
      topics: ["ed:*"],
      signed: { keys: keys as never },
    });
    const allowSubscribe: AclRule = { effect: "allow", actions: ["subscribe"], topics: ["**"] };
    await using h = await startTestHub(transport, {
      acl: { rules: [allowSubscribe, signed(ed.publicJwk)] },
    });
    const publisher = await socket(h.url, await h.token({ sub: "svc" }));
    const jws = await signPublication("ed:a", { bid: 1 }, ed.privateJwk);
    const first = await publisher.request({ type: "publish", id: 1, topic: "ed:a", jws });
    assert.equal(first.type, "ack", JSON.stringify(first));
    const updates: [string, AclRule[]][] = [
      // An update that does not touch the signed rule.
      ["unrelated rule added", [
        allowSubscribe,
        signed(ed.publicJwk),
        { effect: "allow", actions: ["publish"], topics: ["plain:*"] },
      ]],
      // The same key written as a set, then a rotation that adds a key.
      ["same key as a JWK set", [allowSubscribe, signed({ keys: [ed.publicJwk] })]],
      ["key rotation", [allowSubscribe, signed({ keys: [other.publicJwk, ed.publicJwk] })]],
    ];
    for (const [i, [why, rules]] of updates.entries()) {
      await h.hub.updateRules(rules);
      const again = await publisher.request({ type: "publish", id: 10 + i, topic: "ed:a", jws });
      assert.deepEqual([again.type, again.code], ["error", "SIGNATURE_REPLAYED"], why);
    }
    // A fresh publication still goes through under the rules in force.
    const fresh = await signPublication("ed:a", { bid: 2 }, ed.privateJwk);
    const ok = await publisher.request({ type: "publish", id: 20, topic: "ed:a", jws: fresh });
    assert.equal(ok.type, "ack", JSON.stringify(ok));
    await publisher.close();
  },
);

Deno.test("createSignedPublish settles one sender's admissions in the order asked, however verification finishes", async () => {
  // The verifier answers the second publication before the first, as a
  // slower key or algorithm would; the first sender's order must hold, and
  // another sender is not held up by it.
  const answers: ((v: PublicationVerification) => void)[] = [];
  const verifier: PublicationVerifier = {
    algorithms: ["HS256"],
    verify: (_topic, jws) =>
      new Promise((resolve) =>
        answers.push(() =>
          resolve({ ok: true, payload: jws, jws, claims: { topic: "t:a", data: jws } })
        )
      ),
  };
  const signed = createSignedPublish({
    signingFor: () => ({ verifier, rule: { index: 0, pattern: "t:*" } }),
    log: () => {},
  });
  const [first, second] = [{}, {}];
  const settled: string[] = [];
  const admit = (sender: object, jws: string) =>
    signed.admit(sender, "t:a", null, jws)!.then((a) =>
      settled.push(a.ok ? String(a.payload) : a.code)
    );
  const all = Promise.all([admit(first, "a.b.1"), admit(first, "a.b.2"), admit(second, "a.b.3")]);
  await Promise.resolve();
  answers[1](undefined as never);
  answers[2](undefined as never);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(settled, ["a.b.3"], "the second waits for the first; another sender does not");
  answers[0](undefined as never);
  await all;
  assert.deepEqual(settled, ["a.b.3", "a.b.1", "a.b.2"]);
  assert.equal(signed.admit(first, "t:a", 1, undefined) instanceof Promise, true);
});
