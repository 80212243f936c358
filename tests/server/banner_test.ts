// The start banner says where everything is (demo page, console and how to
// sign in, health check), gives CLI commands that take the token from the
// environment, and tells a supervisor which process to run; the README and
// docs never pass a token as an argument to `deno task cli` (the task runner
// prints its arguments, and `ps` shows them).

import assert from "node:assert/strict";
import { DIRECT_START_COMMAND, serverBanner } from "../../src/server/banner.ts";

const ROOT = new URL("../../", import.meta.url);
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl";

Deno.test("serverBanner with the development key: console, sign-in, and tokens from the environment", () => {
  const lines = serverBanner({
    url: "ws://localhost:8000/ws",
    server: { transport: "ws" },
    devKey: true,
    devToken: TOKEN,
    demo: true,
    consolePath: "/admin",
  });
  assert.equal(lines[0], "realtime hub listening on ws://localhost:8000/ws (transport: ws)");
  const text = lines.join("\n");
  assert.match(text, /^demo page: http:\/\/localhost:8000\/$/m);
  assert.match(text, /^operator console: http:\/\/localhost:8000\/admin \(sign in with /m);
  assert.match(text, /token mint --sub ops --role admin --aud realtime-admin/);
  assert.match(text, /^health check: http:\/\/localhost:8000\/healthz$/m);
  // The token is printed on a line of its own, never inside a command.
  assert.deepEqual(lines.filter((line) => line.includes(TOKEN)), [TOKEN]);
  const commands = lines.filter((line) => line.includes("deno task"));
  assert.ok(commands.length >= 3, text);
  for (const command of commands) {
    assert.doesNotMatch(command, /--token|eyJ|\$REALTIME_TOKEN/, command);
  }
  assert.ok(
    commands.some((c) => c.includes("export REALTIME_TOKEN=$(deno task -q cli token mint")),
  );
});

Deno.test("serverBanner of a configured server: only what is served", () => {
  const lines = serverBanner({
    url: "ws://hub.example:8000/ws",
    server: { transport: "deno" },
    devKey: false,
    demo: false,
  });
  assert.deepEqual(lines, [
    "realtime hub listening on ws://hub.example:8000/ws (transport: deno)",
    "health check: http://hub.example:8000/healthz",
  ]);
});

Deno.test("serverBanner's supervisor hint runs main.ts with exactly deno task start's permissions", async () => {
  const lines = serverBanner(
    { url: "ws://localhost:8000/ws", server: { transport: "ws" }, devKey: false, demo: false },
    { supervisorHint: true },
  );
  assert.ok(lines.includes(`  ${DIRECT_START_COMMAND}`), lines.join("\n"));
  assert.match(lines.join("\n"), /SIGTERM.*docs\/deploy\.md/);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const start: string = typeof config.tasks.start === "string"
    ? config.tasks.start
    : config.tasks.start.command;
  const words = (command: string) => command.split(/\s+/).map((w) => w.replace(/^\.\//, ""));
  assert.deepEqual(words(DIRECT_START_COMMAND), words(start));
  // docs/deploy.md shows the same command.
  const deploy = await Deno.readTextFile(new URL("docs/deploy.md", ROOT));
  assert.ok(deploy.includes(DIRECT_START_COMMAND), "docs/deploy.md shows the direct command");
});

Deno.test("README and docs never pass a token as an argument to deno task cli", async () => {
  const files = [new URL("README.md", ROOT)];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.name.endsWith(".md")) files.push(new URL(`docs/${entry.name}`, ROOT));
  }
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    for (const line of text.split("\n")) {
      const command = /deno task( -q)? cli\b.*/.exec(line)?.[0];
      if (command === undefined) continue;
      assert.doesNotMatch(
        command,
        /--token[ =]|eyJ|"?\$\{?REALTIME_TOKEN\}?"?(\s|$)/,
        `${file}: ${line}`,
      );
    }
  }
});
