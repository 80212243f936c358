// The Deno adapter's socket answers `bufferedAtMost` from what it held when
// last read plus what it sent since, so the hub's slow-consumer check after
// each write needs no call into Deno. Over a real socket whose peer never
// reads (its bytes pile up in Deno's buffer), the answer is never `true`
// when Deno holds more, and it is `true` right after a reading.

import assert from "node:assert/strict";
import { createHub, type HubSocket } from "../../mod.ts";
import { upgradeWithDeno } from "../../src/server/deno_adapter.ts";
import type { UpgradeTarget } from "../../src/hub/transport.ts";
import { mintToken } from "../../src/auth/mod.ts";
import { rawHandshake, until } from "../_support/raw.ts";

const secret = "deno-buffered-bound-test-secret-32-bytes";

Deno.test("upgradeWithDeno's socket never claims to hold at most less than Deno holds", async () => {
  await using hub = createHub({ auth: { secret } });
  let socket: HubSocket | undefined;
  // The hub as the adapter sees it, keeping the socket it attaches.
  const target: UpgradeTarget = {
    admit: (req, info) => hub.admit(req, info),
    connect(s, admission) {
      socket = s;
      return hub.connect(s, admission);
    },
    limits: hub.limits,
  };
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (req, info) => upgradeWithDeno(target, req, { remoteAddr: info.remoteAddr.hostname }),
  );
  const token = await mintToken({ sub: "reader" }, { secret: new TextEncoder().encode(secret) });
  const peer = await rawHandshake(server.addr.port, `/ws?token=${token}`);
  try {
    assert.match(peer.head, /^HTTP\/1.1 101/);
    await until(() => socket !== undefined, 3000, "the socket");
    const s = socket!;
    assert.equal(typeof s.bufferedAtMost, "function");
    // Messages of several sizes, some not ASCII, to a peer that does not read.
    const texts = ["a".repeat(10), "é".repeat(3000), "x".repeat(200_000), "🙂".repeat(5000)];
    let claimedTrue = 0;
    for (let i = 0; i < 40; i++) {
      const text = texts[i % texts.length];
      s.send(text);
      // Bounds around what Deno holds: a `true` must be backed by the reading.
      const bounds = [0, 100, 10_000, 300_000, 1_000_000, 10_000_000, 100_000_000];
      const claims = bounds.map((b) => s.bufferedAtMost!(b));
      const held = s.bufferedAmount;
      bounds.forEach((b, k) => {
        if (claims[k]) {
          claimedTrue++;
          assert.ok(held <= b, `claimed at most ${b} while Deno holds ${held}`);
        }
      });
      // Just read: the bound is the reading itself.
      assert.equal(s.bufferedAtMost!(held), true);
      if (held > 0) assert.equal(s.bufferedAtMost!(held - 1), false);
    }
    assert.ok(claimedTrue > 0, "some answers came without a reading");
  } finally {
    peer.close();
  }
});
