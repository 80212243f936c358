// The engine's subscriber side: one subscriber connection per shard, channels
// subscribed on first use and unsubscribed a little after last use, and after
// any reconnect every wanted channel subscribed again and verified (Redis's
// own subscription count, then a probe through Redis) before the engine is
// told. A heartbeat probe catches a connection that died silently. A
// cluster's subscriber that gave up on its node moves to another node.

import type { Redis } from "ioredis";
import type { EngineClock } from "../engine.ts";
import { backoff } from "./_connect.ts";
import { controlChannel, probeChannel } from "./_names.ts";
import type { Shard } from "./_shard.ts";

/** What the subscriber side needs from the engine. */
export interface SubscriberHooks {
  /** The topic channels and globs `shard` must carry, besides the engine's own. */
  wanted(shard: Shard): { channels: string[]; globs: string[] };
  /** Every wanted channel of `shard` is subscribed again and verified. */
  restored(shard: Shard): void;
  message(channel: string, message: string): void;
  patternMessage(glob: string, channel: string, message: string): void;
  log(level: "info" | "warn", event: string, message: string): void;
}

export interface SubscriberOptions {
  readonly prefix: string;
  readonly engineId: string;
  readonly clock: EngineClock;
  readonly unsubscribeDelayMs: number;
  readonly commandTimeoutMs: number;
  readonly resubscribeTimeoutMs: number;
}

export class Subscriber {
  #shards: readonly Shard[];
  #options: SubscriberOptions;
  #hooks: SubscriberHooks;
  #probeChannel: string;
  #probes = new Map<string, () => void>();
  #probeCount = 0;
  /** Pending moves of a cluster's subscriber to another node, and the attempts since the last success. */
  #moves = new Map<Shard, { timer?: unknown; attempts: number }>();
  #active = false;
  #closed = false;

