// The development key against DNS rebinding, over real HTTP on 127.0.0.1:
// /dev/token answers only loopback Host values with a matching Origin, the
// key is never bound to another interface, and only 'development' allows it.

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import { connectWelcomed } from "../_support/client.ts";
import { rawRequest } from "../_support/raw_http.ts";

function rawPost(port: number, headers: Record<string, string>): Promise<[number, string]> {
  return rawRequest(port, "POST", "/dev/token", headers, { sub: "victim" });
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

for (const transport of ["ws", "deno"] as const) {
  Deno.test(`startServer in development answers no rebound Host on any route: sign-up, login, the page, /ws, admin [${transport}]`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using started = await startServer({ port: 0, transport }, {
        devKeyDir: dir,
        log: () => {},
      });
      const port = started.server.port;
      const evil = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
      const account = { username: "mallory", password: "correct horse battery" };
      const upgrade = {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        "sec-websocket-protocol": `realtime.v1, auth, ${started.devToken}`,
      };
      const requests: [string, string, Record<string, string>, unknown?][] = [
        ["POST", "/auth/signup", evil, account],
        ["POST", "/auth/signup", { host: evil.host }, account],
        ["POST", "/auth/login", evil, account],
        ["GET", "/", evil],
        ["GET", "/ws", { ...upgrade, host: evil.host, origin: evil.origin }],
        ["GET", "/v1/realtime/stats", { host: evil.host }],
        ["GET", "/metrics", { host: evil.host }],
      ];
      for (const [method, path, headers, body] of requests) {
        const [status, text] = await rawRequest(port, method, path, headers, body);
        assert.equal(status, 403, `${method} ${path} ${JSON.stringify(headers)}: ${text}`);
        assert.equal(JSON.parse(text).code, "FORBIDDEN");
        assert.equal(text.includes("accessToken"), false);
      }
      // The user was never created: a loopback sign-up of the name succeeds.
      const local = { host: `localhost:${port}`, origin: `http://localhost:${port}` };
      const [created] = await rawRequest(port, "POST", "/auth/signup", local, account);
      assert.equal(created, 201);
      // A loopback Host with another page's Origin is no session origin.
      const [foreign, text] = await rawRequest(port, "POST", "/auth/login", {
        host: `localhost:${port}`,
        origin: `http://localhost:${port + 1}`,
      }, account);
      assert.deepEqual([foreign, JSON.parse(text).code], [403, "ORIGIN_NOT_ALLOWED"]);
      // The hub itself still takes loopback clients.
      const [socket, welcome] = await connectWelcomed(`ws://127.0.0.1:${port}/ws`, {
        protocols: ["realtime.v1", "auth", started.devToken!],
      });
      assert.equal(welcome.user, "demo");
      await socket.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
