/**
 * Counts pattern subscriptions per user and on the whole hub, so one user
 * cannot fill the pattern index that every publication walks. The
 * per-connection count lives on the connection. Internal.
 *
 * @module
 */

import type { HubLimits } from "./options.ts";

/** The limits a {@linkcode PatternQuota} enforces. */
export type PatternLimits = Pick<
  HubLimits,
  "maxPatternsPerConnection" | "maxPatternsPerUser" | "maxPatternsPerHub"
>;

/** Pattern subscriptions held, per user and in all. */
export class PatternQuota {
  readonly #limits: PatternLimits;
  readonly #perUser = new Map<string, number>();
  #total = 0;

  constructor(limits: PatternLimits) {
    this.#limits = limits;
  }

  /** Pattern subscriptions on the hub. */
  get total(): number {
    return this.#total;
  }

  /** Pattern subscriptions of one user, across their connections. */
  of(user: string): number {
    return this.#perUser.get(user) ?? 0;
  }

  /**
   * Why one more pattern subscription is refused, or `undefined` when it
   * fits. Checked in a fixed order: connection, user, hub. `pattern` was
   * validated by the frame parser (grammar characters only, at most 255), so
   * it is shown as is.
   */
  refusal(user: string, onConnection: number, pattern: string): string | undefined {
    const { maxPatternsPerConnection, maxPatternsPerUser, maxPatternsPerHub } = this.#limits;
    const cannot = `Cannot subscribe to '${pattern}'`;
    if (onConnection >= maxPatternsPerConnection) {
      return `${cannot} as this connection has ${onConnection} pattern subscriptions: at most ${maxPatternsPerConnection} are allowed`;
    }
    const ofUser = this.of(user);
    if (ofUser >= maxPatternsPerUser) {
      return `${cannot} as this user has ${ofUser} pattern subscriptions: at most ${maxPatternsPerUser} are allowed`;
    }
    if (this.#total >= maxPatternsPerHub) {
      return `${cannot} as the hub has ${this.#total} pattern subscriptions: at most ${maxPatternsPerHub} are allowed`;
    }
    return undefined;
  }

  /** Counts one pattern subscription of `user`. */
  take(user: string): void {
    this.#perUser.set(user, this.of(user) + 1);
    this.#total++;
  }

  /** Releases one pattern subscription of `user`. */
  release(user: string): void {
    const left = this.of(user) - 1;
    if (left > 0) this.#perUser.set(user, left);
    else this.#perUser.delete(user);
    this.#total--;
  }
}