  constructor(shards: readonly Shard[], options: SubscriberOptions, hooks: SubscriberHooks) {
    this.#shards = shards;
    this.#options = options;
    this.#hooks = hooks;
    this.#probeChannel = probeChannel(options.prefix, options.engineId);
    for (const shard of shards) {
      // Without a listener ioredis prints every connection error; state
      // changes are reported by the subscriber's events, so errors stay quiet.
      shard.command.on("error", () => {});
      shard.watchSubscriber((redis) => this.#watch(shard, redis));
    }
  }

  /** Subscribes the engine's own channels once connected; from then on, reconnects are handled. */
  async start(shard: Shard): Promise<void> {
    await shard.subscriber.subscribe(...this.#own(shard));
    shard.up = true;
  }

  /** Every shard started: react to drops from now on. */
  activate(): void {
    this.#active = true;
  }

  /** Makes sure a channel (or glob) is subscribed on a shard; rejects with the client's error. */
  want(shard: Shard, name: string, glob: boolean): Promise<void> {
    const linger = shard.lingers.get(name);
    if (linger !== undefined) {
      this.#options.clock.clearTimer(linger);
      shard.lingers.delete(name);
    }
    if (shard.confirmed.has(name)) return Promise.resolve();
    let pending = shard.pending.get(name);
    if (pending === undefined) {
      const sent = glob ? shard.subscriber.psubscribe(name) : shard.subscriber.subscribe(name);
      pending = sent.then(() => void shard.confirmed.add(name)).finally(() => {
        shard.pending.delete(name);
      });
      shard.pending.set(name, pending);
    }
    return pending;
  }

  /** Unsubscribes a channel (or glob) after the delay, unless `idle()` turned false by then. */
  release(shard: Shard, name: string, glob: boolean, idle: () => boolean): void {
    const { clock } = this.#options;
    const previous = shard.lingers.get(name);
    if (previous !== undefined) clock.clearTimer(previous);
    const timer = clock.setTimer(() => {
      shard.lingers.delete(name);
      if (this.#closed || !idle()) return;
      shard.confirmed.delete(name);
      const sent = glob ? shard.subscriber.punsubscribe(name) : shard.subscriber.unsubscribe(name);
      // Failure is harmless: a dropped connection loses its subscriptions anyway.
      sent.catch(() => {});
    }, this.#options.unsubscribeDelayMs);
    shard.lingers.set(name, timer);
  }

  /** Probes every live shard; one whose probe does not come back in time is reconnected. */
  async heartbeat(): Promise<void> {
    const { commandTimeoutMs } = this.#options;
    await Promise.all(this.#shards.map(async (shard) => {
      if (!shard.up || !shard.commandsReady) return;
      if (await this.#probe(shard, commandTimeoutMs)) return;
      if (this.#closed || !shard.up) return;
      this.#hooks.log(
        "warn",
        "heartbeat_missed",
        `A probe through Redis at ${shard.identity} did not come back within ${commandTimeoutMs} ms; reconnecting the subscriber`,
      );
      this.#drop(shard);
    }));
  }

  close(): void {
    this.#closed = true;
    for (const move of this.#moves.values()) this.#options.clock.clearTimer(move.timer);
    this.#moves.clear();
    for (const shard of this.#shards) {
      for (const timer of shard.lingers.values()) this.#options.clock.clearTimer(timer);
      shard.lingers.clear();
    }
    for (const resolve of this.#probes.values()) resolve();
    this.#probes.clear();
  }

  /** The channels a shard's subscriber carries whatever the topics: probe, and control on shard 0. */
  #own(shard: Shard): string[] {
    const own = [this.#probeChannel];
    if (shard.index === 0) own.push(controlChannel(this.#options.prefix));
    return own;
  }

  #drop(shard: Shard): void {
    shard.up = false;
    shard.confirmed.clear();
    shard.subscriber.disconnect(true);
  }

  /** Listens to one subscriber connection of a shard; events of one it replaced are ignored. */
  #watch(shard: Shard, redis: Redis): void {
    const current = () => redis === shard.subscriber && !this.#closed;
    redis.on("message", (channel: string, message: string) => {
      if (!current()) return;
      if (channel !== this.#probeChannel) return this.#hooks.message(channel, message);
      const resolve = this.#probes.get(message);
      this.#probes.delete(message);
      resolve?.();
    });
    redis.on("pmessage", (glob: string, channel: string, message: string) => {
      if (current()) this.#hooks.patternMessage(glob, channel, message);
    });
    redis.on("close", () => {
      if (!this.#active || !current() || !shard.up) return;
      shard.up = false;
      shard.confirmed.clear();
      this.#hooks.log(
        "warn",
        "subscriber_lost",
        `Lost the subscriber connection to Redis at ${shard.identity}`,
      );
    });
    redis.on("ready", () => {
      this.#moves.delete(shard);
      if (this.#active && current() && !shard.up) void this.#restore(shard);
    });
    // Only a cluster's subscriber ends by itself (its node gave no answer
    // to a few reconnects): move it to another node.
    redis.on("end", () => {
      if (this.#active && current() && shard.isCluster) this.#move(shard);
    });
    redis.on("error", () => {});
  }

  /** Moves a cluster's subscriber to another node after a backoff; a failed attempt ends and moves again. */
  #move(shard: Shard): void {
    const move = this.#moves.get(shard) ?? { attempts: 0 };
    this.#moves.set(shard, move);
    move.timer = this.#options.clock.setTimer(() => {
      if (this.#closed) return;
      this.#hooks.log(
        "info",
        "subscriber_moved",
        `Moving the subscriber connection of Redis at ${shard.identity} to another node`,
      );
      shard.replaceSubscriber().connect().catch(() => {});
    }, backoff(++move.attempts));
  }

  /** After a reconnect: subscribe every wanted channel again and verify it. */
  async #restore(shard: Shard): Promise<void> {
    const { clock, resubscribeTimeoutMs } = this.#options;
    const started = clock.now();
    const wanted = this.#hooks.wanted(shard);
    const channels = [...this.#own(shard), ...wanted.channels];
    const { globs } = wanted;
    let timer: unknown;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = clock.setTimer(
          () => reject(new Error(`not verified within ${resubscribeTimeoutMs} ms`)),
          resubscribeTimeoutMs,
        );
      });
      await Promise.race([deadline, this.#resubscribe(shard, channels, globs)]);
    } catch (error) {
      if (this.#closed) return;
      const reason = error instanceof Error ? error.message : String(error);
      this.#hooks.log(
        "warn",
        "resubscribe_failed",
        `Could not restore subscriptions on Redis at ${shard.identity}: ${reason}; reconnecting`,
      );
      this.#drop(shard);
      return;
    } finally {
      clock.clearTimer(timer);
    }
    if (this.#closed) return;
    for (const name of [...channels, ...globs]) shard.confirmed.add(name);
    shard.up = true;
    this.#hooks.log(
      "info",
      "resubscribed",
      `Resubscribed ${channels.length} channels and ${globs.length} patterns on Redis at ${shard.identity} in ${
        clock.now() - started
      } ms`,
    );
    this.#hooks.restored(shard);
  }

  async #resubscribe(shard: Shard, channels: string[], globs: string[]): Promise<void> {
    let count = Number(await shard.subscriber.subscribe(...channels));
    if (globs.length > 0) count = Number(await shard.subscriber.psubscribe(...globs));
    // Redis answers with the connection's subscription count: anything less
    // than asked for means a subscription silently failed.
    if (count < channels.length + globs.length) {
      throw new Error(
        `Redis confirmed ${count} of ${channels.length + globs.length} subscriptions`,
      );
    }
    if (!(await this.#probe(shard, this.#options.resubscribeTimeoutMs))) {
      throw new Error("a probe through the channel did not come back");
    }
  }

  /**
   * Sends a probe through Redis to this engine's subscriber on a shard:
   * `true` when it came back within `timeoutMs`, `false` otherwise. The
   * waiter is released either way.
   */
  #probe(shard: Shard, timeoutMs: number): Promise<boolean> {
    const { clock } = this.#options;
    const id = `${shard.index}.${++this.#probeCount}`;
    return new Promise<boolean>((resolve) => {
      const done = (arrived: boolean) => {
        clock.clearTimer(timer);
        this.#probes.delete(id);
        resolve(arrived && !this.#closed);
      };
      const timer = clock.setTimer(() => done(false), timeoutMs);
      this.#probes.set(id, () => done(true));
      shard.command.publish(this.#probeChannel, id).catch(() => done(false));
    });
  }
}
