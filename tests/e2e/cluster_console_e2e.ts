// The operator console's nodes panel in Chromium, against two real hub
// processes on one real redis-server: both nodes listed, the one serving the
// page marked, and a hub killed with SIGKILL gone within its node.ttlMs.
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import { startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { launchBrowser } from "./_browser.ts";

const ADMIN_KEY = "cluster-console-admin-key-0123456789";
const NODE = { announceIntervalMs: 200, ttlMs: 1000 };

Deno.test({
  name: "operator console: the nodes panel lists both hubs, marks this page's, drops a killed one",
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
    await b.kill();
    // The announcement lapses within ttlMs; the panel reads every 2 s.
    await page.waitForSelector('#nodes-body[data-count="1"]', { timeout: NODE.ttlMs + 4000 });
    assert.equal(await page.locator(`#nodes-body tr[data-node="${self.self}"]`).count(), 1);
    assert.deepEqual(pageErrors, []);
  },
});
