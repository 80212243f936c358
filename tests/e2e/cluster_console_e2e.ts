// The operator console's nodes panel in Chromium, against two real hub
// processes on one real redis-server: both nodes listed, the one serving the
// page marked, a connection that lives on hub B seen and closed from hub A's
// console (its client really closed), and a hub killed with SIGKILL gone
// within its node.ttlMs.
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { CLUSTER_SECRET, startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { launchBrowser } from "./_browser.ts";

const ADMIN_KEY = "cluster-console-admin-key-0123456789";
const NODE = { announceIntervalMs: 200, ttlMs: 1000 };

Deno.test({
  name:
    "operator console: the nodes panel lists both hubs, marks this page's, closes a connection on the other hub, drops a killed one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      config: { node: NODE },
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const self = await (await fetch(`${a.http}/v1/realtime/nodes`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })).json();
    const idB = (await (await fetch(`${b.http}/v1/realtime/nodes`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })).json()).self;
    // Bob is connected to hub B only.
    const jwt = await mintToken({ sub: "bob" }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
    const [bob] = await connectWelcomed(b.url, { protocols: ["auth", jwt] });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const response = await page.goto(a.http + "/admin");
    assert.equal(response?.status(), 200);
    await page.waitForSelector("body.ready");
    await page.focus("#credential");
    await page.keyboard.type(ADMIN_KEY);
    await page.keyboard.press("Enter");
    await page.waitForSelector('body[data-state="signed-in"]');
    await page.waitForSelector('#nodes-body[data-count="2"]', { timeout: 10_000 });
    const marked = await page.textContent(`#nodes-body tr[data-node="${self.self}"]`);
    assert.match(marked ?? "", /this page/);
    assert.match(await page.textContent("#nodes-served") ?? "", new RegExp(self.self));
    assert.match(
      await page.textContent("#nodes-body") ?? "",
      new RegExp(`127\\.0\\.0\\.1:${b.port}`),
    );
    // This node's connections (the default) do not hold bob; every node's do.
    assert.equal(await page.locator('#connections-body tr[data-user="bob"]').count(), 0);
    await page.waitForSelector(`#connections-node option[value="${idB}"]`, { state: "attached" });
    await page.selectOption("#connections-node", "all");
    const row = page.locator(`#connections-body tr[data-user="bob"][data-node="${idB}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.match(await row.textContent() ?? "", new RegExp(idB));
    // One node alone: hub B's.
    await page.selectOption("#connections-node", idB);
    await page.waitForSelector(`#connections-body[data-node="${idB}"] tr[data-user="bob"]`);
    await row.getByRole("button", { name: /^Close connection / }).click();
    await page.waitForSelector("#confirm-dialog[open]");
    assert.match(await page.textContent("#confirm-text") ?? "", new RegExp(`on node ${idB}`));
    await page.click("#confirm-yes");
    assert.equal((await withTimeout(bob.closed, 10_000, "bob's close on hub B")).code, 4003);
    await page.locator("#connections-status", { hasText: `on node ${idB}` }).waitFor();
    await row.waitFor({ state: "detached", timeout: 10_000 });

    await b.kill();
    // The announcement lapses within ttlMs; the panel reads every 2 s.
    await page.waitForSelector('#nodes-body[data-count="1"]', { timeout: NODE.ttlMs + 4000 });
    assert.equal(await page.locator(`#nodes-body tr[data-node="${self.self}"]`).count(), 1);
    assert.deepEqual(pageErrors, []);
  },
});
