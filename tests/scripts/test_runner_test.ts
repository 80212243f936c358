import assert from "node:assert/strict";
import { readSummary } from "../../scripts/test.ts";
import { aptPackages, onPath, type SystemDep } from "../../scripts/_system_deps.ts";

Deno.test("readSummary reads the last deno test summary, steps and ignored included", () => {
  const log = [
    "ok | 3 passed | 0 failed (12ms)",
    "noise",
    "FAILED | 1187 passed (31 steps) | 2 failed (1 step) | 2 ignored (3m2s)",
    "error: Test failed",
  ].join("\n");
  assert.deepEqual(readSummary(log), { passed: 1187, failed: 2, ignored: 2 });
  assert.deepEqual(readSummary("ok | 4 passed (31 steps) | 0 failed (40s)"), {
    passed: 4,
    failed: 0,
    ignored: 0,
  });
});

Deno.test("readSummary reads a coloured summary", () => {
  const log = "\x1b[0m\x1b[32mok\x1b[0m | 4 passed | 0 failed \x1b[0m\x1b[38;5;245m(18ms)\x1b[0m";
  assert.deepEqual(readSummary(log), { passed: 4, failed: 0, ignored: 0 });
});

Deno.test("readSummary finds nothing in a log without a summary", () => {
  assert.equal(readSummary("error: Module not found\n"), undefined);
  assert.equal(readSummary("Test ok | 3 passed | 0 failed"), undefined);
});

Deno.test("aptPackages names each package once across deps", () => {
  const dep = (packages: string[]): SystemDep => ({
    what: "x",
    packages,
    neededBy: "y",
    present: () => false,
  });
  assert.deepEqual(
    aptPackages([dep(["python3", "python3-jwt"]), dep(["python3", "redis-server"])]),
    [
      "python3",
      "python3-jwt",
      "redis-server",
    ],
  );
});

Deno.test("onPath finds an executable on the given PATH and nothing on an empty one", () => {
  assert.equal(onPath("sh", "/nonexistent:/bin:/usr/bin"), true);
  assert.equal(onPath("sh", ""), false);
  assert.equal(onPath("no-such-binary-here", "/bin:/usr/bin"), false);
});
