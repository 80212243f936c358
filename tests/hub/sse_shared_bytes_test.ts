// SSE streams of one topic are written the same Uint8Array (encoded once per
// turn, src/hub/codec/shared_batch.ts). This proves that is safe: the HTTP
// server neither detaches nor changes an enqueued chunk, so every stream
// that shares it receives it whole, on Deno.serve and on the hub's streams.

import assert from "node:assert/strict";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { openSse } from "../_support/sse_reader.ts";

async function readAll(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test("Deno.serve writes one Uint8Array enqueued on two response streams intact to both", async () => {
  const chunk = new TextEncoder().encode("data: héllo wörld ✓\n\n".repeat(200));
  const copy = chunk.slice();
  const rounds = 20;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === rounds) return controller.close();
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0, size: (c) => c.byteLength });
    return new Response(body);
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const [a, b] = await Promise.all([fetch(url).then(readAll), fetch(url).then(readAll)]);
    // Not detached, not changed.
    assert.equal(chunk.byteLength, copy.byteLength);
    assert.deepEqual(chunk, copy);
    const expected = new Uint8Array(copy.byteLength * rounds);
    for (let i = 0; i < rounds; i++) expected.set(copy, i * copy.byteLength);
    assert.deepEqual(a, expected);
    assert.deepEqual(b, expected);
  } finally {
    await server.shutdown();
  }
});

eachTransport(
  "sse streams of one topic each receive the shared events intact",
  (transport) =>
    (async () => {
      const hub = await startTestHub(transport, {
        history: [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }],
      });
      const readers = [];
      try {
        const token = await hub.token({ sub: "alice", acl: { "chat:*": ["subscribe"] } } as {
          sub: string;
        });
        for (let i = 0; i < 3; i++) {
          const reader = await openSse(`http://127.0.0.1:${hub.port}/sse?topic=chat:a`, {
            authorization: `Bearer ${token}`,
          });
          readers.push(reader);
          await reader.until("welcome");
        }
        const sent = ["ünïcödé ✓ 1", "plain 2", "x".repeat(5000), "ω 4"];
        // Two in one turn (one chunk of two events), then one a turn.
        await Promise.all([hub.hub.publish("chat:a", sent[0]), hub.hub.publish("chat:a", sent[1])]);
        await hub.hub.publish("chat:a", sent[2]);
        await hub.hub.publish("chat:a", sent[3]);
        for (const reader of readers) {
          const got: { payload: unknown; id: string | undefined }[] = [];
          while (got.length < sent.length) {
            const event = await reader.next();
            assert.ok(event !== undefined, "the stream ended early");
            if (event.event !== "message") continue;
            got.push({ payload: JSON.parse(event.data).payload, id: event.id });
          }
          assert.deepEqual(got.map((g) => g.payload), sent);
          assert.ok(got.every((g) => g.id !== undefined && g.id !== ""));
        }
      } finally {
        for (const reader of readers) await reader.cancel();
        await hub.close();
      }
    })(),
);
