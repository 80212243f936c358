// The SSE door over real sockets, on both transports: a stream of several
// topics, its event ids, resuming with Last-Event-ID (exactly the missed
// publications, in order), bad/stale/future ids, refusals before the
// stream, token expiry, revocation, slow readers and the admin listing.

import assert from "node:assert/strict";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { openSse, type SseReader } from "../_support/sse_reader.ts";
import type { Transport } from "../../src/server/serve.ts";

const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
const ACL = { "chat:*": ["subscribe", "history"], "news:*": ["subscribe"] };

function sseUrl(hub: TestHub, query: string): string {
  return `http://127.0.0.1:${hub.port}/sse?${query}`;
}

async function open(
  hub: TestHub,
  query: string,
  headers: Record<string, string> = {},
  claims: Record<string, unknown> = { sub: "alice", acl: ACL },
): Promise<SseReader> {
  const token = await hub.token(claims as { sub: string });
  return await openSse(sseUrl(hub, query), { authorization: `Bearer ${token}`, ...headers });
}

function payloads(events: { data: string }[]): unknown[] {
  return events.map((e) => JSON.parse(e.data).payload);
}

async function withHub(
  transport: Transport,
  fn: (hub: TestHub) => Promise<void>,
  options: Record<string, unknown> = {},
): Promise<void> {
  const hub = await startTestHub(transport, { history: HISTORY, ...options });
  try {
    await fn(hub);
  } finally {
    await hub.close();
  }
}

eachTransport(
  "sse streams the publications of several topics with ids that resume all of them",
  (t) =>
    withHub(t, async (hub) => {
      const stream = await open(hub, "topic=chat:b&topic=chat:a&topic=news:x");
      assert.equal(stream.response.status, 200);
      assert.match(stream.response.headers.get("content-type")!, /^text\/event-stream/);
      const welcome = await stream.until("welcome");
      assert.equal(stream.retry, 2000);
      const w = JSON.parse(welcome.data);
      assert.equal(w.user, "alice");
      assert.deepEqual(w.topics.map((t: { topic: string }) => t.topic), [
        "chat:a",
        "chat:b",
        "news:x",
      ]);
      assert.equal(w.recovered, undefined);
      assert.ok(welcome.id, "the welcome carries the starting position");
      await hub.hub.publish("chat:a", "a1");
      await hub.hub.publish("news:x", "n1");
      await hub.hub.publish("chat:b", "b1");
      const got = [await stream.next(), await stream.next(), await stream.next()];
      assert.deepEqual(payloads(got as { data: string }[]), ["a1", "n1", "b1"]);
      assert.equal(JSON.parse(got[0]!.data).topic, "chat:a");
      const lastId = got[2]!.lastEventId;
      await stream.cancel();

      // Missed while away: two on chat:a, one on chat:b; news:x keeps no history.
      await hub.hub.publish("chat:a", "a2");
      await hub.hub.publish("chat:b", "b2");
      await hub.hub.publish("chat:a", "a3");
      const again = await open(hub, "topic=chat:a&topic=news:x&topic=chat:b", {
        "last-event-id": lastId,
      });
      const rw = JSON.parse((await again.until("welcome")).data);
      // news:x has no position to resume: the stream as a whole is not recovered.
      assert.equal(rw.recovered, false);
      assert.deepEqual(
        rw.topics.map((t: { topic: string; recovered?: boolean }) => [t.topic, t.recovered]),
        [["chat:a", true], ["chat:b", true], ["news:x", undefined]],
      );
      const missed = [await again.next(), await again.next(), await again.next()];
      // In order per topic, each once.
      assert.deepEqual(
        payloads(
          missed.filter((e) => JSON.parse(e!.data).topic === "chat:a") as { data: string }[],
        ),
        ["a2", "a3"],
      );
      assert.deepEqual(
        payloads(
          missed.filter((e) => JSON.parse(e!.data).topic === "chat:b") as { data: string }[],
        ),
        ["b2"],
      );
      await hub.hub.publish("chat:b", "b3");
      assert.deepEqual(payloads([(await again.next())!]), ["b3"]);
      await again.cancel();
    }),
);

eachTransport(
  "sse resumes a stream of history topics with recovered true, and nothing twice",
  (t) =>
    withHub(t, async (hub) => {
      const stream = await open(hub, "topic=chat:a&topic=chat:b");
      const welcome = await stream.until("welcome");
      await stream.cancel();
      // Published after the welcome, before any message: the welcome's id resumes them.
      await hub.hub.publish("chat:a", "m1");
      await hub.hub.publish("chat:b", "m2");
      const again = await open(hub, "topic=chat:a&topic=chat:b", { "last-event-id": welcome.id! });
      const w = JSON.parse((await again.until("welcome")).data);
      assert.equal(w.recovered, true);
      const events = [await again.next(), await again.next()];
      assert.deepEqual(payloads(events as { data: string }[]).sort(), ["m1", "m2"]);
      // Resuming from the last one again replays nothing.
      await again.cancel();
      const third = await open(hub, "topic=chat:a&topic=chat:b", {
        "last-event-id": events[1]!.lastEventId,
      });
      assert.equal(JSON.parse((await third.until("welcome")).data).recovered, true);
      await hub.hub.publish("chat:a", "m3");
      assert.deepEqual(payloads([(await third.next())!]), ["m3"]);
      await third.cancel();
    }),
);

