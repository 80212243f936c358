// Which address a per-IP limit is keyed on: the socket peer, or, when the
// peer is a proxy you trust, the address that proxy appended to
// `X-Forwarded-For`. Pure functions, applied at admission. Internal.

import { type Cidr, formatIp, inCidr, parseCidr, parseIp } from "./_ip.ts";
import type { TrustProxyOptions } from "./options.ts";

/** A validated {@linkcode TrustProxyOptions}. */
export interface ProxyTrust {
  /** How many entries from the right of `X-Forwarded-For` the client's address is. */
  readonly hops: number;
  /** Networks whose peers may set `X-Forwarded-For`. */
  readonly proxies: readonly Cidr[];
}

/** What `trustProxy: true` means: one proxy, on this machine. */
export const LOOPBACK_PROXY: Readonly<Required<TrustProxyOptions>> = {
  hops: 1,
  addresses: ["127.0.0.0/8", "::1"],
};

/** Longest proxy chain accepted in `hops`. */
const MAX_HOPS = 16;

/**
 * Validates a `trustProxy` option once, at hub creation.
 *
 * @param option `false`/absent (use the socket peer), `true` (one proxy on
 * loopback) or the hops and proxy addresses.
 * @returns The trust policy, or `undefined` when no proxy is trusted.
 * @throws {TypeError} When an address is not an IP address or CIDR network.
 * @throws {RangeError} When `hops` is not an integer from 1 to 16.
 */
export function resolveProxyTrust(
  option: boolean | TrustProxyOptions | undefined,
): ProxyTrust | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return resolveProxyTrust(LOOPBACK_PROXY);
  if (typeof option !== "object" || option === null) {
    throw new TypeError(
      `Cannot create hub as 'trustProxy' is ${typeof option}: use a boolean or { hops, addresses }`,
    );
  }
  const hops = option.hops ?? 1;
  if (!Number.isInteger(hops) || hops < 1 || hops > MAX_HOPS) {
    throw new RangeError(
      `Cannot create hub as 'trustProxy.hops' is ${hops}: an integer from 1 to ${MAX_HOPS} is required`,
    );
  }
  const addresses = option.addresses ?? LOOPBACK_PROXY.addresses;
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw new TypeError(
      "Cannot create hub as 'trustProxy.addresses' is empty: name the proxies' addresses or networks",
    );
  }
  const proxies = addresses.map((text) => {
    const cidr = typeof text === "string" ? parseCidr(text) : undefined;
    if (cidr === undefined) {
      throw new TypeError(
        `Cannot create hub as 'trustProxy.addresses' holds '${String(text).slice(0, 64)}': ` +
          "an IP address or CIDR network such as '10.0.0.0/8' is required",
      );
    }
    return cidr;
  });
  return { hops, proxies };
}

/**
 * The client address a request is accounted to. Only a socket peer inside a
 * trusted network may name another address, and only the entry its proxy
 * chain appended counts: `hops` from the right of `X-Forwarded-For`. Entries
 * further left are whatever the client sent and are never used. A trusted
 * peer that sent too few entries, or an entry that is not an IP address, is
 * accounted to the peer itself.
 *
 * @param peer The socket peer's address, if the adapter knows it.
 * @param forwardedFor The `X-Forwarded-For` header (every instance, comma-joined).
 * @param trust The policy from {@linkcode resolveProxyTrust}.
 * @returns The canonical address, or `undefined` when the peer is unknown.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | null,
  trust: ProxyTrust | undefined,
): string | undefined {
  if (peer === undefined || peer === "") return undefined;
  const peerBytes = parseIp(peer);
  // An adapter that reports something other than an IP (a Unix socket path)
  // still gets a stable key.
  if (peerBytes === undefined) return peer;
  const canonicalPeer = formatIp(peerBytes);
  if (trust === undefined || forwardedFor === null) return canonicalPeer;
  if (!trust.proxies.some((cidr) => inCidr(peerBytes, cidr))) return canonicalPeer;
  const entries = forwardedFor.split(",");
  if (entries.length < trust.hops) return canonicalPeer;
  const claimed = parseIp(entries[entries.length - trust.hops]);
  return claimed === undefined ? canonicalPeer : formatIp(claimed);
}
