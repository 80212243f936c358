// The manual clock is public (`@realtime/hub/testing`); tests import it from here.

export { ManualClock } from "../../src/testing/manual_clock.ts";
