// Installing the CLI as a command, and its shell completions.

import assert from "node:assert/strict";
import { baseEnv, CLI, CONFIG, ROOT_DIR, runCli } from "./_cli.ts";

Deno.test("deno install gives a working realtime-cli command, offline, from deno.lock", async () => {
  const root = await Deno.makeTempDir({ prefix: "realtime-cli-install-" });
  try {
    // A global install ignores the project's lock file and resolves afresh into
    // <root>/bin/.<name>/deno.lock; resolving afresh fetches the registry entries
    // of optional peers that are never installed (ws: bufferutil, utf-8-validate;
    // @bomb.sh/tab: cac, citty). Seeding that lock file with ours makes the install
    // resolve from the lock, and --cached-only proves nothing is downloaded.
    await Deno.mkdir(`${root}/bin/.realtime-cli`, { recursive: true });
    await Deno.copyFile(`${ROOT_DIR}deno.lock`, `${root}/bin/.realtime-cli/deno.lock`);
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "install",
        "-g",
        "-A",
        "--cached-only",
        "-n",
        "realtime-cli",
        "--root",
        root,
        "--config",
        CONFIG,
        CLI,
      ],
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
