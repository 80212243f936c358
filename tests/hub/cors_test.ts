// CORS of the HTTP doors over real sockets, on both transports: preflights
// of the SSE stream, the posts to it and HTTP publish from an allowed origin
// (exact origin echoed, credentials, the methods and headers the client
// sends), from another origin and with no list (no CORS header at all), and
// the answers themselves (a stream, a publication, a refusal, a cookie token).

import assert from "node:assert/strict";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { openSse } from "../_support/sse_reader.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { corsHeaders } from "../../src/hub/_cors.ts";

const APP = "http://app.example.test:8080";
const EVIL = "http://evil.example.test";
const ACL = { "chat:*": ["subscribe", "publish"] };

function at(hub: TestHub, path: string): string {
  return `http://127.0.0.1:${hub.port}${path}`;
}

/** The `access-control-*` headers of an answer, by name. */
function corsOf(response: Response): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    if (name.startsWith("access-control-")) found[name] = value;
  }
  return found;
}

async function preflight(
  hub: TestHub,
  path: string,
  origin: string,
  method: string,
  headers = "authorization, content-type",
): Promise<Response> {
  const response = await fetch(at(hub, path), {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": headers,
    },
  });
  await response.body?.cancel();
  return response;
}

async function withHub(
  transport: "ws" | "deno",
  options: Partial<HubOptions>,
  fn: (hub: TestHub) => Promise<void>,
): Promise<void> {
  const hub = await startTestHub(transport, options);
  try {
    await fn(hub);
  } finally {
    await hub.close();
  }
}

eachTransport(
  "cors preflight of every HTTP door answers an allowed origin exactly",
  (t) =>
    withHub(t, { allowedOrigins: [APP] }, async (hub) => {
      for (
        const [path, method, methods] of [
          ["/sse?topic=chat:a", "GET", "GET, POST"],
          ["/sse/some-connection", "POST", "GET, POST"],
          ["/publish", "POST", "POST"],
        ]
      ) {
        const response = await preflight(hub, path, APP, method);
        assert.equal(response.status, 204, path);
        assert.deepEqual(corsOf(response), {
          "access-control-allow-origin": APP,
          "access-control-allow-credentials": "true",
          "access-control-allow-methods": methods,
          "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
          "access-control-max-age": "600",
        }, path);
        assert.equal(response.headers.get("vary"), "Origin", path);
      }
    }),
);

eachTransport(
  "cors preflight from an origin not listed, or with no list, gets no CORS header",
  (t) =>
    withHub(t, { allowedOrigins: [APP, "null"] }, async (hub) => {
      // Another origin, a port of the same host, and the opaque origin even when listed.
      for (const origin of [EVIL, "http://app.example.test:8081", "null"]) {
        for (const path of ["/sse", "/sse/x", "/publish"]) {
          const response = await preflight(hub, path, origin, "POST");
          assert.equal(response.status, 403, `${origin} ${path}`);
          assert.deepEqual(corsOf(response), {}, `${origin} ${path}`);
          assert.equal(response.headers.get("vary"), "Origin");
        }
      }
      // An OPTIONS that is no preflight says what the door accepts.
      const plain = await fetch(at(hub, "/publish"), { method: "OPTIONS" });
      await plain.body?.cancel();
      assert.equal(plain.status, 204);
      assert.equal(plain.headers.get("allow"), "POST, OPTIONS");
    }).then(() =>
      withHub(t, {}, async (hub) => {
        // The default: no page on another origin may use the doors.
        for (const path of ["/sse", "/publish"]) {
          const response = await preflight(hub, path, APP, "GET");
          assert.equal(response.status, 403);
          assert.deepEqual(corsOf(response), {});
          assert.equal(response.headers.get("vary"), null);
        }
      })
    ),
);

