// Where the Redis engine's Redis is, with no Redis needed: the URL forms
// (one server, Sentinel, Cluster), the options that say the same, their
// redaction, and the Cluster slot of a key.

import assert from "node:assert/strict";
import { keySlot } from "../../src/engine/redis/_key_slot.ts";
import { topicKeys } from "../../src/engine/redis/_names.ts";
import { resolveEndpoints } from "../../src/engine/redis/_topology.ts";
import { redactRedisUrl } from "../../src/engine/redis/redact_url.ts";
import { parseRedisUrl } from "../../src/engine/redis/redis_url.ts";

Deno.test("parseRedisUrl reads the Sentinel and Cluster forms with their defaults", () => {
  assert.deepEqual(
    parseRedisUrl("redis+sentinel://app:pw@10.0.0.1,10.0.0.2:26380/mymaster?sentinel_password=s"),
    {
      kind: "sentinel",
      sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26380 }],
      masterName: "mymaster",
      username: "app",
      password: "pw",
      sentinelPassword: "s",
      tls: false,
    },
  );
  assert.deepEqual(parseRedisUrl("rediss+cluster://:p%40ss@[::1]:7000,node-b"), {
    kind: "cluster",
    nodes: [{ host: "::1", port: 7000 }, { host: "node-b", port: 6379 }],
    password: "p@ss",
    tls: true,
  });
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6379/2"), {
    kind: "single",
    url: "redis://127.0.0.1:6379/2",
  });
});

Deno.test("parseRedisUrl refuses what it cannot use, naming it without a credential", () => {
  const cases: [string, RegExp][] = [
    ["redis+sentinel://:hunter2@h1,h2", /master name/],
    ["redis+sentinel://h1/my master", /master name/],
    ["redis+cluster://:hunter2@h1:0", /host:port/],
    ["redis+cluster://", /no host/],
    ["redis+cluster://h1/3", /database 0 only/],
    ["http://user:hunter2@h", /got 'http:\/\/…'/],
    ["hunter2", /got an unparsable URL/],
  ];
  for (const [url, message] of cases) {
    assert.throws(
      () => parseRedisUrl(url),
      (e: Error) =>
        e instanceof TypeError && message.test(e.message) && !e.message.includes("hunter2"),
      url,
    );
  }
});

Deno.test("redactRedisUrl hides the credentials of the multi-host forms", () => {
  assert.equal(
    redactRedisUrl("redis+sentinel://u:pw@h1:1,h2:2/mymaster?sentinel_password=pw2"),
    "redis+sentinel://***@h1:1,h2:2/mymaster?sentinel_password=***",
  );
  assert.equal(
    redactRedisUrl("redis+cluster://h1:7000,h2:7000"),
    "redis+cluster://h1:7000,h2:7000",
  );
  assert.equal(redactRedisUrl("redis+cluster://h1 pw/x"), "(an unparsable URL)");
});

Deno.test("resolveEndpoints gives each shard the same ring key on every hub, whatever the order", () => {
  const a = resolveEndpoints({ url: "redis+sentinel://:pw@s1:1,s2:2/m" });
  const b = resolveEndpoints({
    sentinel: { addresses: ["s2:2", "s1:1"], masterName: "m", password: "pw" },
  });
  assert.equal(a[0].ringKey, b[0].ringKey);
  assert.equal(a[0].identity, "redis+sentinel://***@s1:1,s2:2/m");
  assert.deepEqual(
    a[0].endpoint,
    b[0].endpoint.kind === "sentinel" && {
      ...b[0].endpoint,
      sentinels: [...b[0].endpoint.sentinels].reverse(),
    },
  );
  const cluster = resolveEndpoints({ cluster: { nodes: ["n1:7000"], password: "pw" } });
  assert.equal(cluster[0].identity, "redis+cluster://***@n1:7000");
  assert.equal(resolveEndpoints({ url: "redis://:pw@h:1" })[0].ringKey, "redis://***@h:1");
});

Deno.test("resolveEndpoints refuses a Cluster among shards and options that do not fit", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ urls: ["redis+cluster://a:1", "redis://b:1"] }, /give its redis\+cluster:\/\/ URL alone/],
    [{ url: "redis://a", cluster: { nodes: ["a:1"] } }, /exactly one.*'url', 'cluster'/],
    [{ sentinel: { addresses: [], masterName: "m" } }, /'sentinel.addresses'/],
    [{ sentinel: { addresses: ["a"], masterName: 1 } }, /'sentinel.masterName'/],
    [{ cluster: { nodes: ["a"], password: 7 } }, /'password': expected a string/],
    [{ cluster: "a:1" }, /'cluster': expected an object/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => resolveEndpoints(options),
      (e: Error) => e instanceof TypeError && message.test(e.message),
      JSON.stringify(options),
    );
  }
});

Deno.test("keySlot is Redis Cluster's slot, and all of a topic's keys share one", () => {
  // CRC16/XMODEM's check value is 0x31C3 for "123456789"; "foo" is slot 12182 in Redis's docs.
  assert.equal(keySlot("123456789"), 0x31c3);
  assert.equal(keySlot("foo"), 12182);
  assert.equal(keySlot("{user1000}.following"), keySlot("{user1000}.followers"));
  // The spec's examples: an empty tag hashes the whole key; the tag ends at the first "}".
  assert.notEqual(keySlot("foo{}{bar}"), keySlot("bar"));
  assert.equal(keySlot("foo{{bar}}zap"), keySlot("{bar"));
  const slots = new Set(Object.values(topicKeys("rt", "chat:lobby")).map(keySlot));
  assert.deepEqual([...slots], [keySlot("chat:lobby")]);
});
