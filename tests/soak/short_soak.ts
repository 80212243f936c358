// A short soak, run by .ci/run as its own test step (its name does not end in
// _test.ts, so `deno task test` leaves it out: it needs the machine's cores to
// itself rather than a share of a parallel run). It runs `deno task soak` with
// bounded, smaller numbers and checks what the soak reports from the hub's own
// process: no message lost, no registry entry, connection or socket left behind.

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("soak of 15 s leaves the hub as it found it", async () => {
  const soak = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--cached-only",
      "scripts/soak.ts",
      "--seconds",
      "15",
      "--stable",
      "500",
      "--churn",
      "40",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const out = new TextDecoder().decode(soak.stdout);
  const report = `${out}\n${new TextDecoder().decode(soak.stderr)}`;
  assert.equal(soak.code, 0, report);
  assert.match(out, /^soak: messages lost 0$/m, report);
  assert.match(out, /^soak: leaked registry entries 0 /m, report);
  const sockets = out.match(
    /^soak: hub sockets before (\d+), after (\d+); load sockets left open 0$/m,
  );
  assert.ok(sockets, report);
  assert.equal(sockets[2], sockets[1], report);
  const churn = out.match(/^soak: churned (\d+) connections/m);
  assert.ok(churn && Number(churn[1]) > 100, report);
});
