import assert from "node:assert/strict";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import {
  collectAcl,
  collectClaim,
  collectList,
  countArg,
  durationArg,
  jsonOrString,
  portArg,
} from "../../src/cli/args.ts";

Deno.test("jsonOrString parses JSON and keeps anything else as a string", () => {
  assert.deepEqual(jsonOrString('{"a":1}'), { a: 1 });
  assert.equal(jsonOrString("42"), 42);
  assert.equal(jsonOrString('"42"'), "42");
  assert.equal(jsonOrString("hello"), "hello");
  assert.equal(jsonOrString(""), "");
});

Deno.test("collectAcl merges repeated capabilities", () => {
  let acl = collectAcl("chat:*=subscribe,publish", undefined);
  acl = collectAcl("chat:*=publish, presence", acl);
  acl = collectAcl("user:a=*", acl);
  assert.deepEqual(acl, { "chat:*": ["subscribe", "publish", "presence"], "user:a": ["*"] });
  assert.throws(() => collectAcl("chat:*", undefined), InvalidArgumentError);
  assert.throws(() => collectAcl("chat:*=", undefined), InvalidArgumentError);
});

Deno.test("collectAcl takes the JSON form too, merged with PATTERN=ACTIONS", () => {
  let acl = collectAcl('{"chat:*":["subscribe"],"user:a":["*"]}', undefined);
  acl = collectAcl("chat:*=publish", acl);
  acl = collectAcl(' {"chat:*":["subscribe","history"]}', acl);
  assert.deepEqual(acl, { "chat:*": ["subscribe", "publish", "history"], "user:a": ["*"] });
  for (const bad of ["{nope", '{"chat:*":"subscribe"}', '{"chat:*":[1]}', "{}x"]) {
    assert.throws(() => collectAcl(bad, undefined), InvalidArgumentError, bad);
  }
});

Deno.test("collectClaim and collectList build claims and lists", () => {
  assert.deepEqual(collectClaim("n=1", collectClaim("org=acme", undefined)), { org: "acme", n: 1 });
  assert.deepEqual(collectClaim("url=a=b", undefined), { url: "a=b" });
  assert.throws(() => collectClaim("=x", undefined), InvalidArgumentError);
  assert.deepEqual(collectList("c", collectList("a, b", undefined)), ["a", "b", "c"]);
});

Deno.test("number and duration arguments reject what they cannot use", () => {
  assert.equal(durationArg("15m"), 900_000);
  assert.throws(() => durationArg("15 m"), InvalidArgumentError);
  assert.equal(countArg("3"), 3);
  for (const bad of ["0", "-1", "1.5", "x", ""]) assert.throws(() => countArg(bad), bad);
  assert.equal(portArg("0"), 0);
  for (const bad of ["65536", "-1", "80a"]) assert.throws(() => portArg(bad), bad);
});
