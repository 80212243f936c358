// The client address per-IP limits are keyed on: a pure table over
// clientAddress and resolveProxyTrust, and the IP parsing under them.

import assert from "node:assert/strict";
import { clientAddress, resolveProxyTrust } from "../../src/hub/_client_ip.ts";
import { formatIp, inCidr, parseCidr, parseIp } from "../../src/hub/_ip.ts";

const LOOPBACK = resolveProxyTrust(true);
const TWO_HOPS = resolveProxyTrust({ hops: 2, addresses: ["10.0.0.0/8", "fd00::/8"] });

const CASES: [string, string | undefined, string | null, typeof LOOPBACK, string | undefined][] = [
  // [what, peer, X-Forwarded-For, trust, expected]
  ["no proxy trusted: the peer", "203.0.113.7", "6.6.6.6", undefined, "203.0.113.7"],
  ["unknown peer: unknown, whatever the header", undefined, "6.6.6.6", LOOPBACK, undefined],
  ["empty peer: unknown", "", null, LOOPBACK, undefined],
  ["trusted peer: the entry it appended", "127.0.0.1", "203.0.113.7", LOOPBACK, "203.0.113.7"],
  [
    "a forged prepended entry is ignored",
    "127.0.0.1",
    "6.6.6.6, 203.0.113.7",
    LOOPBACK,
    "203.0.113.7",
  ],
  [
    "many forged entries are ignored",
    "127.0.0.1",
    "1.1.1.1,2.2.2.2 , 203.0.113.7",
    LOOPBACK,
    "203.0.113.7",
  ],
  [
    "untrusted peer: its header is ignored",
    "198.51.100.9",
    "203.0.113.7",
    LOOPBACK,
    "198.51.100.9",
  ],
  ["trusted peer without the header: the peer", "127.0.0.1", null, LOOPBACK, "127.0.0.1"],
  ["trusted peer, empty header: the peer", "127.0.0.1", "", LOOPBACK, "127.0.0.1"],
  ["trusted peer, junk entry: the peer", "127.0.0.1", "6.6.6.6, not-an-ip", LOOPBACK, "127.0.0.1"],
  [
    "trusted peer, entry with a port: the peer",
    "127.0.0.1",
    "203.0.113.7:80",
    LOOPBACK,
    "127.0.0.1",
  ],
  ["loopback /8 is trusted", "127.0.0.2", "203.0.113.7", LOOPBACK, "203.0.113.7"],
  ["IPv6 loopback is trusted", "::1", "2001:db8::7", LOOPBACK, "2001:db8::7"],
  ["IPv4-mapped loopback is trusted", "::ffff:127.0.0.1", "203.0.113.7", LOOPBACK, "203.0.113.7"],
  ["the result is canonical", "127.0.0.1", "2001:DB8:0:0:0:0:0:7", LOOPBACK, "2001:db8::7"],
  ["mapped client folds to IPv4", "127.0.0.1", "::ffff:203.0.113.7", LOOPBACK, "203.0.113.7"],
  ["bracketed client", "127.0.0.1", "[2001:db8::7]", LOOPBACK, "2001:db8::7"],
  [
    "two hops: second from the right",
    "10.1.2.3",
    "6.6.6.6, 203.0.113.7, 10.9.9.9",
    TWO_HOPS,
    "203.0.113.7",
  ],
  ["two hops, one entry: the peer", "10.1.2.3", "203.0.113.7", TWO_HOPS, "10.1.2.3"],
  ["two hops, IPv6 proxy network", "fd12::1", "203.0.113.7, fd12::2", TWO_HOPS, "203.0.113.7"],
  ["two hops, loopback not listed", "127.0.0.1", "203.0.113.7, 10.9.9.9", TWO_HOPS, "127.0.0.1"],
  ["non-IP peer keeps a stable key", "/run/hub.sock", "203.0.113.7", LOOPBACK, "/run/hub.sock"],
];

for (const [what, peer, header, trust, expected] of CASES) {
  Deno.test(`clientAddress ${what}`, () => {
    assert.equal(clientAddress(peer, header, trust), expected);
  });
}

Deno.test("resolveProxyTrust refuses bad options with the value seen", () => {
  assert.equal(resolveProxyTrust(undefined), undefined);
  assert.equal(resolveProxyTrust(false), undefined);
  assert.throws(() => resolveProxyTrust({ hops: 0 }), /'trustProxy.hops' is 0: an integer from 1/);
  assert.throws(() => resolveProxyTrust({ hops: 1.5 }), RangeError);
  assert.throws(() => resolveProxyTrust({ hops: 17 }), RangeError);
  assert.throws(() => resolveProxyTrust({ addresses: [] }), /'trustProxy.addresses' is empty/);
  assert.throws(
    () => resolveProxyTrust({ addresses: ["10.0.0.0/33"] }),
    /holds '10.0.0.0\/33': an IP address or CIDR network/,
  );
  assert.throws(() => resolveProxyTrust({ addresses: ["proxy.internal"] }), TypeError);
  assert.throws(() => resolveProxyTrust("yes" as unknown as boolean), TypeError);
  assert.deepEqual(resolveProxyTrust({ addresses: ["10.0.0.1"] })?.hops, 1);
});

Deno.test("parseIp accepts addresses and refuses look-alikes", () => {
  for (
    const good of [
      "0.0.0.0",
      "255.255.255.255",
      "::",
      "::1",
      "1::",
      "2001:db8::1",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7:8",
      "::ffff:1.2.3.4",
      "64:ff9b::1.2.3.4",
    ]
  ) {
    assert.ok(parseIp(good) !== undefined, good);
  }
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3.4 x",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":::",
      "g::1",
      "1.2.3.4::",
      "a b",
      "[::1",
    ]
  ) {
    assert.equal(parseIp(bad), undefined, bad);
  }
  assert.equal(formatIp(parseIp("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIp(parseIp("::")!), "::");
  assert.equal(formatIp(parseIp("1:2:3:4:5:6:7:8")!), "1:2:3:4:5:6:7:8");
});

Deno.test("inCidr matches by prefix and never across families", () => {
  const net = parseCidr("10.0.0.0/8")!;
  assert.ok(inCidr(parseIp("10.255.0.1")!, net));
  assert.ok(!inCidr(parseIp("11.0.0.1")!, net));
  assert.ok(inCidr(parseIp("192.168.1.77")!, parseCidr("192.168.1.64/27")!));
  assert.ok(!inCidr(parseIp("192.168.1.96")!, parseCidr("192.168.1.64/27")!));
  assert.ok(inCidr(parseIp("1.2.3.4")!, parseCidr("0.0.0.0/0")!));
  assert.ok(!inCidr(parseIp("::1")!, parseCidr("0.0.0.0/0")!));
  assert.ok(inCidr(parseIp("10.1.1.1")!, parseCidr("::ffff:10.0.0.0/104")!));
});
