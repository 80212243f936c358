// The console page's HTTP side without a browser: its prebuilt scripts under
// <mount>/assets/, with the page's CSP. (The browser side is console_e2e.ts
// and pages_anywhere_e2e.ts.)

import assert from "node:assert/strict";
import { CONSOLE_CSP, createConsoleHandler } from "../../../src/admin/console/handler.ts";

const ORIGIN = "http://127.0.0.1:8000";

Deno.test("createConsoleHandler serves its prebuilt script under the mount's assets", async () => {
  const page = createConsoleHandler({ mount: "/ops" });
  const html = await (await page(new Request(`${ORIGIN}/ops`)))!.text();
  assert.match(html, /<script type="module" src="\/ops\/assets\/console.js"><\/script>/);
  const script = (await page(new Request(`${ORIGIN}/ops/assets/console.js`)))!;
  assert.equal(script.status, 200);
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(script.headers.get("content-security-policy"), CONSOLE_CSP);
  assert.equal(script.headers.get("cache-control"), "no-cache");
  assert.match(script.headers.get("etag") ?? "", /^"[0-9a-f]{24}"$/);
  assert.match(await script.text(), /signin-form/, "the console's own code");
});

Deno.test("createConsoleHandler leaves unknown assets to the next handler and refuses POST", async () => {
  let loads = 0;
  const page = createConsoleHandler({
    scripts: () => (loads++, Promise.resolve({ "console.js": "/* console */" })),
  });
  assert.equal(await page(new Request(`${ORIGIN}/admin/assets/other.js`)), undefined);
  assert.equal(await page(new Request(`${ORIGIN}/admin/assets/../handler.ts`)), undefined);
  const post = (await page(new Request(`${ORIGIN}/admin/assets/console.js`, { method: "POST" })))!;
  assert.equal(post.status, 405);
  await post.body?.cancel();
  assert.equal(
    await (await page(new Request(`${ORIGIN}/admin/assets/console.js`)))!.text(),
    "/* console */",
  );
  assert.equal(loads, 1);
});
