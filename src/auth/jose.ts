/**
 * The one import of `jose` for every module of this package.
 *
 * The specifier is inline on purpose: the demo page and the console bundle
 * the client (which verifies and signs publications) with `Deno.bundle`,
 * which resolves bare specifiers through the `deno.json` of the process's
 * working directory, not this package's. A hub started from any other
 * directory could then not build those pages. Keep the version in step
 * with `deno.json`'s `jose` entry (used by tests and benchmarks).
 *
 * @module
 */

export * from "npm:jose@^6.2.18";
