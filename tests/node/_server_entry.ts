// What the Node server test bundles: the hub's core, the `node:http`
// WebSocket adapter, token minting, and `ws` as the client (Node 20 has no
// global WebSocket).

export { composeHub } from "../../src/hub/hub.ts";
export { listenNode } from "../../src/server/node_adapter.ts";
export { mintToken } from "../../src/auth/mint.ts";
export { default as WebSocket } from "ws";
