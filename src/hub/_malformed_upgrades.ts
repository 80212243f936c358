// Upgrade requests a transport adapter could not read (answered 400):
// counted each, audited at most once a second with the count since, so a
// flood of garbage does not flood the audit log. Internal.

import type { Clock } from "./clock.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { type ConnInfo, type MalformedUpgrade, peerAddress } from "./transport.ts";

/** What the count and the audit need. */
export interface MalformedUpgradesDeps {
  clock: Clock;
  metrics: HubMetrics;
  audit(entry: LogEntry): void;
}

/** Creates `hub.malformedUpgrade`. */
export function createMalformedUpgrades(
  deps: MalformedUpgradesDeps,
): (reason: MalformedUpgrade, info?: ConnInfo) => void {
  const { clock, metrics, audit } = deps;
  let auditedAt = -Infinity;
  let unaudited = 0;
  return function malformedUpgrade(reason: MalformedUpgrade, info?: ConnInfo): void {
    increment(metrics.upgradesMalformed, reason);
    const now = clock.now();
    // A flood of garbage must not flood the audit log: one line a second, with the count since.
    if (now - auditedAt < 1000) {
      unaudited++;
      return;
    }
    auditedAt = now;
    audit({
      level: "warn",
      event: "upgrade.malformed",
      reason,
      ip: peerAddress(info),
      unaudited,
    });
    unaudited = 0;
  };
}
