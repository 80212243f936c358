import assert from "node:assert/strict";
import type { Argon2id } from "../../src/accounts/_argon2.ts";
import { createHashSlots } from "../../src/accounts/_hash_slots.ts";
import { AccountsError } from "../../src/accounts/errors.ts";
import { withTimeout } from "../_support/client.ts";

const PEAK_SCRIPT = new URL("./_login_peak.ts", import.meta.url).pathname;
// Two hash slots of 19 MiB each, plus room for the requests, tokens and
// store rows of the burst (measured: 60 at once added 30 MiB in all). With
// an argon2 instance per hash, 30 logins in a row peaked 270 MiB over the
// idle process and 30 at once 365 MiB.
const PEAK_BOUND_MIB = 2 * 19 + 42;

/** Runs `_login_peak.ts` in a fresh process and returns the MiB the logins added at their peak. */
async function loginPeakMiB(mode: "sequential" | "concurrent", count: number): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", PEAK_SCRIPT, mode, String(count)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const { baseline, peak, failed } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(failed, 0, `${failed} of ${count} logins failed`);
  return peak - baseline;
}

// The kernel's high-water mark (VmHWM) is Linux's.
const linuxOnly = { ignore: Deno.build.os !== "linux" };

Deno.test({
  name: "createAccountsHandler: 30 logins in a row peak within the hash-slot memory bound",
  ...linuxOnly,
  async fn() {
    const grown = await loginPeakMiB("sequential", 30);
    assert.ok(grown < PEAK_BOUND_MIB, `peak resident memory grew ${grown.toFixed(0)} MiB`);
  },
});

// All at once from distinct addresses, as a burst of real clients reaches
// the handler: their requests are all in flight while the hashes run.
Deno.test({
  name: "createAccountsHandler: 60 logins arriving at once peak within the hash-slot memory bound",
  ...linuxOnly,
  async fn() {
    const grown = await loginPeakMiB("concurrent", 60);
    assert.ok(grown < PEAK_BOUND_MIB, `peak resident memory grew ${grown.toFixed(0)} MiB`);
  },
});

Deno.test("createHashSlots runs at most N at once and refuses past the wait line with BUSY", async () => {
  const slots = createHashSlots(2, 1);
  let running = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  // Resolved each time a job is let in and parks at its gate.
  let parked = Promise.withResolvers<void>();
  const job = () =>
    slots.run(async () => {
      running++;
      most = Math.max(most, running);
      const gate = new Promise<void>((resolve) => gates.push(resolve));
      parked.resolve();
      await gate;
      running--;
      return "done";
    });
  const untilParked = async (count: number) => {
    while (gates.length < count) {
      await parked.promise;
      parked = Promise.withResolvers<void>();
    }
  };
  const a = job(), b = job(), c = job();
  await assert.rejects(
    job(),
    (e) =>
      e instanceof AccountsError && e.code === "BUSY" && e.status === 503 &&
      e.retryAfterSeconds === 1,
  );
  // Bounded waits: each slot instantiates its argon2 core (WebAssembly, compiled off the
  // main thread), and a pending deadline also keeps the event loop turning meanwhile.
  await withTimeout(untilParked(2), 30_000, "two jobs in their slots");
  gates.shift()!();
  assert.equal(await withTimeout(a, 30_000, "the first job"), "done");
  await withTimeout(untilParked(2), 30_000, "the waiting job in the freed slot");
  for (const open of gates.splice(0)) open();
  assert.deepEqual(await withTimeout(Promise.all([b, c]), 30_000, "the last jobs"), [
    "done",
    "done",
  ]);
  assert.equal(most, 2);
});

Deno.test("createHashSlots reuses one argon2id instance per slot, however many hashes run", async () => {
  const slots = createHashSlots(2, 100);
  const seen = new Set<Argon2id>();
  const salt = new Uint8Array(16);
  const cost = { memoryKiB: 64, iterations: 1, parallelism: 1 };
  await Promise.all(Array.from({ length: 20 }, (_, i) =>
    slots.run(async (argon2id) => {
      seen.add(argon2id);
      await Promise.resolve();
      return argon2id.derive(`password ${i}`, salt, cost, 32);
    })));
  assert.equal(seen.size, 2);
});
