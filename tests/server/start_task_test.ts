// `deno task start` as a user runs it: the task's own permissions, from the
// repository's deno.json. A configured accounts file outside `.realtime`
// stops it with one line saying which permission to grant and where the
// task may write instead; nothing listens.

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("deno task start names the permission a sqlite accounts file outside .realtime needs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-task-start-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "start"],
      cwd: ROOT,
      env: {
        NO_COLOR: "1",
        PORT: "0",
        REALTIME_JWT_SECRET: "task-start-secret-of-at-least-32-bytes!!",
        // The shape of the docs' example: a data directory the task may not write.
        REALTIME_ACCOUNTS: `sqlite:${dir}/data/accounts.db`,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 1, stderr);
    assert.equal(
      stderr,
      `realtime: Cannot open the accounts store 'sqlite:${dir}/data/accounts.db' as this process may not write to '${dir}/data': run the hub with --allow-write=${dir}/data (deno task start may write only .realtime: use sqlite:.realtime/accounts.db, or run src/server/main.ts directly as docs/deploy.md shows)`,
    );
    assert.equal(new TextDecoder().decode(out.stdout), "", "it never listened");
    // Nothing was created outside what the task may write.
    await assert.rejects(Deno.stat(`${dir}/data`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
