/**
 * The client address of a plain HTTP request by the hub's proxy rules, for
 * handlers mounted beside the hub (the accounts' login limiter) that must
 * account a request to the same address the hub's per-IP limits would.
 *
 * @module
 */

import { clientAddress, resolveProxyTrust } from "./_client_ip.ts";
import type { TrustProxyOptions } from "./options.ts";
import { type ConnInfo, peerAddress } from "./transport.ts";

/** Finds the address a request is accounted to; made by {@linkcode createClientAddress}. */
export type ClientAddress = (req: Request, info?: ConnInfo) => string | undefined;

/**
 * Creates the function that says which address a request comes from: the
 * socket peer, or, when that peer is a trusted proxy, the entry its chain
 * appended to `X-Forwarded-For` (never one the client wrote itself). The
 * rules are the hub's `trustProxy`; pass the same value.
 *
 * @param trustProxy `false`/absent, `true` (one proxy on loopback) or the hops and proxy addresses.
 * @returns The function; it returns `undefined` when the peer is unknown.
 * @throws {TypeError} When an address is not an IP address or CIDR network.
 * @throws {RangeError} When `hops` is not an integer from 1 to 16.
 *
 * @example Behind one proxy on loopback, a forged leftmost entry is ignored
 * ```ts
 * import { createClientAddress } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const address = createClientAddress(true);
 * const req = new Request("http://localhost/auth/login", {
 *   headers: { "x-forwarded-for": "10.9.9.9, 203.0.113.7" },
 * });
 * assert.equal(address(req, { remoteAddr: "127.0.0.1" }), "203.0.113.7");
 * assert.equal(address(req, { remoteAddr: "198.51.100.2" }), "198.51.100.2");
 * assert.equal(address(req), undefined);
 * ```
 */
export function createClientAddress(
  trustProxy: boolean | TrustProxyOptions | undefined,
): ClientAddress {
  const trust = resolveProxyTrust(trustProxy);
  return function clientAddressOf(req, info) {
    return clientAddress(peerAddress(info), req.headers.get("x-forwarded-for"), trust);
  };
}
