/**
 * Message rates for `hub.stats()`: totals sampled at most once a second and
 * kept for 10 s, so a rate is averaged over the last 10 s. Internal to the hub.
 *
 * @module
 */

import type { HubMetrics } from "./metrics.ts";

/** Frames in and out per second, averaged over the last 10 s. */
export interface Rates {
  /** Frames received per second. */
  messagesInPerSecond: number;
  /** Frames sent per second. */
  messagesOutPerSecond: number;
}

/**
 * Creates a sampler of a hub's message counters.
 *
 * @param metrics The counters.
 * @param createdAt When the hub was created, epoch ms (the first window starts there).
 * @returns A function of the current time that samples and returns the rates.
 */
export function createRateSampler(
  metrics: Pick<HubMetrics, "messagesIn" | "messagesOut">,
  createdAt: number,
): (now: number) => Rates {
  const samples: { at: number; in: number; out: number }[] = [];
  return (now) => {
    const current = { at: now, in: total(metrics.messagesIn), out: total(metrics.messagesOut) };
    while (samples.length > 0 && now - samples[0].at > 10_000) samples.shift();
    const oldest = samples[0] ?? { at: createdAt, in: 0, out: 0 };
    if (samples.length === 0 || now - samples[samples.length - 1].at >= 1000) samples.push(current);
    const seconds = Math.max(1, now - oldest.at) / 1000;
    return {
      messagesInPerSecond: round((current.in - oldest.in) / seconds),
      messagesOutPerSecond: round((current.out - oldest.out) / seconds),
    };
  };
}

function total(counter: Map<string, number>): number {
  let sum = 0;
  for (const n of counter.values()) sum += n;
  return sum;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
