// A test page for the React bindings: a provider and a subscription whose
// token and topic the test changes from outside (globalThis.probe), under
// StrictMode. Bundled unminified at test time (React's development build).

import { type ReactElement, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { RealtimeProvider, useHistory, useRealtime, useSubscription } from "../../src/react/mod.ts";

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

function Recent(props: { topic: string }): ReactElement {
  const { publications, loading, error, reload } = useHistory(props.topic, { limit: 10 });
  useEffect(() => {
    Object.assign(globalThis, { reloadHistory: reload });
  }, [reload]);
  const text = error === undefined
    ? publications.map((m) => m.payload).join(",")
    : `error ${(error as { code?: string }).code}`;
  return <p id="history">{`history ${props.topic} ${loading ? "loading" : "loaded"} ${text}`}</p>;
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
      <Recent topic={topic} />
    </RealtimeProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Probe />
  </StrictMode>,
);
