// `deno task start` as a new user runs it: a real subprocess in a fresh directory.

import assert from "node:assert/strict";
import { connectWelcomed, withTimeout } from "../_support/client.ts";

const MAIN = new URL("../../src/server/main.ts", import.meta.url).pathname;

interface Running {
  child: Deno.ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function start(cwd: string, env: Record<string, string>): Running {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write=.realtime", MAIN],
    cwd,
    env: { PORT: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  (async () => {
    const decoder = new TextDecoderStream();
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(decoder)) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
      for (const w of waiters.splice(0)) w();
    }
  })();
  return {
    child,
    lines,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) {
          throw new Error(`No line matching ${pattern}; got:\n${lines.join("\n")}`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

async function stop(running: Running): Promise<Deno.CommandStatus> {
  running.child.kill("SIGTERM");
  const [status] = await Promise.all([
    withTimeout(running.child.status, 10_000, "exit"),
    running.child.stderr.cancel(),
  ]);
  return status;
}

Deno.test("start with no configuration generates a development key once and prints a working token", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const first = start(cwd, {});
    const url = (await first.waitFor(/^realtime hub listening on ws:\/\//)).match(/ws:\/\/\S+/)![0];
    await first.waitFor(/DEVELOPMENT KEY/);
    const token = await first.waitFor(/^eyJ/);
    const [socket, welcome] = await connectWelcomed(url.replace("localhost", "127.0.0.1"), {
      protocols: ["realtime.v1", "auth", token],
    });
    assert.equal(welcome.user, "demo");
    assert.equal(
      (await socket.request({ type: "subscribe", id: 1, topic: "chat:lobby" })).type,
      "ack",
    );
    assert.equal(
      (await socket.request({ type: "subscribe", id: 2, topic: "admin:x" })).code,
      "FORBIDDEN",
    );
    await socket.close();
    assert.equal((await stop(first)).code, 0);

    const key = await Deno.readTextFile(`${cwd}/.realtime/dev-key.json`);
    assert.equal((await Deno.stat(`${cwd}/.realtime/dev-key.json`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.readTextFile(`${cwd}/.realtime/.gitignore`)).trim(), "*");

    // The second start reuses the key: the first token still works.
    const second = start(cwd, {});
    const url2 = (await second.waitFor(/^realtime hub listening/)).match(/ws:\/\/\S+/)![0];
    const [again] = await connectWelcomed(url2.replace("localhost", "127.0.0.1"), {
      protocols: ["auth", token],
    });
    await again.close();
    assert.equal(await Deno.readTextFile(`${cwd}/.realtime/dev-key.json`), key);
    assert.equal((await stop(second)).code, 0);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("start refuses a generated key when REALTIME_ENV is production", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write=.realtime", MAIN],
      cwd,
      env: { PORT: "0", REALTIME_ENV: "production", NO_COLOR: "1" },
    }).output();
    assert.equal(output.code, 1);
    assert.match(
      new TextDecoder().decode(output.stderr),
      /Refusing to start with a generated development key/,
    );
    await assert.rejects(Deno.stat(`${cwd}/.realtime`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("start with REALTIME_JWT_SECRET uses it and prints no development token", async () => {
  const cwd = await Deno.makeTempDir();
  const secret = "a-production-secret-that-is-32-bytes-or-more";
  try {
    const running = start(cwd, { REALTIME_JWT_SECRET: secret, REALTIME_HOST: "127.0.0.1" });
    const url = (await running.waitFor(/^realtime hub listening/)).match(/ws:\/\/\S+/)![0];
    const { mintToken } = await import("../../src/auth/mint.ts");
    const token = await mintToken({ sub: "svc" }, { secret });
    const [socket] = await connectWelcomed(url.replace("localhost", "127.0.0.1"), {
      protocols: ["auth", token],
    });
    await socket.close();
    assert.equal(running.lines.some((l) => /DEVELOPMENT KEY|^eyJ/.test(l)), false);
    assert.equal(running.lines.join("\n").includes(secret), false);
    assert.equal((await stop(running)).code, 0);
    await assert.rejects(Deno.stat(`${cwd}/.realtime`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
