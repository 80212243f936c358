// The "did you mean" of an unknown REALTIME_* name, by table: a whole-word
// prefix means the longer names, a small typo the closest one, and anything
// else gets no guess rather than a wrong one.

import assert from "node:assert/strict";
import { suggestNames } from "../../src/server/_suggest_name.ts";

const KNOWN = [
  "REALTIME_HOST",
  "REALTIME_ENV",
  "REALTIME_JWT_SECRET",
  "REALTIME_JWT_PUBLIC_KEY",
  "REALTIME_JWKS_URL",
  "REALTIME_JWT_ISSUER",
  "REALTIME_JWT_AUDIENCE",
  "REALTIME_ADMIN_KEY",
  "REALTIME_METRICS",
  "REALTIME_METRICS_PORT",
  "REALTIME_REDIS_URL",
  "REALTIME_ACCOUNTS",
  "REALTIME_ACCOUNTS_DB",
  "REALTIME_REFRESH_FILE",
  "PORT",
];

Deno.test("suggestNames names what a misspelt setting meant, or nothing", () => {
  const table: [string, string[]][] = [
    ["REALTIME_REDIS", ["REALTIME_REDIS_URL"]],
    ["REALTIME_REDIS_URLS", ["REALTIME_REDIS_URL"]],
    ["REALTIME_REDIS_HOST", ["REALTIME_REDIS_URL"]],
    ["REALTIME_ADMIN", ["REALTIME_ADMIN_KEY"]],
    ["REALTIME_ADMINKEY", ["REALTIME_ADMIN_KEY"]],
    ["REALTIME_ADMIN_KEY_FILE", ["REALTIME_ADMIN_KEY"]],
    ["REALTIME_METRIC", ["REALTIME_METRICS"]],
    ["REALTIME_JWT_SECRETS", ["REALTIME_JWT_SECRET"]],
    ["REALTIME_JWT_SECRT", ["REALTIME_JWT_SECRET"]],
    ["REALTIME_ACCOUNT", ["REALTIME_ACCOUNTS"]],
    ["REALTIME_PORT", ["PORT"]],
    ["REALTIME_JWT", ["REALTIME_JWT_SECRET", "REALTIME_JWT_ISSUER", "REALTIME_JWT_AUDIENCE"]],
    ["REALTIME_FOO", []],
    ["REALTIME_DATABASE_URL", []],
    ["REALTIME_X", []],
  ];
  for (const [name, want] of table) assert.deepEqual(suggestNames(name, KNOWN), want, name);
});