eachTransport(
  "sse answers a bad, stale, future or foreign Last-Event-ID with recovered false and streams",
  (t) =>
    withHub(t, async (hub) => {
      const first = await open(hub, "topic=chat:a");
      const welcome = await first.until("welcome");
      await hub.hub.publish("chat:a", "x");
      const seen = (await first.next())!;
      await first.cancel();
      const [list, entry] = seen.lastEventId.split(":");
      const [offset, epoch] = entry.split(".");
      const cases: [string, string, string | undefined][] = [
        ["garbage", "garbage\u00e9", "malformed"],
        ["overlong", `${list}:${offset}.${"e".repeat(9000)}`, "malformed"],
        ["bad offset", `${list}:-1.${epoch}`, "malformed"],
        ["foreign topics", `00000000:${offset}.${epoch}`, "topics"],
        ["stale epoch", `${list}:${offset}.not-the-epoch`, undefined],
        ["future offset", `${list}:${Number(offset) + 50}.${epoch}`, undefined],
      ];
      for (const [name, id, reason] of cases) {
        const stream = await open(hub, "topic=chat:a", { "last-event-id": id });
        assert.equal(stream.response.status, 200, name);
        const w = JSON.parse((await stream.until("welcome")).data);
        assert.equal(w.recovered, false, name);
        assert.equal(w.reason, reason, name);
        await hub.hub.publish("chat:a", name);
        const next = (await stream.next())!;
        assert.equal(JSON.parse(next.data).payload, name, `${name}: the stream goes on`);
        await stream.cancel();
      }
      assert.ok(welcome.id);
    }),
);

eachTransport(
  "sse with a lastEventId query parameter resumes as the header does",
  (t) =>
    withHub(t, async (hub) => {
      const first = await open(hub, "topic=chat:q");
      const welcome = await first.until("welcome");
      await first.cancel();
      await hub.hub.publish("chat:q", "gap");
      const again = await open(hub, `topic=chat:q&lastEventId=${encodeURIComponent(welcome.id!)}`);
      assert.equal(JSON.parse((await again.until("welcome")).data).recovered, true);
      assert.deepEqual(payloads([(await again.next())!]), ["gap"]);
      await again.cancel();
    }),
);

eachTransport(
  "sse refuses before the stream: no token, a bad token, a forbidden topic, a bad topic",
  (t) =>
    withHub(t, async (hub) => {
      const none = await fetch(sseUrl(hub, "topic=chat:a"));
      assert.equal(none.status, 401);
      assert.equal((await none.json()).code, "AUTH_FAILED");
      const bad = await fetch(sseUrl(hub, "topic=chat:a"), {
        headers: { authorization: "Bearer not.a.token" },
      });
      assert.equal(bad.status, 401);
      await bad.body?.cancel();
      const forbidden = await open(hub, "topic=chat:a&topic=secret:x");
      assert.equal(forbidden.response.status, 403);
      assert.equal((await forbidden.response.json()).code, "FORBIDDEN");
      const badTopic = await open(hub, "topic=chat:a&topic=" + encodeURIComponent("a b"));
      assert.equal(badTopic.response.status, 400);
      assert.equal((await badTopic.response.json()).code, "BAD_REQUEST");
      const tooMany = await open(
        hub,
        Array.from({ length: 201 }, (_, i) => `topic=chat:${i}`).join("&"),
      );
      assert.equal(tooMany.response.status, 400);
      await tooMany.cancel();
      const put = await fetch(sseUrl(hub, "topic=chat:a"), { method: "PUT" });
      assert.equal(put.status, 405);
      await put.body?.cancel();
      // Nothing refused was left open.
      assert.equal(hub.hub.connectionCount, 0);
    }),
);

eachTransport(
  "sse takes the token from the query parameter and from a cookie with an allowed origin",
  (t) =>
    withHub(t, async (hub) => {
      const token = await hub.token({ sub: "carol", acl: ACL });
      const byQuery = await openSse(sseUrl(hub, `topic=chat:a&token=${token}`));
      assert.equal(JSON.parse((await byQuery.until("welcome")).data).user, "carol");
      await byQuery.cancel();
      const cookie = { cookie: `rt=${token}` };
      const noOrigin = await openSse(sseUrl(hub, "topic=chat:a"), cookie);
      assert.equal(noOrigin.response.status, 403);
      await noOrigin.cancel();
      const good = await openSse(sseUrl(hub, "topic=chat:a"), {
        ...cookie,
        origin: "https://app.example",
      });
      assert.equal(JSON.parse((await good.until("welcome")).data).user, "carol");
      await good.cancel();
    }, {
      tokenSources: { cookie: "rt" },
      allowedOrigins: ["https://app.example"],
    }),
);

