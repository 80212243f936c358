// At most `concurrency` password hashes at once, and a bounded wait line.
// Each argon2id call allocates its own WebAssembly memory (19 MiB at the
// OWASP parameters), so unbounded concurrent logins would grow memory by
// 19 MiB per request in flight (measured: 100 concurrent logins, 2 GB).

import { AccountsError } from "./errors.ts";

export interface HashSlots {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createHashSlots(concurrency: number, maxWaiting: number): HashSlots {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (running >= concurrency) {
        if (waiting.length >= maxWaiting) {
          throw new AccountsError("BUSY", "Too many logins in progress: retry in a second", {
            retryAfterSeconds: 1,
          });
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await fn();
      } finally {
        // Hand the slot straight to the next in line, or free it.
        const next = waiting.shift();
        if (next !== undefined) next();
        else running--;
      }
    },
  };
}
