/**
 * Helpers for testing code built on `@realtime/hub`: a manual clock to move
 * time in hub tests without sleeping.
 *
 * @example Give a hub a manual clock
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { ManualClock } from "@realtime/hub/testing";
 *
 * const clock = new ManualClock();
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" }, clock });
 * await hub.close();
 * ```
 *
 * @module
 */

export { ManualClock } from "./manual_clock.ts";
