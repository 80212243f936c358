// Server rendering with the React bindings: renderToString over a real hub
// opens no socket (counted by a WebSocket constructor and on the hub).

import assert from "node:assert/strict";
import { createElement, type ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { RealtimeClient } from "../../src/client/client.ts";
import {
  RealtimeProvider,
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
  usePublish();
  useRpc();
  return `${state} ${
    isConnected ? "Connected" : "Disconnected"
  } ${messages.length} ${ready} ${members.length}`;
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
  assert.equal(html, "idle Disconnected 0 false 0");
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
