/**
 * The demo page's script, bundled for the browser ahead of time by
 * `deno task pages` (into `_scripts.generated.ts`). It drives
 * {@linkcode RealtimeClient} exactly as an application would: it says how
 * many missed messages were recovered after a network drop (or that they
 * could not be, so the page should be reloaded), and who is online in each
 * subscribed room. Signed-in users (sign-up and login against `/auth`)
 * connect with an `AccountsSession`, which keeps the connection across
 * access-token expiry and closes it when the session ends.
 *
 * @module
 */

import {
  type ConnectionState,
  type PresenceMember,
  RealtimeClient,
  RealtimeError,
} from "../client/mod.ts";
import { type DomElement, page } from "./_dom.ts";
import { wireAccountPanel } from "./_account_panel.ts";
import { mintDevToken } from "./_dev_token.ts";

type Kind = "state" | "message" | "notification" | "error" | "refresh" | "info" | "recovery";

const MAX_LOG = 200;

/** Wires the page; called once the module runs. */
function main(): void {
  const { document, location } = page;
  const $ = (id: string): DomElement => {
    const element = document.getElementById(id);
    if (element === null) throw new Error(`The page has no #${id}`);
    return element;
  };
  const stateEl = $("state");
  const whoEl = $("who");
  const log = $("log");
  const subsEl = $("subscriptions");
  const tokenEl = $("token");
  const onlineEl = $("online");
  // Per concrete topic: who is subscribed, or why that is unknown.
  const online = new Map<string, PresenceMember[] | string>();
  let rt: RealtimeClient | undefined;
  // The client the account session connected, closed when the session ends.
  let viaSession: RealtimeClient | undefined;
  // Topics stay listed across reconnects and new tokens; values unsubscribe.
  const topics = new Map<string, (() => void) | undefined>();

  function write(kind: Kind, text: string): void {
    const li = document.createElement("li");
    li.dataset.kind = kind;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const label = document.createElement("span");
    label.className = "kind";
    label.textContent = kind;
    li.append(time, label, document.createTextNode(text));
    log.prepend(li);
    while (log.children.length > MAX_LOG) log.lastElementChild?.remove();
  }

  function show(payload: unknown): string {
    return typeof payload === "string" ? payload : JSON.stringify(payload);
  }

  function count(name: "opens" | "refreshes"): void {
    stateEl.dataset[name] = String(Number(stateEl.dataset[name] ?? "0") + 1);
  }

  function setState(state: ConnectionState | "idle", detail = "", reason = ""): void {
    stateEl.dataset.state = state;
    stateEl.dataset.reason = reason;
    stateEl.textContent = state;
    whoEl.textContent = detail;
  }

  // Concrete topics follow who joins and leaves; a token without `presence`
  // on the topic is refused that, and subscribes without it.
  function subscribeTopic(topic: string, presence = !topic.includes("*")): void {
    if (rt === undefined) return;
    const client = rt;
    const unsubscribe = client.subscribe(topic, (msg) => {
      const from = msg.from ?? "server";
      write("message", `[${msg.topic}] ${from}: ${show(msg.payload)}`);
    }, {
      presence,
      // A refusal now, or an end later (after a reconnect or a token refresh).
      onError: (error) => {
        if (presence && error.code === "FORBIDDEN" && topics.get(topic) === unsubscribe) {
          unsubscribe();
          return subscribeTopic(topic, false);
        }
        write("error", `${error.code} ${topic}: ${error.message}`);
        if (error.code !== "TIMEOUT" && topics.get(topic) === unsubscribe) removeTopic(topic);
      },
    });
    topics.set(topic, unsubscribe);
    unsubscribe.ready.then(() => write("info", `subscribed to ${topic}`), () => {});
  }

  function renderOnline(): void {
    onlineEl.replaceChildren(
      ...[...online].filter(([topic]) => topics.has(topic)).map(([topic, members]) => {
        const li = document.createElement("li");
        li.dataset.topic = topic;
        li.textContent = `${topic}: ${
          typeof members === "string" ? members : describeOnline(members)
        }`;
        return li;
      }),
    );
  }

  function refreshOnline(topic: string): void {
    const client = rt;
    if (client === undefined || topic.includes("*")) return;
    client.presence(topic, { timeoutMs: 3000 }).then(
      (members) => online.set(topic, members),
      (error: Error) => {
        const code = error instanceof RealtimeError ? error.code : "error";
        online.set(topic, `presence unavailable (${code})`);
      },
    ).finally(() => {
      if (rt === client) renderOnline();
    });
  }

  function renderTopics(): void {
    subsEl.replaceChildren(
      ...[...topics.keys()].map((topic) => {
        const li = document.createElement("li");
        li.dataset.topic = topic;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.title = `Unsubscribe from ${topic}`;
        remove.textContent = "×";
        remove.addEventListener("click", () => removeTopic(topic));
        li.append(document.createTextNode(topic), remove);
        return li;
      }),
    );
  }

  function removeTopic(topic: string): void {
    topics.get(topic)?.();
    topics.delete(topic);
    online.delete(topic);
    renderTopics();
    renderOnline();
  }

  function connect(auth: { token?: string; getToken?: () => Promise<string> }): void {
    void rt?.close();
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
    // The switch: a stream plus posted requests, as a client behind a proxy that breaks WebSocket.
    const sse = $("use-sse").checked === true;
    const client = new RealtimeClient({ url, ...auth, ...(sse ? { transports: ["sse"] } : {}) });
    rt = client;
    setState("connecting");
    client.on("state", (state, change) => {
      if (rt !== client) return;
      if (state === "open") count("opens");
      // Why it dropped or stopped: a refused token names its reason.
      const reason = change.error?.authReason ?? change.error?.code ?? "";
      stateEl.dataset.transport = client.transport;
      const detail = state === "open"
        ? `${client.user} · ${client.transport} · expires ${expiry(client.expiresAt)}`
        : state === "reconnecting"
        ? `retry in ${change.retryInMs} ms${reason === "" ? "" : ` · ${reason}`}`
        : change.error?.authReason !== undefined
        ? `token refused: ${change.error.authReason}`
        : reason;
      setState(state, detail, reason);
      const why = change.error === undefined
        ? ""
        : ` (${change.error.code}: ${change.error.message})`;
      write(state === "closed" && change.error ? "error" : "state", `${state}${why}`);
    });
    client.on("refresh", ({ expiresAt }) => {
      count("refreshes");
      whoEl.textContent = `${client.user} · expires ${expiry(expiresAt)}`;
      write("refresh", `token refreshed, expires ${expiry(expiresAt)}`);
    });
    client.on("notification", (msg) => {
      write(
        "notification",
        `${msg.event} ${msg.topic === null ? "(direct)" : `on ${msg.topic}`}: ${show(msg.payload)}`,
      );
    });
    client.on("subscribed", ({ topic, recovered, missed }) => {
      if (rt !== client) return;
      // After a drop: the client resubscribed from where it was.
      if (recovered === true) {
        write("recovery", `recovered ${missed ?? 0} missed messages on ${topic}`);
      } else if (recovered === false) {
        write("recovery", `could not recover missed messages on ${topic}: reload`);
      }
      refreshOnline(topic);
    });
    // The list fetched on subscribe, kept current by joins and leaves.
    client.on("presence", ({ topic, user, connectionId, action }) => {
      if (rt !== client) return;
      write("info", `${user} ${action === "join" ? "joined" : "left"} ${topic}`);
      const members = online.get(topic);
      if (!Array.isArray(members)) return;
      const others = members.filter((member) => member.connectionId !== connectionId);
      online.set(topic, action === "join" ? [...others, { user, connectionId }] : others);
      renderOnline();
    });
    client.on("error", (error) => {
      // Subscription errors are written by their own handlers.
      if (error.topic === undefined) write("error", `${error.code}: ${error.message}`);
    });
    for (const topic of topics.keys()) subscribeTopic(topic);
  }

  // Relative to the page: the hub that served it mints.
  const mint = (sub: string, ttl: number) =>
    mintDevToken(sub, ttl, (input, init) => fetch(input, init));

  $("mint-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const sub = $("mint-sub").value.trim();
    const ttl = Number($("mint-ttl").value);
    mint(sub, ttl).then((token) => {
      tokenEl.value = token;
      write("info", `minted a ${ttl} s development token for ${sub}`);
      // Hand over the first token, and mint again whenever the client asks.
      let first: string | undefined = token;
      connect({
        getToken: () => {
          const next = first;
          first = undefined;
          return next !== undefined ? Promise.resolve(next) : mint(sub, ttl);
        },
      });
    }, (error: Error) => write("error", error.message));
  });

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = tokenEl.value.trim();
    if (token === "") return write("error", "Paste a token first");
    connect({ token });
  });

  function disconnect(why: string): void {
    const client = rt;
    rt = undefined;
    for (const topic of topics.keys()) topics.set(topic, undefined);
    if (client !== undefined) void client.close().then(() => setState("closed", why));
  }

  $("disconnect").addEventListener("click", () => disconnect("disconnected"));

  wireAccountPanel({
    $,
    write,
    connect: (session) => {
      connect({ token: session.accessToken, getToken: session.getToken });
      viaSession = rt;
      // A logout elsewhere ends this session's connection at once (4003):
      // a refresh then says whether the session is over, and signs out if so.
      rt?.on("state", (state, change) => {
        if (state === "closed" && change.error?.code === "FORBIDDEN") {
          session.getToken().catch(() => {});
        }
      });
    },
    signedOut: () => {
      if (rt !== undefined && rt === viaSession) disconnect("signed out");
    },
  });

  $("subscribe-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const topic = $("subscribe-topic").value.trim();
    if (rt === undefined) return write("error", "Connect first");
    if (topics.has(topic)) return;
    try {
      subscribeTopic(topic);
    } catch (error) {
      return write("error", (error as Error).message);
    }
    renderTopics();
  });

  $("publish-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const topic = $("publish-topic").value.trim();
    const input = $("publish-text");
    if (rt === undefined) return write("error", "Connect first");
    const text = input.value;
    input.value = "";
    rt.publish(topic, text).then(
      () => write("info", `published to ${topic}`),
      (error: Error) => {
        const code = error instanceof RealtimeError ? `${error.code} ` : "";
        write("error", `${code}${topic}: ${error.message}`);
      },
    );
  });

  $("clear-log").addEventListener("click", () => log.replaceChildren());
  document.body.classList.add("ready");
  write(
    "info",
    document.body.dataset.dev === "true"
      ? "log in, mint a development token or paste one, then subscribe and publish"
      : "log in or paste a token, then subscribe and publish",
  );
}

/** `alice (2 tabs), bob`, or `nobody`. */
function describeOnline(members: readonly PresenceMember[]): string {
  const tabs = new Map<string, number>();
  for (const member of members) tabs.set(member.user, (tabs.get(member.user) ?? 0) + 1);
  if (tabs.size === 0) return "nobody";
  return [...tabs].map(([user, n]) => n === 1 ? user : `${user} (${n} tabs)`).join(", ");
}

function expiry(expiresAt: number | null | undefined): string {
  return expiresAt == null ? "never" : new Date(expiresAt).toLocaleTimeString();
}

main();
