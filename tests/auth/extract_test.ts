import assert from "node:assert/strict";
import {
  extractToken,
  parseSubprotocols,
  redactUrl,
  selectSubprotocol,
  type TokenSources,
} from "../../src/auth/extract.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";

Deno.test("parseSubprotocols splits with and without spaces", () => {
  const rows: [string | null, string[]][] = [
    ["a,b", ["a", "b"]],
    ["a, b", ["a", "b"]],
    [" a ,\tb , ", ["a", "b"]],
    ["", []],
    [null, []],
    ["realtime.v1", ["realtime.v1"]],
    [`realtime.v1,auth,${JWT}`, ["realtime.v1", "auth", JWT]],
  ];
  for (const [header, expected] of rows) assert.deepEqual(parseSubprotocols(header), expected);
});

Deno.test("selectSubprotocol prefers realtime.v1, then auth, and never returns the token", () => {
  const rows: [string[], string | undefined][] = [
    [["realtime.v1", "auth", JWT], "realtime.v1"],
    [["auth", JWT], "auth"],
    [["realtime.v1"], "realtime.v1"],
    [["auth", "realtime.v1"], "auth"], // "realtime.v1" sits in the token's place
    [["chat", "superchat"], undefined],
    [[], undefined],
  ];
  for (const [offered, expected] of rows) {
    const selected = selectSubprotocol(offered);
    assert.equal(selected, expected, offered.join(","));
    assert.notEqual(selected, JWT);
  }
});

function request(
  init: { url?: string; protocol?: string; authorization?: string; cookie?: string },
): Request {
  const headers = new Headers();
  if (init.protocol !== undefined) headers.set("sec-websocket-protocol", init.protocol);
  if (init.authorization !== undefined) headers.set("authorization", init.authorization);
  if (init.cookie !== undefined) headers.set("cookie", init.cookie);
  return new Request(init.url ?? "http://127.0.0.1/ws", { headers });
}

Deno.test("extractToken follows subprotocol, header, query, cookie precedence", () => {
  const all = {
    url: "http://127.0.0.1/ws?token=q",
    protocol: "realtime.v1, auth, s",
    authorization: "Bearer h",
    cookie: "other=1; rt=c",
  };
  const everything: TokenSources = { cookie: "rt" };
  const rows: [string, Parameters<typeof request>[0], TokenSources, string | undefined][] = [
    ["all present", all, everything, "subprotocol:s"],
    ["subprotocol disabled", all, { ...everything, subprotocol: false }, "header:h"],
    ["header disabled too", all, { cookie: "rt", subprotocol: false, header: false }, "query:q"],
    [
      "only cookie",
      all,
      { subprotocol: false, header: false, query: false, cookie: "rt" },
      "cookie:c",
    ],
    ["cookie off by default", { cookie: "rt=c" }, {}, undefined],
    ["auth without a token", { ...all, protocol: "realtime.v1, auth" }, everything, "header:h"],
    ["no auth subprotocol", { ...all, protocol: "realtime.v1" }, everything, "header:h"],
    ["ws client spelling", { protocol: `realtime.v1,auth,${JWT}` }, {}, `subprotocol:${JWT}`],
    ["scheme case-insensitive", { authorization: `bEaReR ${JWT}` }, {}, `header:${JWT}`],
    ["basic auth ignored", { url: all.url, authorization: "Basic dTpw" }, {}, "query:q"],
    ["empty bearer", { authorization: "Bearer " }, {}, undefined],
    [
      "custom query name",
      { url: "http://h/ws?access_token=a" },
      { query: "access_token" },
      "query:a",
    ],
    ["empty query value", { url: "http://h/ws?token=" }, {}, undefined],
    ["quoted cookie", { cookie: 'rt="c2"' }, { cookie: "rt" }, "cookie:c2"],
    ["nothing", {}, {}, undefined],
  ];
  for (const [name, init, sources, expected] of rows) {
    const found = extractToken(request(init), sources);
    assert.equal(found && `${found.source}:${found.token}`, expected, name);
    // The list the hub already parsed for subprotocol selection gives the same answer.
    const req = request(init);
    const offered = parseSubprotocols(req.headers.get("sec-websocket-protocol"));
    const again = extractToken(req, sources, offered);
    assert.equal(again && `${again.source}:${again.token}`, expected, `${name}, pre-parsed`);
  }
});

Deno.test("redactUrl replaces token and access_token values only", () => {
  const rows: [string | URL, string][] = [
    [`wss://h.test/ws?room=1&token=${JWT}`, "wss://h.test/ws?room=1&token=[REDACTED]"],
    [`/ws?access_token=${JWT}&x=a%20b`, "/ws?access_token=[REDACTED]&x=a%20b"],
    [new URL(`http://h.test/ws?token=${JWT}`), "http://h.test/ws?token=[REDACTED]"],
    ["http://h.test/ws?tokens=keep", "http://h.test/ws?tokens=keep"],
    ["http://h.test/ws", "http://h.test/ws"],
    [
      `http://h.test/cb#access_token=${JWT}&state=s`,
      "http://h.test/cb#access_token=[REDACTED]&state=s",
    ],
    [`/ws?t%6Fken=${JWT}`, "/ws?t%6Fken=[REDACTED]"],
  ];
  for (const [url, expected] of rows) {
    assert.equal(redactUrl(url), expected);
    assert.ok(!redactUrl(url).includes(JWT));
  }
  assert.equal(redactUrl("/ws?key=abc", { params: ["key"] }), "/ws?key=[REDACTED]");
});

Deno.test("extractToken reads a pre-parsed subprotocol list instead of the header", () => {
  const req = new Request("http://h/ws", {
    headers: { "sec-websocket-protocol": "auth, fromheader" },
  });
  assert.deepEqual(extractToken(req, {}, ["realtime.v1", "auth", JWT]), {
    token: JWT,
    source: "subprotocol",
  });
  assert.equal(extractToken(req, { subprotocol: false, query: false }, ["auth", JWT]), undefined);
});

Deno.test("parseSubprotocols and selectSubprotocol agree with their plain definitions on random lists", () => {
  // The definitions they were written as, before being made allocation-lean.
  const split = (header: string) =>
    header.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  const select = (offered: string[]) => {
    const auth = offered.indexOf("auth");
    const token = auth >= 0 && auth + 1 < offered.length ? auth + 1 : -1;
    const candidates = offered.filter((_, index) => index !== token);
    return ["realtime.v1.batch", "realtime.v1", "auth"].find((p) => candidates.includes(p));
  };
  const parts = ["realtime.v1", "realtime.v1.batch", "auth", JWT, "chat", "", " ", "\t"];
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let run = 0; run < 2000; run++) {
    const header = Array.from({ length: next(6) }, () => parts[next(parts.length)])
      .join(next(2) === 0 ? "," : ", ");
    assert.deepEqual(parseSubprotocols(header), split(header), JSON.stringify(header));
    const offered = split(header);
    assert.equal(selectSubprotocol(offered), select(offered), JSON.stringify(offered));
  }
});

Deno.test("selectSubprotocol answers STOMP's subprotocols, highest version first, after protocol v1's", () => {
  assert.equal(selectSubprotocol(["v10.stomp", "v11.stomp", "v12.stomp"]), "v12.stomp");
  assert.equal(selectSubprotocol(["v10.stomp", "v11.stomp"]), "v11.stomp");
  assert.equal(selectSubprotocol(["v12.stomp", "realtime.v1"]), "realtime.v1");
  assert.equal(selectSubprotocol(["v12.stomp", "auth", "v11.stomp"]), "v12.stomp");
});
