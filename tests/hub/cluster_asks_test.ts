// The asking side of cluster-wide answers, on an injected clock: who is
// waited for, who is named missing, and answers that came through the
// engine and must not be trusted.

import assert from "node:assert/strict";
import { createClusterAsks } from "../../src/hub/cluster_asks.ts";
import type { ControlAsk, ControlCommand } from "../../src/engine/engine.ts";
import type { NodeInfo } from "../../src/hub/nodes.ts";
import { ManualClock } from "../_support/manual_clock.ts";

const node = (id: string) => ({ id } as NodeInfo);

function setup(ids: string[]) {
  const clock = new ManualClock();
  const sent: ControlCommand[] = [];
  const asks = createClusterAsks({
    nodeId: "a",
    clock,
    answerTimeoutMs: 1000,
    list: () => Promise.resolve({ self: "a", scope: "cluster", nodes: ids.map(node) }),
    send(command) {
      sent.push(command);
      return Promise.resolve();
    },
  });
  const count = (body: unknown) => typeof body === "number" ? body : undefined;
  const ask = () =>
    asks.ask({
      command: (ask) => ({ type: "disconnect_user", user: "u", reason: "r", ask }),
      local: () => 1,
      read: count,
    });
  const askOf = async () => {
    while (sent.length === 0) await Promise.resolve();
    return (sent[0] as { ask: ControlAsk }).ask;
  };
  const answer = (ask: ControlAsk, from: string, body: unknown) =>
    asks.receive({ type: "answer", ask, node: from, body });
  return { clock, asks, sent, ask, askOf, answer };
}

Deno.test("createClusterAsks resolves once every listed hub answered", async () => {
  const t = setup(["a", "b", "c"]);
  const pending = t.ask();
  const ask = await t.askOf();
  t.answer(ask, "b", 2);
  t.answer(ask, "c", 0);
  assert.deepEqual(await pending, {
    scope: "cluster",
    self: "a",
    nodes: { a: 1, b: 2, c: 0 },
    missing: [],
  });
});

Deno.test("createClusterAsks names the hubs that did not answer within answerTimeoutMs", async () => {
  const t = setup(["a", "b", "c"]);
  const pending = t.ask();
  const ask = await t.askOf();
  t.answer(ask, "c", 3);
  t.clock.advance(1000);
  const answer = await pending;
  assert.deepEqual([answer.nodes, answer.missing], [{ a: 1, c: 3 }, ["b"]]);
});

Deno.test("createClusterAsks ignores malformed answers, answers to another hub, and odd node ids", async () => {
  const t = setup(["a", "b"]);
  const pending = t.ask();
  const ask = await t.askOf();
  t.answer(ask, "b", "lots"); // unreadable: dropped, b still awaited
  t.answer({ ...ask, from: "z" }, "b", 5); // for another hub
  t.answer({ ...ask, id: "other" }, "b", 5); // for another question
  t.answer(ask, "__proto__", 7); // not listed, kept as its own entry, never the prototype
  t.answer(ask, "b", 4);
  const answer = await pending;
  assert.deepEqual(Object.keys(answer.nodes).sort(), ["__proto__", "a", "b"]);
  assert.equal(answer.nodes.b, 4);
  assert.equal(Object.getPrototypeOf(answer.nodes), Object.prototype);
});

Deno.test("createClusterAsks sends an action even when the list names no other hub", async () => {
  const t = setup(["a"]);
  const answer = await t.ask();
  assert.equal(t.sent.length, 1);
  assert.deepEqual([answer.scope, answer.nodes, answer.missing], ["cluster", { a: 1 }, []]);
});

Deno.test("createClusterAsks answers locally, with the engine's reason, when the command cannot be sent", async () => {
  const clock = new ManualClock();
  let applied = 0;
  const asks = createClusterAsks({
    nodeId: "a",
    clock,
    answerTimeoutMs: 1000,
    list: () => Promise.resolve({ self: "a", scope: "cluster", nodes: [node("a"), node("b")] }),
    send: () => Promise.reject(new Error("Redis is down")),
  });
  const answer = await asks.ask({
    command: (ask) => ({ type: "disconnect_user", user: "u", reason: "r", ask }),
    local: () => ++applied,
    read: () => undefined,
  });
  assert.equal(applied, 1, "applied here even though it could not be sent");
  assert.deepEqual(answer, {
    scope: "local",
    self: "a",
    nodes: { a: 1 },
    missing: ["b"],
    error: "Redis is down",
  });
});
