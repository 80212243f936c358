// Writes acknowledged only once replicas hold them (Redis WAIT). WAIT blocks
// its connection until the replicas answer, and it covers every write that
// connection made before it. So each connection has at most one WAIT in
// flight, sent right behind the first write after the previous one: under
// load one WAIT confirms many publications, and a WAIT that has to time out
// (its replicas gone) holds the connection up once, not once per write.
//
// How many replicas to wait for is what the latest write saw online (its
// script replies with the count), capped by `wanted`; on a new connection
// (perhaps to a new master) the first WAIT waits for that count. A write is confirmed
// when WAIT's answer reaches min(wanted, replicas online when it ran). A
// write whose connection closed before its WAIT answered is never
// confirmed: a WAIT on the next connection would not cover it. A write
// confirmed by fewer than `wanted` replicas (its master is alone) is
// acknowledged only once `confirm` says the connection is still to the
// master (with Sentinel: no Sentinel names another live master); a
// replaced master keeps taking writes until it is demoted, and loses them.

import type { Redis } from "ioredis";

/** Whether a connection still writes to the master; false makes its writes fail. */
export type ConfirmMaster = (redis: Redis) => Promise<boolean>;

interface Entry {
  readonly seq: number;
  /** Replicas online when the script ran, from its reply. */
  online?: number;
  resolve(): void;
  reject(error: Error): void;
}

/** The writes of one connection that wait for replicas. */
class ConnectionAcks {
  #redis: Redis;
  #wanted: number;
  #waitMs: number;
  #seq = 0;
  #entries: Entry[] = [];
  #waiting = false;
  #online: number | undefined;
  #confirm: ConfirmMaster | undefined;

  constructor(redis: Redis, wanted: number, waitMs: number, confirm: ConfirmMaster | undefined) {
    this.#redis = redis;
    this.#wanted = wanted;
    this.#waitMs = waitMs;
    this.#confirm = confirm;
    redis.on("close", () => {
      this.#online = undefined;
      const lost = new Error("the connection closed before the replicas confirmed the write");
      this.#settle(Infinity, () => lost);
    });
  }

  /**
   * Sends a write (whose reply ends with the online replica count), then
   * resolves with its reply once confirmed. A reply that is not a list
   * wrote nothing (a publication its user's quota must pay for first): it
   * resolves at once, with nothing to wait for.
   */
  async write(send: () => Promise<unknown>): Promise<unknown> {
    const confirmed = Promise.withResolvers<void>();
    const entry: Entry = { seq: ++this.#seq, ...confirmed };
    // Both promises are observed below; a rejection before that is not unhandled.
    confirmed.promise.catch(() => {});
    const sent = send().then((reply) => {
      if (!Array.isArray(reply)) return reply;
      entry.online = Number(reply.at(-1));
      this.#online = entry.online;
      this.#flush();
      return reply;
    });
    this.#entries.push(entry);
    this.#flush();
    let reply: unknown;
    try {
      reply = await sent;
    } catch (error) {
      this.#entries = this.#entries.filter((e) => e !== entry);
      throw error;
    }
    if (!Array.isArray(reply)) {
      this.#entries = this.#entries.filter((e) => e !== entry);
      return reply;
    }
    await confirmed.promise;
    return reply;
  }

  #flush(): void {
    // Without a count from this connection yet, the first reply brings one.
    if (this.#waiting || this.#entries.length === 0 || this.#online === undefined) return;
    this.#waiting = true;
    this.#round().finally(() => {
      this.#waiting = false;
      this.#flush();
    });
  }

  /** One WAIT (and, for writes on a master left alone, one confirmation) for every write sent so far. */
  async #round(): Promise<void> {
    const upTo = this.#seq;
    const wanted = this.#wanted;
    let acked: number;
    try {
      acked = Number(
        await this.#redis.wait(Math.min(wanted, this.#online ?? wanted), this.#waitMs),
      );
    } catch (error) {
      this.#settle(upTo, () => error as Error);
      return;
    }
    const needed = (entry: Entry) => Math.min(wanted, entry.online ?? wanted);
    const alone = this.#entries.some((e) => e.seq <= upTo && needed(e) < wanted);
    const confirmed = alone && this.#confirm !== undefined
      ? await this.#confirm(this.#redis).catch(() => false)
      : true;
    this.#settle(upTo, (entry) => {
      if (acked < needed(entry)) {
        return new Error(
          `${acked} of ${needed(entry)} replicas confirmed the write within ${this.#waitMs} ms`,
        );
      }
      if (needed(entry) < wanted && !confirmed) {
        return new Error("the master was replaced: a write it took without a replica may be lost");
      }
      return undefined;
    });
  }

  /** Settles the entries sent up to `upTo`: confirmed unless `failure` names why not. */
  #settle(upTo: number, failure: (entry: Entry) => Error | undefined): void {
    const done = this.#entries.filter((e) => e.seq <= upTo);
    this.#entries = this.#entries.filter((e) => e.seq > upTo);
    for (const entry of done) {
      const error = failure(entry);
      if (error === undefined) entry.resolve();
      else entry.reject(error);
    }
  }
}

/** The waiting writes of every connection a shard writes on. */
export class ReplicaAcks {
  #connections = new WeakMap<Redis, ConnectionAcks>();
  #wanted: number;
  #waitMs: number;
  #confirm: ConfirmMaster | undefined;

  constructor(wanted: number, waitMs: number, confirm?: ConfirmMaster) {
    this.#wanted = wanted;
    this.#waitMs = waitMs;
    this.#confirm = confirm;
  }

  /** Sends `send`'s write on `redis` (which it must use) and resolves once replicas confirmed it. */
  write(redis: Redis, send: () => Promise<unknown>): Promise<unknown> {
    let acks = this.#connections.get(redis);
    if (acks === undefined) {
      acks = new ConnectionAcks(redis, this.#wanted, this.#waitMs, this.#confirm);
      this.#connections.set(redis, acks);
    }
    return acks.write(send);
  }
}
