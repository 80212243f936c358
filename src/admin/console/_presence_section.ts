// Who is present on a topic, in the topic details: the counts (two tabs of
// one user are two connections, one user), then one row per user with the
// connection ids, every value as text.

import type { Api } from "./_api.ts";
import { type DomElement, el } from "./_dom.ts";

/** Most users listed; the summary still counts every one. */
export const PRESENCE_ROWS = 100;

/** The answer of `GET /topics/:topic/presence`. */
export interface PresenceAnswer {
  connections: number;
  users: number;
  clients: { user: string | null; connectionId: string; info?: unknown }[];
}

/** A present user and their connections, in the order they were listed. */
export interface PresentUser {
  user: string;
  connections: string[];
  /** The first connection's presence info, as JSON text, or `""`. */
  info: string;
}

/** Groups the clients by user, most connections first, then by name. */
export function presentUsers(answer: PresenceAnswer): PresentUser[] {
  const byUser = new Map<string, PresentUser>();
  for (const c of answer.clients) {
    const user = c.user ?? "(anonymous)";
    let entry = byUser.get(user);
    if (entry === undefined) {
      const info = c.info === undefined ? "" : JSON.stringify(c.info) ?? "";
      entry = { user, connections: [], info };
      byUser.set(user, entry);
    }
    entry.connections.push(c.connectionId);
  }
  return [...byUser.values()].sort((a, b) =>
    b.connections.length - a.connections.length || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)
  );
}

/** `3 connections, 2 users`. */
export function presenceSummary(answer: PresenceAnswer): string {
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${s(answer.connections, "connection")}, ${s(answer.users, "user")}`;
}

/** Renders who is present on `topic` into `into`. */
export async function renderPresence(topic: string, api: Api, into: DomElement): Promise<void> {
  const result = await api.call("GET", `/topics/${encodeURIComponent(topic)}/presence`);
  if (!result.ok) {
    into.replaceChildren(el("p", result.message, "bad"));
    return;
  }
  const answer = result.body as PresenceAnswer;
  const summary = el("p", presenceSummary(answer), "presence-summary");
  summary.dataset.connections = String(answer.connections);
  summary.dataset.users = String(answer.users);
  const users = presentUsers(answer);
  if (users.length === 0) return into.replaceChildren(summary);
  const table = el("table");
  table.className = "presence";
  const head = el("tr");
  for (const title of ["User", "Connections", "Connection ids", "Info"]) {
    const th = el("th", title, title === "Connections" ? "num" : undefined);
    th.setAttribute("scope", "col");
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const u of users.slice(0, PRESENCE_ROWS)) {
    const tr = el("tr");
    tr.dataset.user = u.user;
    tr.append(
      el("td", u.user, "mono"),
      el("td", String(u.connections.length), "num"),
      el("td", u.connections.join(" "), "mono"),
      el("td", u.info, "mono"),
    );
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const scroll = el("div", undefined, "scroll");
  scroll.append(table);
  into.replaceChildren(summary, scroll);
  if (users.length > PRESENCE_ROWS) {
    into.append(el("p", `and ${users.length - PRESENCE_ROWS} more users`, "muted"));
  }
}
