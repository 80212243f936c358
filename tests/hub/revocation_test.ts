// A revocation over real sockets outlives the old 24-hour window for tokens without exp.

import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { eachTransport, SECRET, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";

eachTransport(
  "revoke still refuses a token without exp 25 hours later",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, {
      clock,
      auth: { secret: SECRET, requireExp: false },
    });
    const token = await new SignJWT({ sub: "svc" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(Math.floor(clock.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    assert.equal(h.hub.revoke({ user: "svc" }), 1);
    assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 4003);
    clock.advance(25 * 3_600_000);
    const again = new TestSocket(h.url, { protocols: ["auth", token] });
    await assert.rejects(again.opened);
    await again.close();
    assert.equal(h.hub.isUserConnected("svc"), false);
  },
);
