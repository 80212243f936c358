/**
 * The React example's entry: the seed's component and a chat room under
 * one {@linkcode RealtimeProvider}, in StrictMode. The provider gets the
 * token (so its client exists on mount, and StrictMode's second effect
 * meets it); the seed's `useRealtime(authToken)` passes the same one. Bundled ahead of time by
 * `deno task pages` into `_scripts.generated.ts`; `server.ts` serves it.
 *
 * @module
 */

import { type ReactElement, StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { RealtimeProvider } from "@realtime/hub/react";
import { MyComponent } from "./my_component.tsx";
import { Chat } from "./chat.tsx";
import { authToken } from "./auth.ts";

const { document, location } = globalThis as unknown as {
  document: { getElementById(id: string): Element | null };
  location: { href: string };
};

const url = new URL("/ws", location.href);
url.protocol = url.protocol === "https:" ? "wss:" : "ws:";

/**
 * The chat mounts when asked, so its hooks' first effects (run twice under
 * StrictMode) meet an open connection.
 *
 * @returns The join button, then the room.
 */
function Lobby(): ReactElement {
  const [joined, setJoined] = useState(false);
  if (joined) return <Chat topic="chat:lobby" />;
  return <button id="join" type="button" onClick={() => setJoined(true)}>Join the chat</button>;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <RealtimeProvider url={url.href} token={authToken}>
      <MyComponent />
      <Lobby />
    </RealtimeProvider>
  </StrictMode>,
);
