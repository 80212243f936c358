import assert from "node:assert/strict";
import { createLoginLimiter } from "../../src/accounts/login_limiter.ts";
import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET } from "../_support/hub.ts";
import { createHashSlots } from "../../src/accounts/_hash_slots.ts";
import { AccountsError } from "../../src/accounts/errors.ts";

const PASSWORD = "correct horse battery";
const open = { burst: 1_000, refillSeconds: 1 };

// In-process on purpose: a client in this process cannot send while the
// server hashes (one thread), so over loopback requests never pile up. Real
// clients do send meanwhile, and a burst then reaches the handler in one
// turn, which calling it 30 times at once reproduces.
Deno.test("createAccountsHandler: 30 logins arriving at once stay within the hash-slot memory bound", async () => {
  await using store = createSqliteStore(":memory:");
  const handler = createAccountsHandler({
    store,
    signingKey: { secret: SECRET },
    verifier: createTokenVerifier({ secret: SECRET }),
    limiter: createLoginLimiter({ perUsername: open, perAddress: open }),
    log: () => {},
  });
  const request = (path: string) =>
    new Request(`http://127.0.0.1/auth/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: PASSWORD }),
    });
  const status = async (path: string) => {
    const res = (await handler(request(path)))!;
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await status("signup"), 201);
  assert.equal(await status("login"), 200); // warm: the WebAssembly module is compiled once
  const before = Deno.memoryUsage().rss;
  const statuses = await Promise.all(Array.from({ length: 30 }, () => status("login")));
  assert.deepEqual(statuses, Array(30).fill(200));
  const grownMiB = (Deno.memoryUsage().rss - before) / 2 ** 20;
  // Two 19 MiB hashes at a time; unbounded, the 30 took about 570 MiB at once.
  assert.ok(grownMiB < 200, `resident memory grew ${grownMiB.toFixed(0)} MiB`);
});

Deno.test("createHashSlots runs at most N at once and refuses past the wait line with BUSY", async () => {
  const slots = createHashSlots(2, 1);
  let running = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const job = () =>
    slots.run(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return "done";
    });
  const a = job(), b = job(), c = job();
  await assert.rejects(
    job(),
    (e) =>
      e instanceof AccountsError && e.code === "BUSY" && e.status === 503 &&
      e.retryAfterSeconds === 1,
  );
  while (gates.length < 2) await Promise.resolve();
  gates.shift()!();
  assert.equal(await a, "done");
  while (gates.length < 2) await Promise.resolve();
  for (const open of gates.splice(0)) open();
  assert.deepEqual(await Promise.all([b, c]), ["done", "done"]);
  assert.equal(most, 2);
});
