// argon2id on one long-lived WebAssembly instance of hash-wasm's argon2
// core. hash-wasm's own argon2id() instantiates the core afresh for every
// call, each with memoryKiB of WebAssembly memory that only the garbage
// collector frees: 100 logins in a row peaked 330 MiB over the idle process
// (590 MiB resident in all). An instance here grows its memory once to the
// largest cost it has hashed at and keeps it, so memory is one cost's worth
// per instance. The driver below follows hash-wasm 4.13's argon2Internal
// (RFC 9106 H0 and H', version 0x13); the core's first pass XORs into its
// blocks, so they are zeroed after every hash, which also leaves no
// password-derived block in memory.

import { createBLAKE2b, type IHasher } from "hash-wasm";
import { ARGON2_WASM_BASE64 } from "./_argon2_wasm.ts";

/** An argon2id cost (the shape of the public `Argon2Params`). */
export interface Argon2Cost {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** One argon2id instance; `derive` is synchronous, so it is never shared mid-hash. */
export interface Argon2id {
  /** The raw argon2id hash of `password` (UTF-8) with `salt`, `hashLength` bytes. */
  derive(password: string, salt: Uint8Array, cost: Argon2Cost, hashLength: number): Uint8Array;
  /** Bytes of WebAssembly memory this instance holds now. */
  readonly memoryBytes: number;
}

interface CoreExports {
  memory: WebAssembly.Memory;
  Hash_SetMemorySize(totalBytes: number): number;
  Hash_GetBuffer(): number;
  Hash_Calculate(length: number, memoryKiB: number): void;
}

const PAGE = 65536;
const BLOCK = 1024;
const VERSION = 0x13;
const TYPE_ID = 2;
// Hash_GetBuffer reserves this much on first call (hash-wasm's argon2.c).
const FIRST_RESERVE = 512 * 1024;

function le32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** Instantiates the argon2 core and the BLAKE2b hashers it needs. */
export async function createArgon2id(): Promise<Argon2id> {
  const wasm = Uint8Array.from(atob(ARGON2_WASM_BASE64), (c) => c.charCodeAt(0));
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm));
  const core = instance.exports as unknown as CoreExports;
  const blake512 = await createBLAKE2b(512);
  // H' for the 32-byte tag needs a 256-bit BLAKE2b; other lengths are made on first use.
  const shortHashers = new Map<number, IHasher>([[32, await createBLAKE2b(256)]]);
  const buffer = core.Hash_GetBuffer();
  let capacity = FIRST_RESERVE;

  function ensureCapacity(bytes: number): void {
    if (bytes <= capacity) return;
    if (core.Hash_SetMemorySize(bytes) !== 0) {
      throw new RangeError(`Cannot hash with argon2id: ${bytes} bytes of memory are not available`);
    }
    // The core grows by whole pages past what it had (Hash_SetMemorySize).
    capacity += Math.ceil((bytes - capacity) / PAGE) * PAGE;
  }

  function shortHasher(length: number): IHasher {
    const found = shortHashers.get(length);
    if (found !== undefined) return found;
    throw new RangeError(`Cannot hash with argon2id to ${length} bytes: expected 32`);
  }

  // H' of RFC 9106 section 3.3, variable-length BLAKE2b.
  function hashPrime(input: Uint8Array, length: number): Uint8Array {
    if (length <= 64) {
      return shortHasher(length).init().update(le32(length)).update(input).digest("binary");
    }
    const r = Math.ceil(length / 32) - 2;
    const out = new Uint8Array(length);
    let v = blake512.init().update(le32(length)).update(input).digest("binary");
    out.set(v.subarray(0, 32), 0);
    for (let i = 1; i < r; i++) {
      v = blake512.init().update(v).digest("binary");
      out.set(v.subarray(0, 32), i * 32);
    }
    const rest = length - 32 * r;
    const last = rest === 64 ? blake512 : shortHasher(rest);
    out.set(last.init().update(v).digest("binary").subarray(0, rest), r * 32);
    return out;
  }

  return {
    get memoryBytes() {
      return core.memory.buffer.byteLength;
    },
    derive(password, salt, cost, hashLength) {
      const { memoryKiB, iterations, parallelism } = cost;
      const used = memoryKiB * BLOCK + BLOCK;
      ensureCapacity(used);
      // Views after growing: growing detaches the old buffer.
      const blocks = new Uint8Array(core.memory.buffer, buffer, used);
      try {
        const parameters = new Uint8Array(24);
        const view = new DataView(parameters.buffer);
        [parallelism, hashLength, memoryKiB, iterations, VERSION, TYPE_ID]
          .forEach((value, i) => view.setUint32(i * 4, value, true));
        blocks.set(parameters, memoryKiB * BLOCK);
        const secret = new Uint8Array(0);
        const passwordBytes = new TextEncoder().encode(password);
        const h0 = blake512.init().update(parameters)
          .update(le32(passwordBytes.length)).update(passwordBytes)
          .update(le32(salt.length)).update(salt)
          .update(le32(secret.length)).update(le32(0)) // no secret, no associated data
          .digest("binary");
        passwordBytes.fill(0);
        const laneBlocks = Math.floor(memoryKiB / (parallelism * 4)) * 4;
        const seed = new Uint8Array(72);
        seed.set(h0);
        for (let lane = 0; lane < parallelism; lane++) {
          seed.set(le32(lane), 68);
          for (const column of [0, 1]) {
            seed.set(le32(column), 64);
            blocks.set(hashPrime(seed, BLOCK), (lane * laneBlocks + column) * BLOCK);
          }
        }
        core.Hash_Calculate(0, memoryKiB);
        return hashPrime(blocks.slice(0, BLOCK), hashLength);
      } finally {
        blocks.fill(0);
      }
    },
  };
}
