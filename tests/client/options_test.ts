// Options are validated once, at construction, with messages naming the value.

import assert from "node:assert/strict";
import { RealtimeClient, type RealtimeClientOptions } from "../../src/client/mod.ts";

const URL_ = "ws://127.0.0.1:9/ws";

Deno.test("RealtimeClient constructor rejects bad options before connecting", () => {
  const table: [RealtimeClientOptions, string, string | RegExp][] = [
    [{ url: URL_ }, "TypeError", "Cannot create RealtimeClient without 'token' or 'getToken'"],
    [
      { url: "nope", token: "t" },
      "TypeError",
      "Cannot connect to 'nope': it is not an absolute URL",
    ],
    [
      { url: "ftp://x/ws", token: "t" },
      "TypeError",
      "Cannot connect to a 'ftp:' URL: use ws:, wss:, http: or https:",
    ],
    [{ url: URL_, token: "" }, "TypeError", /a non-empty string is required/],
    [{ url: URL_, getToken: "t" as never }, "TypeError", /a function is required/],
    [
      { url: URL_, token: "t", tokenVia: "cookie" as never },
      "TypeError",
      /Cannot send the token via 'cookie'/,
    ],
    [
      { url: URL_, token: "t", requestTimeoutMs: 0 },
      "RangeError",
      "Cannot use 'requestTimeoutMs' 0: a number >= 1 is required",
    ],
    [{ url: URL_, token: "t", heartbeatMs: -1 }, "RangeError", /'heartbeatMs' -1/],
    [{ url: URL_, token: "t", maxQueued: Number.NaN }, "RangeError", /'maxQueued' NaN/],
    [
      { url: URL_, token: "t", backoff: { baseMs: 10, maxMs: 5 } },
      "RangeError",
      /baseMs 10 and maxMs 5/,
    ],
    [{ url: URL_, token: "t", WebSocket: 1 as never }, "TypeError", /no global WebSocket/],
  ];
  for (const [options, name, message] of table) {
    assert.throws(() => new RealtimeClient(options), { name, message }, JSON.stringify(options));
  }
});

Deno.test("RealtimeClient accepts http(s) URLs as ws(s) and uses the given WebSocket", async () => {
  const urls: string[] = [];
  const protocols: unknown[] = [];
  class Recording extends EventTarget {
    readyState = 3;
    constructor(url: string, p?: string | string[]) {
      super();
      urls.push(url);
      protocols.push(p);
    }
    send() {}
    close() {}
  }
  for (const url of ["http://example.test/ws", "https://example.test/ws"]) {
    const rt = new RealtimeClient({
      url,
      token: "a.b.c",
      WebSocket: Recording as unknown as RealtimeClientOptions["WebSocket"],
    });
    await Promise.resolve(); // the token is read asynchronously
    await rt.close();
  }
  assert.deepEqual(urls, ["ws://example.test/ws", "wss://example.test/ws"]);
  assert.deepEqual(protocols[0], ["realtime.v1.batch", "realtime.v1", "auth", "a.b.c"]);
});
