// A door's socket for tests of the slow-consumer bound: it records what it is
// sent, holds `held` bytes, and can tell without a reading only that it holds
// at most `bound` (`bufferedAtMost`). Shared by the v1 and STOMP door tests.

import type { TextSocket } from "../../src/hub/codec/door.ts";

/** A socket that records what it is sent, holds `held` bytes and says so only up to `bound`. */
export class BoundedSocket implements TextSocket {
  texts: string[] = [];
  /** How many times `bufferedAmount` was read. */
  reads = 0;
  held = 0;
  /** What it can tell without a reading: at most this many bytes. */
  bound: number;
  constructor(bound: number) {
    this.bound = bound;
  }
  send(text: string): void {
    this.texts.push(text);
  }
  close(): void {}
  get bufferedAmount(): number {
    this.reads++;
    return this.held;
  }
  bufferedAtMost(bytes: number): boolean {
    return this.bound <= bytes;
  }
}
