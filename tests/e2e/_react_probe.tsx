// A test page for the React bindings: a provider and a subscription whose
// token and topic the test changes from outside (globalThis.probe), under
// StrictMode. Bundled unminified at test time (React's development build).

import { type ReactElement, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { RealtimeProvider, useRealtime, useSubscription } from "../../src/react/mod.ts";

const { document, location } = globalThis as unknown as {
  document: { getElementById(id: string): Element | null };
  location: { href: string; hash: string };
};

const url = new URL("/ws", location.href);
url.protocol = "ws:";

function View(props: { topic: string }): ReactElement {
  const { state, client } = useRealtime();
  const { ready, messages } = useSubscription(props.topic);
  const last = messages.at(-1)?.payload;
  return <p id="status">{`${state} ${client?.user} ${props.topic} ${ready} ${last}`}</p>;
}

function Probe(): ReactElement {
  const [token, setToken] = useState(new URLSearchParams(location.hash.slice(1)).get("token")!);
  const [topic, setTopic] = useState("chat:one");
  useEffect(() => {
    Object.assign(globalThis, { probe: { setToken, setTopic } });
  }, []);
  return (
    <RealtimeProvider url={url.href} token={token}>
      <View topic={topic} />
    </RealtimeProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Probe />
  </StrictMode>,
);
