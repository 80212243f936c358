// serve configured from the environment and a JSON config file.

import assert from "node:assert/strict";
import { SECRET } from "../_support/hub.ts";
import { baseEnv, CliProcess, freePort, runCli } from "./_cli.ts";

Deno.test("realtime-cli serve takes PORT, a secret and rules from env and --config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-cli-serve-" });
  try {
    const config = `${dir}/hub.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        transport: "deno",
        acl: {
          rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["team:*"] }],
        },
      }),
    );
    const port = freePort();
    const env = { PORT: String(port), REALTIME_HOST: "127.0.0.1", REALTIME_JWT_SECRET: SECRET };
    await using serve = new CliProcess(["serve", "--config", config], {
      cwd: dir,
      env: baseEnv(env),
    });
    const banner = await serve.out(/^realtime hub listening on /, 20_000);
    assert.equal(banner, `realtime hub listening on ws://localhost:${port}/ws (transport: deno)`);

    const cli = baseEnv({ ...env, REALTIME_URL: `ws://127.0.0.1:${port}/ws` });
    const token = (await runCli(["token", "mint", "--sub", "judy"], { cwd: dir, env: cli })).stdout
      .trim();
    const allowed = await runCli(["publish", "team:a", "1", "--token", token], {
      cwd: dir,
      env: cli,
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    const denied = await runCli(["publish", "chat:a", "1", "--token", token], {
      cwd: dir,
      env: cli,
    });
    assert.equal(denied.code, 2, denied.stderr);

    serve.kill("SIGINT");
    const done = await serve.status();
    assert.equal(done.code, 0, done.stderr);
    assert.doesNotMatch(done.stdout, /DEVELOPMENT KEY/);
    await assert.rejects(Deno.stat(`${dir}/.realtime`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realtime-cli serve exits 3 when the port is taken", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const result = await runCli(["serve", "--host", "127.0.0.1", "--port", String(port)], {
      env: baseEnv({ REALTIME_JWT_SECRET: SECRET }),
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, new RegExp(`Cannot listen on port ${port}: it is in use`));
  } finally {
    listener.close();
  }
});
