/**
 * The operator console's script, bundled for the browser ahead of time by
 * `deno task pages` (into `_scripts.generated.ts`) and served by the hub. It
 * signs in with the admin credential (kept in this closure only: never in
 * storage, cookies or URLs), reads the live feed with `fetch()` streaming
 * (EventSource cannot send the Authorization header), and renders every
 * value as text.
 *
 * @module
 */

import type { ConsoleSnapshot, HistoryPoint } from "./feed.ts";
import { type Api, createApi } from "./_api.ts";
import { createAclPanel } from "./_acl.ts";
import { createConnectionsPanel } from "./_connections.ts";
import { byId, page } from "./_dom.ts";
import { compact, duration } from "./_format.ts";
import { createNodesPanel } from "./_nodes.ts";
import { wireSendForms } from "./_send.ts";
import { createTopicsPanel } from "./_topics.ts";
import { sparklinePath } from "./sparkline.ts";
import { createSseParser } from "./sse.ts";

const METRICS = [
  "connections",
  "users",
  "topics",
  "subscriptions",
  "messagesInPerSecond",
  "messagesOutPerSecond",
] as const;

/** Points drawn: at most 15 minutes at one a second, at least one minute wide. */
const MAX_POINTS = 900;
const MIN_SPAN = 60;

/** Wires the page; called once the module runs. */
function main(): void {
  const { document } = page;
  const body = document.body;
  const prefix = body.dataset.api ?? "/v1/realtime";
  const streamState = byId("stream-state");
  let api: Api | undefined;
  let stop: AbortController | undefined;
  let history: HistoryPoint[] = [];
  let snapshots = 0;
  const current = () => api;

  const connections = createConnectionsPanel(current);
  const topics = createTopicsPanel(current);
  const nodes = createNodesPanel(current, (list) => connections.nodes(list));
  const acl = createAclPanel(current);
  wireSendForms(current);

  function setStream(state: "idle" | "connecting" | "live" | "error", text: string): void {
    streamState.dataset.state = state;
    streamState.textContent = text;
  }

  function draw(): void {
    const last = history[history.length - 1];
    for (const name of METRICS) {
      const value = last?.[name] ?? null;
      byId(`m-${name}`).textContent = compact(value);
      byId(`p-${name}`).setAttribute(
        "d",
        sparklinePath(history.map((p) => p[name]), {
          span: Math.min(MAX_POINTS, Math.max(MIN_SPAN, history.length)),
        }),
      );
    }
  }

  function onSnapshot(snapshot: ConsoleSnapshot): void {
    history.push(snapshot.point);
    if (history.length > MAX_POINTS) history = history.slice(-MAX_POINTS);
    draw();
    byId("uptime").textContent = `up ${duration(snapshot.uptimeSeconds * 1000)}`;
    connections.update(snapshot.connections, snapshot.point.at);
    topics.update(snapshot.topics);
    nodes.tick();
    connections.tick();
    const users = new Set<string>();
    for (const c of snapshot.connections.connections) if (c.user !== null) users.add(c.user);
    acl.users([...users].sort());
    body.dataset.snapshots = String(++snapshots);
  }

  async function follow(client: Api, signal: AbortSignal): Promise<void> {
    let delay = 1000;
    while (!signal.aborted) {
      setStream("connecting", "connecting…");
      try {
        const res = await client.stream(signal);
        if (res.status === 401 || res.status === 403) {
          await res.body?.cancel();
          signOut("Signed out: the hub no longer accepts this credential");
          return;
        }
        if (!res.ok || res.body === null) {
          await res.body?.cancel();
          setStream(
            "error",
            res.status === 503 ? "too many viewers: retrying" : `error ${res.status}`,
          );
        } else {
          setStream("live", "live");
          delay = 1000;
          const parse = createSseParser((event) => {
            const data = JSON.parse(event.data);
            if (event.event === "history") {
              history = (data.points as HistoryPoint[]).slice(-MAX_POINTS);
              draw();
            } else if (event.event === "snapshot") {
              onSnapshot(data as ConsoleSnapshot);
            }
          });
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          while (true) {
            const { value, done } = await reader.read();
            if (done) break;
            parse(value);
          }
          setStream("error", "stream ended: reconnecting");
        }
      } catch {
        if (signal.aborted) return;
        setStream("error", "stream lost: reconnecting");
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async function signIn(credential: string): Promise<void> {
    const error = byId("signin-error");
    error.textContent = "";
    const client = createApi(prefix, credential);
    const answer = await client.call("GET", "/stats");
    // Refused or not, the credential does not stay in the page.
    byId("credential").value = "";
    if (!answer.ok) {
      error.textContent = answer.status === 401 || answer.status === 403
        ? `Refused: ${answer.message}`
        : `Cannot reach the admin API: ${answer.message}`;
      return;
    }
    api = client;
    body.dataset.state = "signed-in";
    byId("console").hidden = false;
    byId("sign-out").hidden = false;
    stop = new AbortController();
    void follow(client, stop.signal);
    await acl.load();
    byId("overview-title").focus();
  }

  function signOut(reason = ""): void {
    stop?.abort();
    stop = undefined;
    api = undefined;
    history = [];
    connections.clear();
    topics.clear();
    nodes.clear();
    acl.clear();
    draw();
    body.dataset.state = "signed-out";
    byId("console").hidden = true;
    byId("sign-out").hidden = true;
    setStream("idle", "signed out");
    byId("signin-error").textContent = reason;
    byId("credential").focus();
  }

  byId("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const credential = byId("credential").value.trim();
    if (credential !== "") void signIn(credential);
  });
  byId("sign-out").addEventListener("click", () => signOut());
  byId("overview-title").setAttribute("tabindex", "-1");
  body.className = "ready";
  byId("credential").focus();
}

main();
