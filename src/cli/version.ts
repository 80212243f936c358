/**
 * The CLI's version: the package version in `deno.json` (a test keeps them equal).
 *
 * @module
 */

/** The version `realtime-cli --version` prints. */
export const VERSION = "0.1.0";
