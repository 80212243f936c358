// The Python example (examples/python/, PyJWT and websockets under Debian's
// /usr/bin/python3) against the Deno implementation: Python signs and Deno
// verifies, Deno signs and Python verifies, and the Python client talks to a
// real hub over 127.0.0.1. Every wait on the child has a timeout.

import assert from "node:assert/strict";
import { createPublicationVerifier } from "../../src/signing/verify.ts";
import { signPublication } from "../../src/signing/sign.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ed25519, es256, SECRET, signClaims } from "./_keys.ts";

const PYTHON = "/usr/bin/python3";
const PEER = new URL("../../examples/python/peer.py", import.meta.url).pathname;
const TIMEOUT_MS = 20_000;

// deno-lint-ignore no-explicit-any
type Line = Record<string, any>;

async function keyFiles() {
  const dir = await Deno.makeTempDir({ prefix: "interop-" });
  const write = async (name: string, text: string) => {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, text);
    return path;
  };
  const ec = await es256();
  const ed = await ed25519();
  return {
    dir,
    secret: await write("secret", SECRET),
    esPrivate: await write("es256.pem", ec.privatePem),
    esPublic: await write("es256.pub.pem", ec.publicPem),
    edPublic: await write("ed25519.pub.pem", ed.publicPem),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** The JSON lines of a stream, as they arrive. */
async function* jsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let at;
    while ((at = buffer.indexOf("\n")) >= 0) {
      yield JSON.parse(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  }
}

/** Runs the peer to completion and returns its exit code and JSON lines. */
async function peer(args: string[]): Promise<{ code: number; lines: Line[]; stderr: string }> {
  const child = new Deno.Command(PYTHON, {
    args: [PEER, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  try {
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout);
    return {
      code,
      lines: text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)),
      stderr: new TextDecoder().decode(stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("python peer: PyJWT's HS256 and ES256 publications verify in Deno", async () => {
  await using keys = await keyFiles();
  const cases: [string, string, string | undefined][] = [
    ["HS256", keys.secret, SECRET],
    ["ES256", keys.esPrivate, (await es256()).publicPem],
  ];
  for (const [alg, keyFile, verifyKey] of cases) {
    const { code, lines, stderr } = await peer([
      "sign",
      "--topic",
      "prices:eur",
      "--key",
      keyFile,
      "--alg",
      alg,
      "--data",
      '{"bid":1.08,"note":"from python"}',
      "--expires-in",
      "60",
    ]);
    assert.equal(code, 0, stderr);
    const jws: string = lines[0].jws;
    const verifier = createPublicationVerifier({ keys: verifyKey! });
    const result = await verifier.verify("prices:eur", jws);
    assert.equal(result.ok ? "ok" : result.code, "ok", alg);
    if (result.ok) assert.deepEqual(result.payload, { bid: 1.08, note: "from python" });
    const replayed = await verifier.verify("prices:eur", jws);
    assert.equal(replayed.ok ? "ok" : replayed.code, "SIGNATURE_REPLAYED", alg);
    const elsewhere = await createPublicationVerifier({ keys: verifyKey! }).verify(
      "prices:usd",
      jws,
    );
    assert.equal(elsewhere.ok ? "ok" : elsewhere.code, "SIGNATURE_TOPIC", alg);
  }
});

Deno.test("python peer: Deno's HS256, ES256 and EdDSA publications verify in Python, forgeries do not", async () => {
  await using keys = await keyFiles();
  const topic = "alerts:eu";
  const ec = await es256();
  const ed = await ed25519();
  const valid: [string, string][] = [
    [await signPublication(topic, { level: "high" }, SECRET), keys.secret],
    [await signPublication(topic, { level: "high" }, ec.privatePem), keys.esPublic],
    [await signPublication(topic, { level: "high" }, ed.privateJwk), keys.edPublic],
  ];
  for (const [jws, keyFile] of valid) {
    const { code, lines, stderr } = await peer([
      "verify",
      "--topic",
      topic,
      "--key",
      keyFile,
      "--jws",
      jws,
    ]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines[0].payload, { level: "high" });
    assert.equal(lines[0].verified, true);
  }
  const good = valid[1][0];
  const [h, p, s] = good.split(".");
  const forged: [string, string, RegExp][] = [
    [`${h}.${p}.${(s[0] === "A" ? "B" : "A") + s.slice(1)}`, keys.esPublic, /signature/],
    [
      await signClaims({ topic, data: 1, jti: "x", iat: 1 }, ec.publicPem, { alg: "HS256" }),
      keys.esPublic,
      /algorithm/,
    ],
    [`${btoa('{"alg":"none"}').replaceAll("=", "")}.${p}.`, keys.esPublic, /algorithm/],
    [await signPublication("alerts:us", 1, SECRET), keys.secret, /another topic/],
    [
      await signPublication(topic, 1, "a-different-secret-of-at-least-32-bytes"),
      keys.secret,
      /signature/,
    ],
  ];
  for (const [jws, keyFile, message] of forged) {
    const { code, lines } = await peer([
      "verify",
      "--topic",
      topic,
      "--key",
      keyFile,
      "--jws",
      jws,
    ]);
    assert.equal(code, 2);
    assert.equal(lines[0].verified, false);
    assert.match(lines[0].error, message);
    assert.ok(!lines[0].error.includes(jws.split(".")[1]), "the JWS is not echoed");
  }
});

eachTransport(
  "python peer: the asyncio client connects with a token, subscribes, publishes and receives",
  async (transport) => {
    await using h = await startTestHub(transport);
    await using keys = await keyFiles();
    const topic = "chat:interop";
    const grants = { acl: { "chat:*": ["subscribe", "publish"] } };
    const tokenFile = `${keys.dir}/token`;
    await Deno.writeTextFile(tokenFile, await h.token({ sub: "py", ...grants }));
    const [deno] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "deno", ...grants })],
    });
    assert.equal((await deno.request({ type: "subscribe", id: 1, topic })).type, "ack");

    const child = new Deno.Command(PYTHON, {
      args: [
        PEER,
        "client",
        "--url",
        h.url,
        "--token-file",
        tokenFile,
        "--topic",
        topic,
        "--publish",
        '{"text":"hello from python"}',
        "--expect",
        "2",
        "--timeout",
        "10",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONDONTWRITEBYTECODE: "1" },
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    const stderr = new Response(child.stderr).text();
    const lines = jsonLines(child.stdout);
    const next = async (): Promise<Line> => {
      const { value, done } = await withTimeout(lines.next(), TIMEOUT_MS, "a line from python");
      if (done) throw new Error(`python ended early: ${await stderr}`);
      return value;
    };
    try {
      assert.deepEqual(await next(), { event: "welcome", user: "py" });
      assert.deepEqual(await next(), { event: "subscribed", topic });
      // Python is subscribed: the server publishes, and Python's own publication comes back too.
      await h.hub.publish(topic, { text: "hello from deno" });
      const fromPython = await deno.next((f) => f.type === "message" && f.from === "py", 10_000);
      assert.deepEqual(fromPython.payload, { text: "hello from python" });
      const received: Line[] = [];
      for (let line = await next(); line.event !== "message" || received.push(line) < 2;) {
        assert.notEqual(line.event, "error", JSON.stringify(line));
        line = await next();
      }
      assert.deepEqual(
        received.map((m) => m.payload).sort((a, b) => a.text.localeCompare(b.text)),
        [{ text: "hello from deno" }, { text: "hello from python" }],
      );
      assert.equal((await child.status).code, 0, await stderr);
    } finally {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stderr;
      await deno.close();
    }
  },
);

/** Runs the peer's `client` command; `each` sees every line as it arrives. */
async function pythonClient(
  args: string[],
  each: (line: Line) => Promise<void> | void,
): Promise<{ code: number; lines: Line[]; stderr: string }> {
  const child = new Deno.Command(PYTHON, {
    args: [PEER, "client", ...args, "--timeout", "10"],
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const stderr = new Response(child.stderr).text();
  const lines: Line[] = [];
  try {
    for await (const line of jsonLines(child.stdout)) {
      lines.push(line);
      await each(line);
    }
    return { code: (await child.status).code, lines, stderr: await stderr };
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await stderr;
  }
}

eachTransport(
  "python peer through the hub: the hub and a Deno subscriber verify what PyJWT signed, Python verifies what the hub signed",
  async (transport) => {
    await using keys = await keyFiles();
    const ec = await es256();
    const signedRules = [
      { effect: "allow" as const, actions: ["subscribe" as const], topics: ["**"] },
      {
        effect: "allow" as const,
        actions: ["publish" as const],
        topics: ["hs:*"],
        signed: { keys: SECRET },
      },
      {
        effect: "allow" as const,
        actions: ["publish" as const],
        topics: ["es:*"],
        signed: { keys: ec.publicPem },
      },
    ];
    await using h = await startTestHub(transport, { acl: { rules: signedRules } });
    const tokenFile = `${keys.dir}/token`;
    await Deno.writeTextFile(tokenFile, await h.token({ sub: "py" }));
    const cases = [
      // topic, alg, Python's signing key file, its verifying key file, the hub's signing key, the Deno subscriber's key
      ["hs:prices", "HS256", keys.secret, keys.secret, SECRET, SECRET],
      ["es:prices", "ES256", keys.esPrivate, keys.esPublic, ec.privatePem, ec.publicPem],
    ] as const;
    for (const [topic, alg, signKey, verifyKey, hubKey, denoKey] of cases) {
      const [deno] = await connectWelcomed(h.url, {
        protocols: ["auth", await h.token({ sub: "deno" })],
      });
      try {
        assert.equal((await deno.request({ type: "subscribe", id: 1, topic })).type, "ack");
        const { code, lines, stderr } = await pythonClient(
          [
            ...["--url", h.url, "--token-file", tokenFile, "--topic", topic],
            ...["--publish", '{"bid":1.08,"from":"python"}', "--sign-key", signKey, "--alg", alg],
            ...["--verify-key", verifyKey, "--expect", "2"],
          ],
          async (line) => {
            assert.notEqual(line.event, "error", JSON.stringify(line));
            // Python is subscribed: now the hub publishes, signed server-side.
            if (line.event === "subscribed") {
              await h.hub.publish(topic, { bid: 1.09, from: "hub" }, { sign: hubKey });
            }
          },
        );
        assert.equal(code, 0, `${alg}: ${stderr}`);
        const published = lines.find((l) => l.event === "published");
        assert.equal(published?.signed, true);
        // The Deno subscriber got Python's JWS byte for byte, and verifies it without the hub.
        const fromPython = await deno.next((f) => f.type === "message" && f.from === "py", 10_000);
        assert.equal(fromPython.jws, published?.jws, alg);
        const subscriber = createPublicationVerifier({ keys: denoKey, checkFreshness: false });
        const verified = await subscriber.verify(topic, fromPython.jws);
        assert.equal(verified.ok ? "ok" : verified.code, "ok", alg);
        assert.deepEqual(fromPython.payload, { bid: 1.08, from: "python" });
        // Python verified both what it published and what the hub signed.
        const received = lines.filter((l) => l.event === "message");
        assert.deepEqual(
          received.map((m) => [m.payload.from, m.signed, m.verified]).sort(),
          [["hub", true, true], ["python", true, true]],
          alg,
        );
      } finally {
        await deno.close();
      }
    }
    // A plain publication from Python to a signed topic is refused with its code.
    const plain = await pythonClient(
      [
        ...["--url", h.url, "--token-file", tokenFile, "--topic", "hs:prices"],
        ...["--publish", '{"bid":0}'],
      ],
      () => {},
    );
    assert.equal(plain.code, 1, plain.stderr);
    assert.equal(plain.lines.at(-1)?.code, "SIGNATURE_REQUIRED", JSON.stringify(plain.lines));
  },
);