eachTransport(
  "sse lists its connections with transport sse, and revocation ends the stream",
  (t) =>
    withHub(t, async (hub) => {
      const stream = await open(hub, "topic=chat:a");
      await stream.until("welcome");
      const page = hub.hub.listConnections();
      assert.equal(page.connections.length, 1);
      assert.equal(page.connections[0].transport, "sse");
      assert.equal(page.connections[0].user, "alice");
      assert.equal(hub.hub.metrics.connectionsByTransport.get("sse"), 1);
      assert.equal(hub.hub.revoke({ user: "alice" }), 1);
      const close = await stream.until("close");
      assert.equal(JSON.parse(close.data).code, 4003);
      assert.equal(await stream.next(), undefined, "the stream ends");
      // The revoked token opens no new stream.
      const token = await hub.token({ sub: "alice", acl: ACL }, { now: () => Date.now() - 10_000 });
      const again = await openSse(sseUrl(hub, "topic=chat:a"), {
        authorization: `Bearer ${token}`,
      });
      assert.equal(again.response.status, 401);
      await again.cancel();
      assert.equal(hub.hub.connectionCount, 0);
    }),
);

eachTransport("sse ends the session when the client goes away", (t) =>
  withHub(t, async (hub) => {
    const stream = await open(hub, "topic=chat:a&topic=chat:b");
    await stream.until("welcome");
    assert.equal(hub.hub.connectionCount, 1);
    assert.equal(hub.hub.subscriptionCount, 2);
    await stream.cancel();
    // The server learns of it at its next write at the latest: publish until it has.
    const deadline = Date.now() + 20_000;
    while (hub.hub.connectionCount > 0 && Date.now() < deadline) {
      await hub.hub.publish("chat:a", "ping");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(hub.hub.connectionCount, 0);
    assert.equal(hub.hub.subscriptionCount, 0);
  }));

eachTransport(
  "sse takes a stream's requests by POST from its own user, and answers them on the stream",
  (t) =>
    withHub(t, async (hub) => {
      const token = await hub.token({
        sub: "alice",
        acl: { ...ACL, "chat:*": ["subscribe", "history", "publish"] },
      });
      const auth = { authorization: `Bearer ${token}` };
      // A stream of no topics, driven by requests.
      const stream = await openSse(sseUrl(hub, ""), auth);
      const welcome = JSON.parse((await stream.until("welcome")).data);
      assert.deepEqual(welcome.topics, []);
      const postTo = (id: string, body: string, headers = auth) =>
        fetch(`http://127.0.0.1:${hub.port}/sse/${id}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        });
      const accepted = await postTo(
        welcome.connectionId,
        [
          JSON.stringify({ type: "subscribe", id: 1, topic: "chat:p" }),
          JSON.stringify({ type: "publish", id: 2, topic: "chat:p", payload: "self" }),
          JSON.stringify({ type: "subscribe", id: 3, topic: "secret:x" }),
          "not json",
        ].join("\n"),
      );
      assert.equal(accepted.status, 202);
      await accepted.body?.cancel();
      const ack1 = JSON.parse((await stream.until("ack")).data);
      assert.equal(ack1.id, 1);
      assert.equal(typeof ack1.offset, "number");
      const got = [
        await stream.next(),
        await stream.next(),
        await stream.next(),
        await stream.next(),
      ];
      const kinds = got.map((
        e,
      ) => [e!.event, JSON.parse(e!.data).id ?? JSON.parse(e!.data).payload]);
      assert.deepEqual(
        kinds.sort((a, b) => String(a).localeCompare(String(b))),
        [["ack", 2], ["failure", 3], ["failure", undefined], ["message", "self"]].sort((a, b) =>
          String(a).localeCompare(String(b))
        ),
      );
      const failure = JSON.parse(
        got.find((e) => e!.event === "failure" && JSON.parse(e!.data).id === 3)!.data,
      );
      assert.deepEqual([failure.code, failure.retry], ["FORBIDDEN", false]);
      // Another user cannot post to it, nor can anyone to a stream that is not there.
      const other = { authorization: `Bearer ${await hub.token({ sub: "mallory", acl: ACL })}` };
      const refused = await postTo(welcome.connectionId, '{"type":"ping","id":9}', other);
      assert.equal(refused.status, 404);
      await refused.body?.cancel();
      const missing = await postTo("no-such-stream", '{"type":"ping","id":9}');
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      const anonymous = await postTo(
        welcome.connectionId,
        '{"type":"ping","id":9}',
        {} as typeof auth,
      );
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
      // The stream goes on.
      const ping = await postTo(welcome.connectionId, '{"type":"ping","id":10}');
      await ping.body?.cancel();
      assert.equal(JSON.parse((await stream.until("pong")).data).id, 10);
      await stream.cancel();
    }),
);
