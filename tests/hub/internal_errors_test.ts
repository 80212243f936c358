// One error model over real sockets: a HubError thrown while handling a
// request is the client's answer (its code and message); anything else is
// INTERNAL with a generic message, its detail in the log and nowhere else.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { HubError } from "../../src/protocol/errors.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history", "presence"] };
const HISTORY: HubOptions["history"] = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];
/** What a bug's message may hold: nothing of it may reach a client. */
const INTERNAL_TEXT = "Cannot read properties of undefined (reading 'dbPassword')";

const METHODS = [
  "publish",
  "subscribe",
  "position",
  "history",
  "recover",
  "presenceAdd",
  "presenceRemove",
  "presence",
  "presenceStats",
  "control",
  "onControl",
  "close",
] as const;

/** The in-memory engine, with some methods replaced. */
function engineWith(overrides: Partial<Engine>): Engine {
  const inner = createMemoryEngine({ history: HISTORY });
  const engine: Record<string | symbol, unknown> = {};
  for (const name of METHODS) engine[name] = (inner[name] as () => unknown).bind(inner);
  if (inner.observe !== undefined) engine.observe = inner.observe.bind(inner);
  engine[Symbol.asyncDispose] = () => inner.close();
  return Object.assign(engine, overrides) as unknown as Engine;
}

async function join(h: TestHub): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub: "alice", acl: ACL })],
  });
  return socket;
}

function assertGeneric(reply: Record<string, unknown>): void {
  assert.equal(reply.type, "error", JSON.stringify(reply));
  assert.equal(reply.code, "INTERNAL", JSON.stringify(reply));
  assert.equal(reply.message, "Internal error");
  assert.equal(reply.retry, true);
  assert.ok(!JSON.stringify(reply).includes("dbPassword"), "no internal text in the reply");
}

eachTransport(
  "a TypeError while answering history or presence is INTERNAL to the client, its detail only in the log",
  async (t) => {
    const bug = () => Promise.reject(new TypeError(INTERNAL_TEXT));
    const engine = engineWith({ history: bug, presence: bug, presenceStats: bug });
    await using h = await startTestHub(t, { engine, history: HISTORY });
    const socket = await join(h);
    assertGeneric(await socket.request({ type: "history", id: 1, topic: "chat:a" }));
    assertGeneric(await socket.request({ type: "presence", id: 2, topic: "chat:a" }));
    assertGeneric(await socket.request({ type: "presence_stats", id: 3, topic: "chat:a" }));
    // The connection is still usable, and the operator has the detail.
    assert.equal((await socket.request({ type: "ping", id: 4 })).type, "pong");
    const logged = h.logs.filter((e) => e.event === "internal");
    assert.deepEqual(logged.map((e) => e.frame), ["history", "presence", "presence_stats"]);
    for (const entry of logged) {
      assert.equal(entry.level, "error");
      assert.equal(entry.error, "TypeError");
      assert.equal(entry.detail, INTERNAL_TEXT);
    }
    await socket.close();
    await engine.close();
  },
);

eachTransport(
  "a HubError thrown while answering a request is the client's answer, with its code and message",
  async (t) => {
    const engine = engineWith({
      history: () => Promise.reject(new HubError("RATE_LIMITED", "History of 'chat:a' is busy")),
    });
    await using h = await startTestHub(t, { engine, history: HISTORY });
    const socket = await join(h);
    const reply = await socket.request({ type: "history", id: 1, topic: "chat:a" });
    assert.deepEqual(reply, {
      type: "error",
      id: 1,
      code: "RATE_LIMITED",
      message: "History of 'chat:a' is busy",
      retry: true,
    });
    assert.equal(h.logs.filter((e) => e.event === "internal").length, 0);
    await socket.close();
    await engine.close();
  },
);

eachTransport(
  "an authorize hook refuses with a HubError's code and message; any other throw is a generic INTERNAL",
  async (t) => {
    await using h = await startTestHub(t, {
      authorize(_principal, _action, topic) {
        if (topic === "chat:full") throw new HubError("RATE_LIMITED", "Room 'chat:full' is full");
        if (topic === "chat:bug") throw new TypeError(INTERNAL_TEXT);
        return undefined;
      },
    });
    const socket = await join(h);
    const full = await socket.request({ type: "subscribe", id: 1, topic: "chat:full" });
    assert.deepEqual([full.code, full.message, full.retry], [
      "RATE_LIMITED",
      "Room 'chat:full' is full",
      true,
    ]);
    const bug = await socket.request({ type: "subscribe", id: 2, topic: "chat:bug" });
    assert.deepEqual([bug.code, bug.message], ["INTERNAL", "Permission check failed"]);
    assert.ok(!JSON.stringify(bug).includes("dbPassword"));
    const failed = h.logs.find((e) => e.event === "authorize.failed");
    assert.equal(failed?.detail, INTERNAL_TEXT);
    assert.equal((await socket.request({ type: "subscribe", id: 3, topic: "chat:a" })).type, "ack");
    await socket.close();
  },
);
