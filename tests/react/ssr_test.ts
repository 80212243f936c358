// Server rendering with the React bindings: renderToString over a real hub
// opens no socket (counted by a WebSocket constructor and on the hub).

import assert from "node:assert/strict";
import { createElement, type ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { RealtimeClient } from "../../src/client/client.ts";
import {
  RealtimeProvider,
  useHistory,
  usePresence,
  usePublish,
  useRealtime,
  useRpc,
  useSubscription,
} from "../../src/react/mod.ts";
import { startTestHub } from "../_support/hub.ts";

const ACL = { "chat:*": ["subscribe", "publish", "presence", "history"] };

function Room(): ReactNode {
  const { state, isConnected } = useRealtime();
  const { messages, ready } = useSubscription("chat:lobby");
  const { members } = usePresence("chat:lobby");
  const history = useHistory("chat:lobby", { limit: 10 });
  usePublish();
  useRpc();
  return `${state} ${
    isConnected ? "Connected" : "Disconnected"
  } ${messages.length} ${ready} ${members.length} ${history.publications.length} ${history.loading}`;
}

Deno.test("RealtimeProvider opens no socket while rendering on the server", async () => {
  await using hub = await startTestHub("deno");
  const token = await hub.token({ sub: "ssr", acl: ACL });
  let sockets = 0;
  class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      sockets++;
      super(url, protocols);
    }
  }
  const html = renderToString(
    createElement(
      RealtimeProvider,
      { url: hub.url, token, options: { WebSocket: CountingWebSocket } },
      createElement(Room),
    ),
  );
  assert.equal(html, "idle Disconnected 0 false 0 0 false");
  assert.equal(sockets, 0);
  // A client opened after rendering is the hub's only connection: had the
  // render opened one, it would have been accepted before this one.
  await using marker = new RealtimeClient({
    url: hub.url,
    token: await hub.token({ sub: "marker" }),
  });
  await marker.opened();
  assert.deepEqual(hub.hub.listConnections().connections.map((c) => c.user), ["marker"]);
  assert.equal(hub.hub.stats().connections, 1);
  assert.equal(sockets, 0);
});

Deno.test("useRealtime(token) during server rendering opens no socket", async () => {
  await using hub = await startTestHub("deno");
  const token = await hub.token({ sub: "ssr", acl: ACL });
  function Seed(): ReactNode {
    const { isConnected } = useRealtime(token);
    return isConnected ? "Connected" : "Disconnected";
  }
  const html = renderToString(
    createElement(RealtimeProvider, { url: hub.url }, createElement(Seed)),
  );
  assert.equal(html, "Disconnected");
  await using marker = new RealtimeClient({
    url: hub.url,
    token: await hub.token({ sub: "marker" }),
  });
  await marker.opened();
  assert.deepEqual(hub.hub.listConnections().connections.map((c) => c.user), ["marker"]);
});

Deno.test("useHistory refuses a limit out of range with a RangeError", async () => {
  await using hub = await startTestHub("deno");
  function Reader(): ReactNode {
    useHistory("chat:lobby", { limit: 1001 });
    return null;
  }
  assert.throws(
    () => renderToString(createElement(RealtimeProvider, { url: hub.url }, createElement(Reader))),
    {
      name: "RangeError",
      message: "Cannot read 1001 publications: 'limit' must be an integer from 0 to 1000",
    },
  );
});

Deno.test("useRealtime outside a RealtimeProvider throws a TypeError", () => {
  function Orphan(): ReactNode {
    useRealtime();
    return null;
  }
  assert.throws(() => renderToString(createElement(Orphan)), {
    name: "TypeError",
    message: "Cannot call useRealtime outside a RealtimeProvider: wrap the tree in one",
  });
});
