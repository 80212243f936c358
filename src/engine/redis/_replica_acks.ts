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
// confirmed: a WAIT on the next connection would not cover it.

import type { Redis } from "ioredis";

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

  constructor(redis: Redis, wanted: number, waitMs: number) {
    this.#redis = redis;
    this.#wanted = wanted;
    this.#waitMs = waitMs;
    redis.on("close", () => {
      this.#online = undefined;
      const lost = new Error("the connection closed before the replicas confirmed the write");
      this.#settle(Infinity, () => lost);
    });
  }

  /** Sends a write (whose reply ends with the online replica count), then resolves with its reply once confirmed. */
  async write(send: () => Promise<unknown>): Promise<unknown[]> {
    const confirmed = Promise.withResolvers<void>();
    const entry: Entry = { seq: ++this.#seq, ...confirmed };
    // Both promises are observed below; a rejection before that is not unhandled.
    confirmed.promise.catch(() => {});
    const sent = send().then((reply) => {
      entry.online = Number((reply as unknown[]).at(-1));
      this.#online = entry.online;
      this.#flush();
      return reply as unknown[];
    });
    this.#entries.push(entry);
    this.#flush();
    let reply: unknown[];
    try {
      reply = await sent;
    } catch (error) {
      this.#entries = this.#entries.filter((e) => e !== entry);
      throw error;
    }
    await confirmed.promise;
    return reply;
  }

  #flush(): void {
    // Without a count from this connection yet, the first reply brings one.
    if (this.#waiting || this.#entries.length === 0 || this.#online === undefined) return;
    this.#waiting = true;
    const upTo = this.#seq;
    const wanted = this.#wanted;
    const expected = Math.min(wanted, this.#online);
    this.#redis.wait(expected, this.#waitMs).then(
      (acked) =>
        this.#settle(upTo, (entry) => {
          const needed = Math.min(wanted, entry.online ?? wanted);
          return Number(acked) >= needed ? undefined : new Error(
            `${acked} of ${needed} replicas confirmed the write within ${this.#waitMs} ms`,
          );
        }),
      (error: Error) => this.#settle(upTo, () => error),
    ).finally(() => {
      this.#waiting = false;
      this.#flush();
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

  constructor(wanted: number, waitMs: number) {
    this.#wanted = wanted;
    this.#waitMs = waitMs;
  }

  /** Sends `send`'s write on `redis` (which it must use) and resolves once replicas confirmed it. */
  write(redis: Redis, send: () => Promise<unknown>): Promise<unknown[]> {
    let acks = this.#connections.get(redis);
    if (acks === undefined) {
      acks = new ConnectionAcks(redis, this.#wanted, this.#waitMs);
      this.#connections.set(redis, acks);
    }
    return acks.write(send);
  }
}
