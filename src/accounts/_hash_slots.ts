// At most `concurrency` password hashes at once, and a bounded wait line.
// Each slot owns one long-lived argon2id instance, made on first use and
// kept: its WebAssembly memory grows to the largest cost hashed (19 MiB at
// the OWASP parameters) and is reused, so logins hold at most `concurrency`
// times that, whatever their number. (hash-wasm's argon2id() made a fresh
// instance per call, freed only by the garbage collector: 100 logins in a
// row peaked 330 MiB above the idle process, 200 at once 410 MiB.)

import { type Argon2id, createArgon2id } from "./_argon2.ts";
import { AccountsError } from "./errors.ts";

export interface HashSlots {
  run<T>(fn: (argon2id: Argon2id) => T | Promise<T>): Promise<T>;
}

export function createHashSlots(concurrency: number, maxWaiting: number): HashSlots {
  let running = 0;
  const waiting: (() => void)[] = [];
  // Instances of the slots not running now; never more than `concurrency` made.
  const idle: Argon2id[] = [];
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
      let instance: Argon2id | undefined;
      try {
        instance = idle.pop() ?? await createArgon2id();
        return await fn(instance);
      } finally {
        if (instance !== undefined) idle.push(instance);
        // Hand the slot straight to the next in line, or free it.
        const next = waiting.shift();
        if (next !== undefined) next();
        else running--;
      }
    },
  };
}
