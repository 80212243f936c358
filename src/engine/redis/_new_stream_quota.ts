// How many history streams one user may start per window. The count lives in
// Redis (the NEW_STREAM script, `_scripts.ts`) so every hub shares it; this
// reads the script's answer. With the bytes one stream keeps, it bounds how
// fast one user can make Redis grow (docs/scaling.md, "Sizing Redis").

import { EngineError } from "../errors.ts";

/** The quota's two settings, as resolved. */
export interface NewStreamLimits {
  readonly maxNewStreamsPerUser: number;
  readonly newStreamsWindowMs: number;
}

/**
 * Reads the new-stream script's reply: a count when granted, else the
 * negative time until the user's window ends, which becomes `QUOTA_EXCEEDED`.
 */
export function checkNewStreamGrant(reply: unknown, topic: string, limits: NewStreamLimits): void {
  const value = Number(reply);
  if (value > 0) return;
  const seconds = Math.max(1, Math.ceil(-value / 1000));
  throw new EngineError(
    "QUOTA_EXCEEDED",
    `Cannot start history on '${topic}': this user started ${limits.maxNewStreamsPerUser} history topics in ${limits.newStreamsWindowMs} ms, the most allowed; retry in ${seconds} s`,
  );
}
