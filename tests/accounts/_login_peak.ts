// Run as a child process by login_load_test.ts: logs in through a real
// accounts handler `count` times (`sequential` or all at once from distinct
// addresses) and prints the peak resident memory the logins added, read
// from the kernel's high-water mark (VmHWM), which catches a peak between
// any two samples a poll would take.
//
//   deno run --allow-all tests/accounts/_login_peak.ts <sequential|concurrent> <count>

import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createLoginLimiter } from "../../src/accounts/login_limiter.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET } from "../_support/hub.ts";

const [mode, countText] = Deno.args;
const count = Number(countText);
if ((mode !== "sequential" && mode !== "concurrent") || !(count > 0)) {
  throw new TypeError(`Cannot measure '${mode} ${countText}': expected sequential|concurrent N`);
}

function highWaterMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
}

await using store = createSqliteStore(":memory:");
const open = { burst: 1_000_000, refillSeconds: 1 };
const handler = createAccountsHandler({
  store,
  signingKey: { secret: SECRET },
  verifier: createTokenVerifier({ secret: SECRET }),
  limiter: createLoginLimiter({ perUsernameAndAddress: open, perUsername: open, perAddress: open }),
  maxQueuedHashes: count,
  log: () => {},
});
let next = 0;
async function status(path: string): Promise<number> {
  const n = next++;
  const res = (await handler(
    new Request(`http://127.0.0.1/auth/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: "correct horse battery" }),
    }),
    { remoteAddr: `10.0.${n >> 8 & 255}.${n & 255}` },
  ))!;
  await res.body?.cancel();
  return res.status;
}

if (await status("signup") !== 201 || await status("login") !== 200) {
  throw new Error("Cannot measure: the warm-up sign-up and login failed");
}
// Forget the peak so far (module loading, the warm-up): from here it is the logins'.
Deno.writeTextFileSync("/proc/self/clear_refs", "5");
const baseline = highWaterMiB();
const statuses: number[] = [];
if (mode === "sequential") {
  for (let i = 0; i < count; i++) statuses.push(await status("login"));
} else {
  statuses.push(...await Promise.all(Array.from({ length: count }, () => status("login"))));
}
const failed = statuses.filter((s) => s !== 200).length;
await Deno.stdout.write(
  new TextEncoder().encode(JSON.stringify({ baseline, peak: highWaterMiB(), failed }) + "\n"),
);
