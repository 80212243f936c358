/**
 * `@realtime/hub/client`: a browser-safe client for the hub.
 *
 * @module
 */

export * from "./backoff.ts";
