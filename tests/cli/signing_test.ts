// `realtime-cli publish --sign-key FILE` and `realtime-cli tail --verify-key
// FILE`, run as subprocesses with key files on disk, against the scripted
// peer on 127.0.0.1 (the hub forwards `jws` once its wiring lands). The
// signing core checks what the CLI signed.

import assert from "node:assert/strict";
import { base64url, decodeProtectedHeader } from "jose";
import { createPublicationVerifier, signPublication } from "../../src/signing/mod.ts";
import { ed25519, es256, SECRET } from "../signing/_keys.ts";
import { scriptedPeer } from "../client/_scripted_peer.ts";
import { baseEnv, CliProcess, runCli } from "./_cli.ts";

// Key files live in one directory per run, removed when the module unloads.
const KEY_DIR = await Deno.makeTempDir({ prefix: "realtime-cli-signing-" });
globalThis.addEventListener("unload", () => Deno.removeSync(KEY_DIR, { recursive: true }));

async function keyFile(contents: string, suffix: string): Promise<string> {
  const path = await Deno.makeTempFile({ dir: KEY_DIR, suffix });
  await Deno.writeTextFile(path, contents);
  return path;
}

const env = (url: string) => baseEnv({ REALTIME_URL: url, REALTIME_TOKEN: "a.b.c" });

const signingCases = [
  {
    name: "a raw secret file",
    sign: () => keyFile(`${SECRET}\n`, ".secret"),
    verify: () => Promise.resolve(SECRET),
    alg: "HS256",
    kid: undefined,
  },
  {
    name: "a PKCS#8 PEM (ES256)",
    sign: async () => keyFile((await es256()).privatePem, ".pem"),
    verify: async () => (await es256()).publicPem,
    alg: "ES256",
    kid: undefined,
  },
  {
    name: "a private JWK with a kid (EdDSA)",
    sign: async () =>
      keyFile(JSON.stringify({ ...(await ed25519()).privateJwk, kid: "k1" }), ".jwk"),
    verify: async () => ({ keys: [{ ...(await ed25519()).publicJwk, kid: "k1" }] }),
    alg: "EdDSA",
    kid: "k1",
  },
];

for (const key of signingCases) {
  Deno.test(`realtime-cli publish --sign-key signs with ${key.name}`, async () => {
    await using peer = scriptedPeer();
    const path = await key.sign();
    await using cli = new CliProcess(
      ["publish", "prices:eur", '{"bid":1.08}', "--sign-key", path],
      { env: env(peer.url) },
    );
    const conn = await peer.connection(1, 20_000);
    const frame = await conn.nextOf("publish", 20_000);
    conn.send({ type: "ack", id: frame.id });
    const result = await cli.status();
    assert.equal(result.code, 0, result.stderr);
    assert.equal("payload" in frame, false, "a signed publish carries jws instead of payload");
    const header = decodeProtectedHeader(frame.jws);
    assert.equal(header.alg, key.alg);
    assert.equal(header.kid, key.kid);
    const verified = await createPublicationVerifier({ keys: await key.verify() })
      .verify("prices:eur", frame.jws);
    assert.equal(verified.ok, true);
    if (verified.ok) assert.deepEqual(verified.payload, { bid: 1.08 });
  });
}

Deno.test("realtime-cli publish --sign-alg picks HS384 for a secret, and a refused signature exits 2", async () => {
  await using peer = scriptedPeer();
  const path = await keyFile(SECRET, ".secret");
  await using cli = new CliProcess(
    ["publish", "prices:eur", "1", "--sign-key", path, "--sign-alg", "HS384"],
    { env: env(peer.url) },
  );
  const conn = await peer.connection(1, 20_000);
  const frame = await conn.nextOf("publish", 20_000);
  assert.equal(decodeProtectedHeader(frame.jws).alg, "HS384");
  conn.send({
    type: "error",
    id: frame.id,
    code: "SIGNATURE_ALGORITHM",
    message: "Signed publication algorithm 'HS384' is not allowed for this topic: expected HS256",
  });
  const result = await cli.status();
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /SIGNATURE_ALGORITHM/);
});

