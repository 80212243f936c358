// What RealtimeClient costs a browser page, bundled as the hub's pages are
// (scripts/client_size.ts prints the table): a client that never signs or
// verifies must not load jose.

import assert from "node:assert/strict";
import { measureProbe } from "../../scripts/client_size.ts";

/**
 * The budget of a plain subscriber's page, gzipped: half of the 25 KB the
 * client weighed with jose loaded up front (jose alone is about 11 KB).
 */
const SUBSCRIBER_GZIP_BUDGET = 12_500;
/**
 * The budget of a page using every React hook, gzipped, react-dom left out:
 * the subscriber's, React's core (about 3.4 KB) and the bindings.
 */
const REACT_GZIP_BUDGET = 18_000;

/** A string in jose's error classes that survives minification. */
const JOSE_MARK = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";

function holdsJose(texts: ReadonlyMap<string, string>, files: readonly string[]): boolean {
  return files.some((file) => texts.get(file)!.includes(JOSE_MARK));
}

Deno.test("RealtimeClient bundle for a plain subscriber stays within its gzip budget, jose left out", async () => {
  const { start, all, texts } = await measureProbe("subscriber");
  assert.ok(
    start.gzip <= SUBSCRIBER_GZIP_BUDGET,
    `${start.gzip} bytes gzipped (${start.minified} minified) over ${SUBSCRIBER_GZIP_BUDGET}`,
  );
  assert.equal(holdsJose(texts, start.files), false, "jose is loaded with the page");
  assert.equal(holdsJose(texts, all.files), true, "jose is in a chunk of its own");
});

Deno.test("RealtimeClient bundle for a subscribe-only page stays within its gzip budget", async () => {
  const { start, texts } = await measureProbe("subscribeOnly");
  assert.ok(
    start.gzip <= SUBSCRIBER_GZIP_BUDGET,
    `${start.gzip} bytes gzipped (${start.minified} minified) over ${SUBSCRIBER_GZIP_BUDGET}`,
  );
  assert.equal(holdsJose(texts, start.files), false, "jose is loaded with the page");
  // The verified handler comes with the verifier, never with a plain page.
  assert.equal(start.files.some((f) => f.startsWith("_signing-")), false);
  // Nor do history, presence and RPC, until their first call.
  assert.equal(start.files.some((f) => f.startsWith("_queries-")), false);
  assert.ok([...texts.keys()].some((f) => f.startsWith("_queries-")), "no chunk for the requests");
});

Deno.test("React bindings with every hook load at most React's core and the client on top", async () => {
  const { start, texts } = await measureProbe("react");
  assert.equal(holdsJose(texts, start.files), false, "jose is loaded with the page");
  assert.ok(
    start.gzip <= REACT_GZIP_BUDGET,
    `${start.gzip} bytes gzipped (${start.minified} minified) over ${REACT_GZIP_BUDGET}`,
  );
});

Deno.test("RealtimeClient bundle loads signing and verification only on the first sign or verify", async () => {
  const { start, all, texts } = await measureProbe("signer");
  assert.equal(holdsJose(texts, start.files), false, "jose is loaded with the page");
  assert.ok(start.gzip <= SUBSCRIBER_GZIP_BUDGET, `${start.gzip} bytes gzipped at start`);
  const later = all.files.filter((file) => !start.files.includes(file));
  // Signers, verifier and verified handler come in one chunk, on the first sign or verify.
  assert.ok(later.some((file) => file.startsWith("_signing-")), later.join(", "));
  assert.ok(all.gzip - start.gzip > 10_000, "the signing chunks hold jose");
});