eachTransport(
  "cors answers of a stream, its posts and a publish carry the allowed origin",
  (t) =>
    withHub(t, { allowedOrigins: [APP] }, async (hub) => {
      const token = await hub.token({ sub: "alice", acl: ACL });
      const stream = await openSse(at(hub, "/sse?topic=chat:a"), {
        authorization: `Bearer ${token}`,
        origin: APP,
      });
      try {
        assert.equal(stream.response.status, 200);
        assert.deepEqual(corsOf(stream.response), {
          "access-control-allow-origin": APP,
          "access-control-allow-credentials": "true",
          "access-control-expose-headers": "Retry-After, WWW-Authenticate",
        });
        assert.equal(stream.response.headers.get("vary"), "Origin");
        const welcome = JSON.parse((await stream.until("welcome")).data);
        // A request posted to the stream, as the client's SSE transport posts it.
        const posted = await fetch(at(hub, `/sse/${welcome.connectionId}`), {
          method: "POST",
          headers: {
            origin: APP,
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({
            type: "publish",
            id: 7,
            topic: "chat:a",
            payload: "hi",
            ack: true,
          }),
        });
        await posted.body?.cancel();
        assert.equal(posted.status, 202);
        assert.equal(posted.headers.get("access-control-allow-origin"), APP);
        assert.equal(JSON.parse((await stream.until("message")).data).payload, "hi");
        // HTTP publish, and a refusal the page can read (a 401 makes the client refresh its token).
        const published = await fetch(at(hub, "/publish"), {
          method: "POST",
          headers: {
            origin: APP,
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ topic: "chat:a", payload: "over http" }),
        });
        assert.equal(published.status, 200, await published.text());
        assert.equal(published.headers.get("access-control-allow-origin"), APP);
        assert.equal(JSON.parse((await stream.until("message")).data).payload, "over http");
        const refused = await fetch(at(hub, "/publish"), {
          method: "POST",
          headers: { origin: APP, "content-type": "application/json" },
          body: JSON.stringify({ topic: "chat:a", payload: 1 }),
        });
        assert.equal(refused.status, 401);
        assert.equal((await refused.json()).code, "AUTH_FAILED");
        assert.equal(refused.headers.get("access-control-allow-origin"), APP);
        assert.equal(refused.headers.get("access-control-allow-credentials"), "true");
      } finally {
        await stream.cancel();
      }
    }),
);

eachTransport(
  "cors gives another origin nothing, and its cookie token stays refused",
  (t) =>
    withHub(
      t,
      { allowedOrigins: [APP], tokenSources: { cookie: "rt_token" } },
      async (hub) => {
        const token = await hub.token({ sub: "alice", acl: ACL });
        // A cookie from an allowed page: admitted, with credentials allowed.
        const allowed = await openSse(at(hub, "/sse?topic=chat:a"), {
          cookie: `rt_token=${token}`,
          origin: APP,
        });
        assert.equal(allowed.response.status, 200);
        assert.equal(allowed.response.headers.get("access-control-allow-credentials"), "true");
        await allowed.until("welcome");
        await allowed.cancel();
        for (
          const [what, headers] of [
            ["cookie", { cookie: `rt_token=${token}` }],
            ["bearer", { authorization: `Bearer ${token}` }],
          ] as const
        ) {
          const stream = await fetch(at(hub, "/sse?topic=chat:a"), {
            headers: { ...headers, origin: EVIL },
          });
          assert.equal(stream.status, 403, what);
          assert.equal((await stream.json()).code, "FORBIDDEN");
          assert.deepEqual(corsOf(stream), {}, what);
          assert.equal(stream.headers.get("vary"), "Origin");
          const published = await fetch(at(hub, "/publish"), {
            method: "POST",
            headers: { ...headers, origin: EVIL, "content-type": "application/json" },
            body: JSON.stringify({ topic: "chat:a", payload: 1 }),
          });
          assert.equal(published.status, 403, what);
          await published.body?.cancel();
          assert.deepEqual(corsOf(published), {}, what);
        }
      },
    ),
);

eachTransport(
  "cors is off by default: a stream from another origin has no CORS header",
  (t) =>
    withHub(t, {}, async (hub) => {
      const token = await hub.token({ sub: "alice", acl: ACL });
      // Admitted as today (a bearer token, no list), and unreadable by the page's browser.
      const stream = await openSse(at(hub, "/sse?topic=chat:a"), {
        authorization: `Bearer ${token}`,
        origin: APP,
      });
      try {
        assert.equal(stream.response.status, 200);
        assert.deepEqual(corsOf(stream.response), {});
        assert.equal(stream.response.headers.get("vary"), null);
      } finally {
        await stream.cancel();
      }
    }),
);

Deno.test("corsHeaders answers each origin by the list, never echoing the opaque null", () => {
  const allowed = new Set([APP, "null"]);
  const echo = {
    "access-control-allow-origin": APP,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "Retry-After, WWW-Authenticate",
    vary: "Origin",
  };
  const cases: [string | null, ReadonlySet<string>, Record<string, string>][] = [
    [APP, allowed, echo],
    [APP.toUpperCase(), allowed, { vary: "Origin" }],
    [`${APP}/`, allowed, { vary: "Origin" }],
    [EVIL, allowed, { vary: "Origin" }],
    ["null", allowed, { vary: "Origin" }],
    [null, allowed, { vary: "Origin" }],
    [APP, new Set(), {}],
    [null, new Set(), {}],
  ];
  for (const [origin, list, want] of cases) {
    assert.deepEqual(corsHeaders(origin, list), want, String(origin));
  }
});
