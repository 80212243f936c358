/**
 * The one import of `jose` for every module of this package, at the
 * version `deno.json` pins (and `deno.lock` locks).
 *
 * @module
 */

export * from "jose";
