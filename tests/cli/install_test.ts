// Installing the CLI as a command, and its shell completions.

import assert from "node:assert/strict";
import { baseEnv, CLI, CONFIG, ROOT_DIR, runCli } from "./_cli.ts";

Deno.test("deno install gives a working realtime-cli command", async () => {
  const root = await Deno.makeTempDir({ prefix: "realtime-cli-install-" });
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["install", "-g", "-A", "-n", "realtime-cli", "--root", root, "--config", CONFIG, CLI],
      cwd: ROOT_DIR,
      env: baseEnv(),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const bin = `${root}/bin/realtime-cli`;
    const version = await new Deno.Command(bin, {
      args: ["--version"],
      cwd: root,
      env: baseEnv(),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const config = JSON.parse(await Deno.readTextFile(CONFIG));
    assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
    assert.equal(new TextDecoder().decode(version.stdout), `${config.version}\n`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("realtime-cli completions prints scripts that call back into the CLI", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const script = await runCli(["completions", shell]);
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /realtime-cli complete --/, shell);
  }
  const unknown = await runCli(["completions", "tcsh"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Allowed choices are zsh, bash, fish, powershell/);

  const subcommands = await runCli(["complete", "--", "token", ""]);
  assert.equal(subcommands.code, 0, subcommands.stderr);
  const names = subcommands.stdout.split("\n").map((l) => l.split("\t")[0]);
  for (const name of ["mint", "inspect", "verify"]) assert.ok(names.includes(name), name);

  const flags = await runCli(["complete", "--", "tail", "--co"]);
  assert.match(flags.stdout, /^--count\t/m);
  assert.match(flags.stdout, /^--connect-timeout\t/m);

  const choices = await runCli(["complete", "--", "keys", "generate", "--alg", ""]);
  assert.match(choices.stdout, /^EdDSA\t/m);
});
