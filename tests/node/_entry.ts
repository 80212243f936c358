// What the Node test bundles: the client, the React bindings with React's
// server renderer, and `ws` (Node 20 has no global WebSocket).

export { RealtimeClient } from "../../src/client/mod.ts";
export {
  RealtimeProvider,
  useHistory,
  usePresence,
  useRealtime,
  useSubscription,
} from "../../src/react/mod.ts";
export { createElement } from "react";
export { renderToString } from "react-dom/server";
export { default as WebSocket } from "ws";
