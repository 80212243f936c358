import assert from "node:assert/strict";
import { exitCodeForClose, shouldReconnect } from "../../src/cli/close_codes.ts";
import { displayUrl, hubUrl } from "../../src/cli/url.ts";
import { CliError, exitCodeForErrorFrame, redact } from "../../src/cli/errors.ts";

Deno.test("hubUrl accepts the ways people write a hub address", () => {
  const table: [string, string][] = [
    ["ws://localhost:8000/ws", "ws://localhost:8000/ws"],
    ["ws://localhost:8000", "ws://localhost:8000/ws"],
    ["localhost:8000", "ws://localhost:8000/ws"],
    ["http://127.0.0.1:9000/", "ws://127.0.0.1:9000/ws"],
    ["https://hub.example.com/realtime", "wss://hub.example.com/realtime"],
  ];
  for (const [input, url] of table) assert.equal(hubUrl(input).href, url);
  assert.throws(() => hubUrl("ftp://x"), CliError);
  assert.throws(() => hubUrl("ws://"), CliError);
  assert.equal(displayUrl(new URL("ws://h:1/ws?token=secret")), "ws://h:1/ws");
});

Deno.test("exitCodeForClose and shouldReconnect follow the protocol's close codes", () => {
  const table: [number, number, boolean][] = [
    [1000, 0, false],
    [1001, 3, true],
    [1006, 3, true],
    [1009, 1, false],
    [4000, 1, false],
    [4001, 2, false],
    [4003, 2, false],
    [4008, 3, true],
  ];
  for (const [code, exit, reconnect] of table) {
    assert.equal(exitCodeForClose(code), exit, String(code));
    assert.equal(shouldReconnect(code), reconnect, String(code));
  }
  assert.equal(exitCodeForErrorFrame("FORBIDDEN"), 2);
  assert.equal(exitCodeForErrorFrame("BAD_REQUEST"), 1);
  assert.equal(exitCodeForErrorFrame("INTERNAL"), 3);
});

Deno.test("redact removes tokens, token parameters and known secrets", () => {
  assert.equal(
    redact("bad eyJhbGciOi.eyJzdWIi.sig here"),
    "bad <redacted> here",
  );
  assert.equal(redact("ws://h/ws?a=1&token=abc.def&b=2"), "ws://h/ws?a=1&token=<redacted>&b=2");
  assert.equal(redact("secret is hunter2hunter2", ["hunter2hunter2"]), "secret is <redacted>");
});
