// `adminSigningKeys` in the config file, as `deno task start` reads it:
// key files read once at start, POST /broadcast {sign} publishes signed over
// real HTTP and WebSocket, and a bad entry stops the start without leaving
// anything open or quoting key material.

import assert from "node:assert/strict";
import { compactVerify } from "jose";
import { mintToken } from "../../src/auth/mint.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { loadServerConfig } from "../../src/server/config.ts";
import { startServer } from "../../src/server/start.ts";
import { createPublicationVerifier } from "../../src/signing/verify.ts";
import { connectWelcomed } from "../_support/client.ts";
import { es256, SECRET } from "../signing/_keys.ts";

const HUB_SECRET = "start-signing-hub-secret-of-32-bytes!!";
const ADMIN_KEY = "start-signing-admin-key-0123456789";

/** Writes a config file naming the given key files; returns the loaded config. */
async function configWith(dir: string, keys: Record<string, string>, extra = {}) {
  const file = `${dir}/config.json`;
  await Deno.writeTextFile(file, JSON.stringify({ adminSigningKeys: keys, ...extra }));
  return await loadServerConfig({
    PORT: "0",
    REALTIME_HOST: "127.0.0.1",
    REALTIME_JWT_SECRET: HUB_SECRET,
    REALTIME_ADMIN_KEY: ADMIN_KEY,
  }, file);
}

Deno.test("startServer reads adminSigningKeys files and POST /broadcast signs with them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-signing-keys-" });
  try {
    const es = await es256();
    await Deno.writeTextFile(`${dir}/ops.key`, SECRET + "\n");
    await Deno.writeTextFile(`${dir}/es.pem`, es.privatePem);
    await Deno.writeTextFile(`${dir}/es.jwk`, JSON.stringify(es.privateJwk));
    const config = await configWith(dir, {
      ops: `${dir}/ops.key`,
      "prices.pem": `${dir}/es.pem`,
      "prices.jwk": `${dir}/es.jwk`,
    }, {
      acl: {
        rules: [
          { effect: "allow", actions: ["subscribe"], topics: ["**"] },
          { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: SECRET } },
          {
            effect: "allow",
            actions: ["publish"],
            topics: ["es:*"],
            signed: { keys: es.publicPem },
          },
        ],
      },
    });
    const log: LogEntry[] = [];
    await using started = await startServer(config, {
      log: (entry) => log.push(entry),
      fetch: () => new Response("app", { status: 404 }),
    });
    const token = await mintToken({ sub: "reader" }, { secret: HUB_SECRET }, { ttl: "1h" });
    const [reader] = await connectWelcomed(started.url.replace("localhost", "127.0.0.1"), {
      protocols: ["realtime.v1", "auth", token],
    });
    try {
      for (const [id, topic] of [[1, "hs:news"], [2, "es:news"]] as const) {
        assert.equal((await reader.request({ type: "subscribe", id, topic })).type, "ack");
      }
      const broadcast = async (topic: string, sign: string) => {
        const res = await fetch(`http://127.0.0.1:${started.server.port}/v1/realtime/broadcast`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ topic, payload: { sign }, sign }),
        });
        return { status: res.status, text: await res.text() };
      };
      assert.equal((await broadcast("hs:news", "ops")).status, 200);
      const hs = await reader.next((m) => m.topic === "hs:news");
      await compactVerify(hs.jws, new TextEncoder().encode(SECRET));
      const verifier = createPublicationVerifier({ keys: es.publicPem, checkFreshness: false });
      for (const id of ["prices.pem", "prices.jwk"]) {
        assert.equal((await broadcast("es:news", id)).status, 200, id);
        const m = await reader.next((f) => f.topic === "es:news" && f.payload.sign === id);
        assert.equal((await verifier.verify("es:news", m.jws)).ok, true, id);
      }
      // An id the file does not name is refused, as with the programmatic option.
      assert.equal((await broadcast("hs:news", "nope")).status, 400);
      const logged = JSON.stringify(log);
      assert.ok(!logged.includes(SECRET) && !logged.includes(dir), "no key nor path logged");
      assert.ok(log.some((e) => e.event === "admin.broadcast" && e.signedWith === "ops"));
    } finally {
      await reader.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer refuses a bad adminSigningKeys entry, quoting neither key nor path, leaving nothing open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-signing-keys-" });
  try {
    const short = "short-secret-xyz";
    const es = await es256();
    await Deno.writeTextFile(`${dir}/short.key`, short);
    await Deno.writeTextFile(`${dir}/public.pem`, es.publicPem);
    await Deno.writeTextFile(`${dir}/broken.jwk`, '{"kty": "oct", "k": "c2VjcmV0c2VjcmV0');
    await Deno.writeTextFile(`${dir}/empty.key`, "\n");
    const cases: [Record<string, string>, RegExp][] = [
      [
        { ops: `${dir}/missing.key` },
        /^Cannot read admin signing key "ops" from the file 'adminSigningKeys' names: NotFound$/,
      ],
      [{ ops: `${dir}/short.key` }, /signing key 'ops' is unusable: .*32/],
      [{ ops: `${dir}/public.pem` }, /signing key 'ops' is unusable/],
      [{ ops: `${dir}/broken.jwk` }, /starts with '\{' but is not valid JSON$/],
      [{ ops: `${dir}/empty.key` }, /its file is empty$/],
      [{ "bad id!": `${dir}/short.key` }, /signing key id "bad id!" is not 1 to 64/],
    ];
    for (const [keys, message] of cases) {
      const config = await configWith(dir, keys);
      // The resource sanitizer fails the test if a refused start leaves a listener open.
      await assert.rejects(startServer(config, { log: () => {} }), (e: Error) => {
        assert.match(e.message, message);
        assert.ok(!e.message.includes(dir), `no path in: ${e.message}`);
        assert.ok(!e.message.includes(short) && !e.message.includes("c2VjcmV0"), e.message);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadServerConfig refuses adminSigningKeys that is not an object of paths", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-signing-keys-" });
  try {
    const secretByMistake = "a-publication-secret-pasted-into-the-config!";
    for (
      const [value, message] of [
        [["x"], /expected an object of key file paths by key id$/],
        ["path", /expected an object of key file paths by key id$/],
        [{ ops: 7 }, /entry "ops": expected the path of a key file$/],
        [{ ops: { kty: "oct", k: secretByMistake } }, /entry "ops": expected the path/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ adminSigningKeys: value }));
      await assert.rejects(loadServerConfig({}, `${dir}/c.json`), (e: Error) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, message);
        assert.ok(!e.message.includes(secretByMistake));
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
