// The development key against DNS rebinding, over real HTTP on 127.0.0.1:
// /dev/token answers only loopback Host values with a matching Origin, the
// key is never bound to another interface, and only 'development' allows it.

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";

/** Sends one raw HTTP/1.1 request (fetch cannot set Host) and reads the status and body. */
async function rawPost(port: number, headers: Record<string, string>): Promise<[number, string]> {
  const body = JSON.stringify({ sub: "victim" });
  const lines = [
    "POST /dev/token HTTP/1.1",
    ...Object.entries({
      "content-type": "application/json",
      "content-length": String(body.length),
      connection: "close",
      ...headers,
    }).map(([k, v]) => `${k}: ${v}`),
  ];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n" + body));
    let text = "";
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16 * 1024);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && text.length < 64 * 1024) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return [Number(text.slice(9, 12)), text.slice(text.indexOf("\r\n\r\n") + 4)];
  } finally {
    conn.close();
  }
}

Deno.test("startServer's /dev/token refuses a rebound Host or a foreign Origin and mints for loopback", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer({ port: 0 }, { devKeyDir: dir, log: () => {} });
    const port = started.server.port;
    const refused: Record<string, string>[] = [
      { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` },
      { host: `attacker.example:${port}` },
      { host: `127.0.0.1.attacker.example:${port}`, origin: `http://127.0.0.1.attacker.example` },
      { host: `localhost:${port}`, origin: `http://attacker.example:${port}` },
      { host: `localhost:${port}`, origin: `http://localhost:${port + 1}` },
    ];
    for (const headers of refused) {
      const [status, body] = await rawPost(port, headers);
      assert.equal(status, 403, JSON.stringify(headers));
      assert.equal(body.includes('token"'), false);
      assert.equal(JSON.parse(body).code, "FORBIDDEN");
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost"]) {
      const [status, body] = await rawPost(port, { host, origin: `http://${host}` });
      assert.equal(status, 200, host);
      assert.equal(typeof JSON.parse(body).token, "string");
    }
    const [status] = await rawPost(port, { host: `127.0.0.1:${port}` }); // curl: no Origin
    assert.equal(status, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer refuses to bind the development key to a non-loopback interface", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const hostname of ["0.0.0.0", "::", "192.0.2.1", "example.com"]) {
      await assert.rejects(
        startServer({ port: 0, hostname }, { devKeyDir: `${dir}/k`, log: () => {} }),
        TypeError,
        `Refusing to bind the development key to '${hostname}'`,
      );
    }
    await assert.rejects(Deno.stat(`${dir}/k`), Deno.errors.NotFound);
    await using started = await startServer({ port: 0, hostname: "localhost" }, {
      devKeyDir: `${dir}/k`,
      log: () => {},
    });
    assert.equal(started.devKey, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer allows the development key only when REALTIME_ENV is development or unset", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const env of ["production", "prod", "Production", "staging", "developmnet"]) {
      await assert.rejects(
        startServer({ port: 0, env }, { devKeyDir: `${dir}/k`, log: () => {} }),
        TypeError,
        `as REALTIME_ENV is '${env}', not 'development'`,
      );
    }
    await assert.rejects(Deno.stat(`${dir}/k`), Deno.errors.NotFound);
    await using started = await startServer({ port: 0, env: "development" }, {
      devKeyDir: `${dir}/k`,
      log: () => {},
    });
    assert.equal(started.devKey, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
