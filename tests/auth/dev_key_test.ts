import assert from "node:assert/strict";
import { ensureDevKey, loadDevKey } from "../../src/auth/dev_key.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { mintToken } from "../../src/auth/mint.ts";

const unix = Deno.build.os !== "windows";

Deno.test("ensureDevKey creates a 0600 key once in a 0700 directory and reuses it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/nested/.realtime`;
    assert.equal(await loadDevKey(dir), undefined);
    const first = await ensureDevKey(dir);
    assert.equal(first.created, true);
    assert.equal(first.secret.length, 32);
    assert.equal(first.path, `${dir}/dev-key.json`);
    if (unix) {
      assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    }
    assert.equal(await Deno.readTextFile(`${dir}/.gitignore`), "*\n");
    const stored = JSON.parse(await Deno.readTextFile(first.path));
    assert.equal(stored.alg, "HS256");
    assert.match(stored.k, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!Number.isNaN(Date.parse(stored.createdAt)));
    const second = await ensureDevKey(dir);
    assert.equal(second.created, false);
    assert.deepEqual(second.secret, first.secret);
    assert.deepEqual(await loadDevKey(dir), first.secret);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      ".gitignore",
      "dev-key.json",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ensureDevKey returns the same key to concurrent callers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureDevKey(dir)));
    assert.equal(results.filter((r) => r.created).length, 1);
    for (const result of results) assert.deepEqual(result.secret, results[0].secret);
    assert.deepEqual(await loadDevKey(dir), results[0].secret);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureDevKey returns the same key to concurrent processes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `import { ensureDevKey } from ${
      JSON.stringify(import.meta.resolve("../../src/auth/dev_key.ts"))
    };
      const { secret } = await ensureDevKey(${JSON.stringify(dir)});
      console.log(btoa(String.fromCharCode(...secret)));`;
    const outputs = await Promise.all(Array.from({ length: 4 }, async () => {
      const { stdout, success } = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", script],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      assert.ok(success);
      return new TextDecoder().decode(stdout).trim();
    }));
    assert.equal(new Set(outputs).size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadDevKey rejects a corrupt key file without quoting it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/dev-key.json`, '{"k":"c2hvcnQtc2VjcmV0"}');
    await assert.rejects(loadDevKey(dir), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.ok(!error.message.includes("c2hvcnQtc2VjcmV0"));
      assert.match(error.message, /delete the file/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureDevKey's secret signs tokens the verifier accepts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { secret } = await ensureDevKey(dir);
    const token = await mintToken({ sub: "dev" }, { secret });
    assert.equal((await createTokenVerifier({ secret }).verify(token)).sub, "dev");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
