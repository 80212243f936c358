// Chromium's own EventSource against a real hub subprocess (started as
// `deno task start` starts it, whose demo rooms keep history): it receives
// on two topics, the hub ends the stream (an operator's disconnect through
// the admin API), publications land while the browser waits out `retry:`,
// and after EventSource's automatic reconnect with Last-Event-ID every
// missed one arrives once and in order, replayed before anything live.

import assert from "node:assert/strict";
import { loadDevKey } from "../../src/auth/dev_key.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { launchBrowser } from "./_browser.ts";
import { freePort, startHubProcess } from "./_server.ts";

const MISSED = 5;
const ADMIN_KEY = "sse-e2e-admin-key-of-at-least-32-bytes!";

interface Seen {
  type: string;
  data: string;
  lastEventId: string;
}

Deno.test({
  name:
    "EventSource in Chromium gets what it missed after the hub ends its stream, once and in order",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-e2e-sse-" });
    const port = freePort();
    const hub = await startHubProcess(dir, port, { env: { REALTIME_ADMIN_KEY: ADMIN_KEY } });
    try {
      const secret = await loadDevKey(`${dir}/.realtime`);
      assert.ok(secret !== undefined);
      const reader = await mintToken(
        { sub: "alice", acl: { "chat:*": ["subscribe", "history"] } },
        { secret },
        { ttl: "1h" },
      );
      const writer = await mintToken({ sub: "bob", acl: { "chat:*": ["publish"] } }, { secret }, {
        ttl: "1h",
      });
      const publish = async (topic: string, payload: string) => {
        const response = await fetch(`${hub.url}/publish`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${writer}` },
          body: JSON.stringify({ topic, payload }),
        });
        const text = await response.text();
        assert.equal(response.status, 200, text);
        return JSON.parse(text) as { offset: number };
      };

      await using browser = await launchBrowser();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(hub.url + "/");
      await page.evaluate((url) => {
        const seen: Seen[] = [];
        const g = globalThis as unknown as { seen: Seen[]; source: EventSource };
        g.seen = seen;
        const source = new EventSource(url);
        g.source = source;
        const record = (event: Event) => {
          const e = event as MessageEvent;
          seen.push({ type: e.type, data: String(e.data), lastEventId: e.lastEventId });
        };
        for (const type of ["message", "welcome", "close"]) source.addEventListener(type, record);
      }, `/sse?topic=chat:lobby&topic=chat:e2e&token=${reader}`);
      const seen = () => page.evaluate(() => (globalThis as unknown as { seen: Seen[] }).seen);
      /** Waits for an event of `type` (with `payload`, or a welcome with `recovered`). */
      const waitFor = (want: { type: string; payload?: string; recovered?: boolean }) =>
        page.waitForFunction(
          (w) => {
            const list = (globalThis as unknown as { seen?: Seen[] }).seen ?? [];
            return list.some((e) => {
              if (e.type !== w.type) return false;
              const data = JSON.parse(e.data);
              return (w.payload === undefined || data.payload === w.payload) &&
                (w.recovered === undefined || data.recovered === w.recovered);
            });
          },
          want,
          { timeout: 30_000 },
        );
      await waitFor({ type: "welcome" });
      await publish("chat:lobby", "before");
      await waitFor({ type: "message", payload: "before" });

      // The operator disconnects alice: the hub ends the stream with a close event.
      const disconnected = await fetch(`${hub.url}/v1/realtime/users/alice/connections`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(disconnected.status, 200);
      assert.equal((await disconnected.json()).disconnected, 1);
      // While EventSource waits out retry: (2 s), both topics move on.
      const lastOffset: Record<string, number> = {};
      for (let i = 1; i <= MISSED; i++) {
        const topic = i % 2 === 0 ? "chat:e2e" : "chat:lobby";
        lastOffset[topic] = (await publish(topic, `missed ${i}`)).offset;
      }
      await waitFor({ type: "close" });
      await waitFor({ type: "welcome", recovered: true });
      await publish("chat:lobby", "after");
      await waitFor({ type: "message", payload: "after" });

      const events = await seen();
      const close = events.find((e) => e.type === "close")!;
      assert.equal(JSON.parse(close.data).code, 4003);
      const welcomes = events.filter((e) => e.type === "welcome");
      assert.equal(welcomes.length, 2, "one reconnect");
      const second = JSON.parse(welcomes[1].data);
      // Every missed publication was published before the reconnect subscribed:
      // they came back through recovery, not live.
      for (const t of second.topics as { topic: string; offset: number; recovered: boolean }[]) {
        assert.equal(t.recovered, true, t.topic);
        assert.ok(t.offset >= lastOffset[t.topic], `${t.topic} was subscribed after the gap`);
      }
      const payloads = (list: Seen[], topic?: string) =>
        list.filter((e) =>
          e.type === "message" && (topic === undefined || JSON.parse(e.data).topic === topic)
        )
          .map((e) => JSON.parse(e.data).payload);
      // Each once, in order on each topic (recovery is per topic), before anything live.
      assert.deepEqual(payloads(events, "chat:lobby"), [
        "before",
        "missed 1",
        "missed 3",
        "missed 5",
        "after",
      ]);
      assert.deepEqual(payloads(events, "chat:e2e"), ["missed 2", "missed 4"]);
      const replayed = payloads(events.slice(events.indexOf(welcomes[1])));
      assert.equal(replayed.length, MISSED + 1);
      assert.equal(replayed.at(-1), "after");
      assert.deepEqual(pageErrors, []);
    } finally {
      await hub.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "demo page with its SSE switch on chats with a WebSocket client, over SSE only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-e2e-sse-demo-" });
    const port = freePort();
    const hub = await startHubProcess(dir, port, { env: { REALTIME_ADMIN_KEY: ADMIN_KEY } });
    try {
      const secret = await loadDevKey(`${dir}/.realtime`);
      assert.ok(secret !== undefined);
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      // Every socket the page opens: with the switch on there must be none.
      const sockets: string[] = [];
      page.on("websocket", (ws) => sockets.push(ws.url()));
      await page.goto(hub.url + "/");
      await page.waitForSelector("body.ready");
      await page.check("#use-sse");
      await page.fill("#mint-sub", "alice");
      await page.click("#mint");
      await page.waitForSelector('#state[data-state="open"][data-transport="sse"]');
      await page.fill("#subscribe-topic", "chat:lobby");
      await page.click("#subscribe");
      await page.locator('#log li[data-kind="info"]', { hasText: "subscribed to chat:lobby" })
        .first().waitFor();

      const token = await mintToken({ sub: "bob", acl: { "chat:*": ["subscribe", "publish"] } }, {
        secret,
      }, { ttl: "1h" });
      await using bob = new RealtimeClient({ url: hub.url.replace(/^http/, "ws") + "/ws", token });
      const fromPage = Promise.withResolvers<unknown>();
      bob.subscribe("chat:lobby", (message) => {
        if (message.from === "alice") fromPage.resolve(message.payload);
      });
      await new Promise<void>((resolve) => bob.on("subscribed", () => resolve()));
      await bob.publish("chat:lobby", "hello over sse");
      await page.locator('#log li[data-kind="message"]', { hasText: "hello over sse" }).first()
        .waitFor();
      await page.fill("#publish-topic", "chat:lobby");
      await page.fill("#publish-text", "hi from the stream");
      await page.click("#publish");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const text = await Promise.race([
        fromPage.promise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("no message from alice")), 15_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.match(JSON.stringify(text), /hi from the stream/);

      // The operator console's listing says how alice came in.
      const listed = await fetch(`${hub.url}/v1/realtime/connections?search=alice`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const connections = (await listed.json()).connections as {
        user: string;
        transport: string;
      }[];
      assert.deepEqual(connections.filter((c) => c.user === "alice").map((c) => c.transport), [
        "sse",
      ]);
      assert.deepEqual(sockets, [], "no WebSocket was opened");
      assert.deepEqual(pageErrors, []);
    } finally {
      await hub.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
