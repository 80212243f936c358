// deno-lint-ignore-file no-console
/**
 * Login throughput and memory: `taskset -c 0 deno run -A bench/accounts_logins.ts [N]`.
 * Signs up one user, then runs N logins (default 100) one after another
 * (logins/s on one core) and N arriving at once (resident memory growth,
 * bounded by the handler's hash slots: 2 × 19 MiB plus buffers).
 *
 * @module
 */

import { benchAccounts } from "./_accounts.ts";

const count = Math.min(1000, Math.max(1, Number(Deno.args[0] ?? 100)));
const { handler, store } = benchAccounts();
const request = (path: string) =>
  new Request(`http://localhost/auth/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "alice", password: "correct horse battery staple" }),
  });
const login = async (path = "login") => {
  const res = (await handler(request(path)))!;
  await res.body?.cancel();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}`);
};
await login("signup");
await login();

let started = performance.now();
for (let i = 0; i < count; i++) await login();
const sequentialMs = performance.now() - started;

const mib = () => Deno.memoryUsage().rss / 2 ** 20;
const before = mib();
started = performance.now();
await Promise.all(Array.from({ length: count }, () => login()));
const burstMs = performance.now() - started;
console.log(JSON.stringify(
  {
    logins: count,
    sequentialLoginsPerSecond: +(count / sequentialMs * 1000).toFixed(1),
    msPerLogin: +(sequentialMs / count).toFixed(1),
    burstLoginsPerSecond: +(count / burstMs * 1000).toFixed(1),
    rssBeforeBurstMiB: +before.toFixed(1),
    rssAfterBurstMiB: +mib().toFixed(1),
    load: Deno.loadavg().map((l) => +l.toFixed(1)),
  },
  null,
  2,
));
await store.close();
