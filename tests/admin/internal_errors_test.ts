// The admin API's one error model over real HTTP: bad input is a 400 with a
// clear message (a typed error); a bug inside a route (a TypeError or
// RangeError the hub throws) is a 500 INTERNAL with a generic message, its
// detail in the audit log only.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import type { Hub } from "../../src/hub/hub.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { startTestHub } from "../_support/hub.ts";
import { ADMIN_KEY, call, serveHandler, startAdmin } from "./_helpers.ts";

const P = "/v1/realtime";
const INTERNAL_TEXT = "Cannot read properties of undefined (reading 'dbPassword')";

/** The hub with some operations replaced by ones that throw like a bug would. */
function brokenHub(hub: Hub): Hub {
  const fail = (make: (message: string) => Error) => () => {
    throw make(INTERNAL_TEXT);
  };
  return Object.create(hub, {
    listConnections: { value: fail((m) => new TypeError(m)) },
    listTopics: { value: fail((m) => new RangeError(m)) },
    updateRules: { value: () => Promise.reject(new TypeError(INTERNAL_TEXT)) },
  });
}

Deno.test("admin routes answer a bug's TypeError or RangeError with 500 INTERNAL, never its message", async () => {
  await using h = await startTestHub("deno");
  const audit: LogEntry[] = [];
  const handler = createAdminHandler(brokenHub(h.hub), {
    apiKey: ADMIN_KEY,
    audit: (entry) => audit.push(entry),
  });
  await using served = serveHandler(handler);
  const requests: [string, string, unknown?][] = [
    ["GET", `${P}/connections`],
    ["GET", `${P}/topics`],
    ["PUT", `${P}/rules`, { rules: [] }],
  ];
  for (const [method, path, body] of requests) {
    const res = await call(served.base, method, path, body === undefined ? {} : { body });
    assert.equal(res.status, 500, `${method} ${path}: ${res.text}`);
    assert.deepEqual(res.json, { code: "INTERNAL", message: "Admin action failed" });
    assert.ok(!res.text.includes("dbPassword"));
  }
  const failed = audit.filter((e) => e.event === "admin.failed");
  assert.equal(failed.length, requests.length);
  for (const entry of failed) assert.equal(entry.detail, INTERNAL_TEXT);
});

Deno.test("admin routes still answer bad input with 400 BAD_REQUEST and a clear message", async () => {
  await using f = await startAdmin();
  const cases: [string, string, unknown, RegExp][] = [
    ["GET", `${P}/connections?limit=501`, undefined, /'limit'.*from 1 to 500, got '501'/],
    ["GET", `${P}/topics?limit=0`, undefined, /'limit'.*from 1 to 500, got '0'/],
    ["GET", `${P}/connections?search=${"x".repeat(300)}`, undefined, /'search'.*300 characters/],
    [
      "PUT",
      `${P}/rules`,
      { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["bad topic"] }] },
      /bad topic/,
    ],
  ];
  for (const [method, path, body, message] of cases) {
    const res = await call(f.base, method, path, body === undefined ? {} : { body });
    assert.equal(res.status, 400, `${method} ${path}: ${res.text}`);
    assert.equal(res.json.code, "BAD_REQUEST");
    assert.match(res.json.message, message);
  }
});