Deno.test("realtime-cli publish --sign-key refuses a public key, a short secret and a missing file before connecting", async () => {
  await using peer = scriptedPeer();
  const pair = await es256();
  const cases: [string, RegExp][] = [
    [await keyFile(pair.publicPem, ".pem"), /holds a public key/],
    [await keyFile("too short\n", ".secret"), /at least 32 bytes/],
    ["/nonexistent/key.pem", /no such file/],
  ];
  for (const [path, message] of cases) {
    const result = await runCli(["publish", "prices:eur", "1", "--sign-key", path], {
      env: env(peer.url),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.includes("too short"), false, "a secret is never echoed");
  }
  assert.equal(peer.connections.length, 0, "no connection was opened");
});

Deno.test("realtime-cli tail --verify-key marks each message verified or UNVERIFIED and exits 2", async () => {
  const pair = await es256();
  const path = await keyFile(pair.publicPem, ".pem");
  const good = await signPublication("prices:eur", { bid: 1.08 }, pair.privateJwk);
  const [header, , signature] = good.split(".");
  const forged = base64url.encode(JSON.stringify({ topic: "prices:eur", data: { bid: 0.01 } }));
  const message = (fields: Record<string, unknown>) => ({
    type: "message",
    topic: "prices:eur",
    from: "pricing",
    ts: 1,
    payload: { bid: 1.08 },
    ...fields,
  });

  for (const json of [false, true]) {
    await using peer = scriptedPeer();
    await using tail = new CliProcess(
      ["tail", "prices:eur", "--verify-key", path, "--count", "3", ...(json ? ["--json"] : [])],
      { env: env(peer.url) },
    );
    const conn = await peer.connection(1, 20_000);
    const subscribe = await conn.nextOf("subscribe", 20_000);
    conn.send(
      { type: "ack", id: subscribe.id },
      message({ jws: good }),
      message({ jws: `${header}.${forged}.${signature}`, payload: { bid: 0.01 } }),
      message({}),
    );
    const result = await tail.status();
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stdout.trim().split("\n");
    if (json) {
      const frames = lines.map((line) => JSON.parse(line));
      assert.deepEqual(frames.map((f) => [f.verified, f.verificationError]), [
        [true, undefined],
        [false, "SIGNATURE_INVALID"],
        [false, "SIGNATURE_REQUIRED"],
      ]);
      assert.equal(frames[0].jws, good, "the JWS is printed as received");
    } else {
      assert.deepEqual(lines.map((line) => line.split(" ")[3]), [
        "verified",
        "UNVERIFIED:SIGNATURE_INVALID",
        "UNVERIFIED:SIGNATURE_REQUIRED",
      ]);
    }
  }
});

Deno.test("realtime-cli tail --verify-key exits 0 when every message verified, and refuses a private key file", async () => {
  const path = await keyFile(SECRET, ".secret");
  await using peer = scriptedPeer();
  await using tail = new CliProcess(
    ["tail", "prices:eur", "--verify-key", path, "--count", "1"],
    { env: env(peer.url) },
  );
  const conn = await peer.connection(1, 20_000);
  const subscribe = await conn.nextOf("subscribe", 20_000);
  const jws = await signPublication("prices:eur", 7, SECRET);
  conn.send({ type: "ack", id: subscribe.id }, {
    type: "message",
    topic: "prices:eur",
    payload: 7,
    jws,
    from: "pricing",
    ts: 1,
  });
  const result = await tail.status();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, / verified 7\n$/);

  const privatePath = await keyFile((await es256()).privatePem, ".pem");
  const refused = await runCli(["tail", "prices:eur", "--verify-key", privatePath], {
    env: env(peer.url),
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /holds a private key/);
  assert.equal(peer.connections.length, 1, "the refused key opened no connection");
});
