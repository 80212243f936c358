// The connections table: rows keyed by connection id and updated in place
// each snapshot (so focus and selection survive), searched on the page, and
// through the admin API when the hub has more connections than a snapshot
// carries. Disconnect and revoke go through the admin API after a confirm.

import type { ConnectionInfo, ConnectionPage } from "../../hub/inspect.ts";
import type { Api } from "./_api.ts";
import { confirmAction } from "./_confirm.ts";
import { byId, type DomElement, el } from "./_dom.ts";
import { bytes, duration } from "./_format.ts";
import { placeRows } from "./_order.ts";

/** The panel, fed by snapshots. */
export interface ConnectionsPanel {
  update(page: ConnectionPage, now: number): void;
  clear(): void;
}

/** Wires the panel to the page. */
export function createConnectionsPanel(api: () => Api | undefined): ConnectionsPanel {
  const body = byId("connections-body");
  const caption = byId("connections-caption");
  const status = byId("connections-status");
  const search = byId("connections-search");
  const rows = new Map<string, { tr: DomElement; cells: DomElement[] }>();
  let latest: { page: ConnectionPage; now: number } | undefined;
  let remote: ConnectionPage | undefined;
  let remoteFor = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let order: string[] = [];

  function say(text: string, bad = false): void {
    status.textContent = text;
    status.className = bad ? "bad" : "";
  }

  async function act(row: ConnectionInfo, kind: "disconnect" | "revoke"): Promise<void> {
    const client = api();
    if (client === undefined || row.user === null) return;
    const user = row.user;
    const question = kind === "disconnect"
      ? `Disconnect every connection of user '${user}'? They are closed with 4003 and may reconnect.`
      : `Revoke user '${user}'? Their connections close with 4003, every token issued to them until now is refused, and their sign-in sessions end: they must log in again with their password. To keep them out, disable the account.`;
    if (!await confirmAction(question, kind === "disconnect" ? "Disconnect" : "Revoke")) return;
    const result = kind === "disconnect"
      ? await client.call("DELETE", `/users/${encodeURIComponent(user)}/connections`)
      : await client.call("POST", "/revoke", { user });
    if (!result.ok) return say(`${kind} failed: ${result.message}`, true);
    const { disconnected: n = 0, sessionsEnded } = result.body as {
      disconnected?: number;
      sessionsEnded?: number;
    };
    const sessions = sessionsEnded === undefined
      ? ""
      : `, ${sessionsEnded} sign-in session${sessionsEnded === 1 ? "" : "s"} ended`;
    say(
      `${kind === "disconnect" ? "Disconnected" : "Revoked"} '${user}': ${n} connection${
        n === 1 ? "" : "s"
      } closed on this node (and theirs on every other node)${sessions}`,
    );
  }

  function button(text: string, label: string, onClick: () => void, danger = false): DomElement {
    const b = el("button", text, `small ghost${danger ? " danger" : ""}`);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function makeRow(row: ConnectionInfo): { tr: DomElement; cells: DomElement[] } {
    const tr = el("tr");
    tr.dataset.id = row.id;
    tr.dataset.user = row.user ?? "";
    const cells = [
      el("td"),
      el("td", undefined, "mono"),
      el("td"),
      el("td"),
      el("td", undefined, "num"),
      el("td", undefined, "num"),
      el("td", undefined, "num"),
    ];
    const actions = el("td");
    if (row.user !== null) {
      actions.append(
        button("Disconnect", `Disconnect user ${row.user}`, () => void act(row, "disconnect")),
        " ",
        button("Revoke", `Revoke user ${row.user}`, () => void act(row, "revoke"), true),
      );
    }
    tr.append(...cells, actions);
    return { tr, cells };
  }

  function render(): void {
    if (latest === undefined) return;
    const q = search.value.trim().toLowerCase();
    const source = remote !== undefined && remoteFor === q ? remote : latest.page;
    const shown = source.connections.filter((c) =>
      q === "" || c.id.toLowerCase().includes(q) || (c.user ?? "").toLowerCase().includes(q) ||
      (c.remoteAddr ?? "").toLowerCase().includes(q)
    );
    const seen = new Set<string>();
    const wanted: { key: string; tr: DomElement }[] = [];
    for (const c of shown) {
      seen.add(c.id);
      let entry = rows.get(c.id);
      if (entry === undefined) {
        entry = makeRow(c);
        rows.set(c.id, entry);
      }
      const values = [
        c.user ?? "(authenticating)",
        c.id,
        c.remoteAddr ?? "?",
        c.transport ?? "?",
        String(c.subscriptions),
        duration(latest.now - c.since),
        bytes(c.queuedBytes),
      ];
      values.forEach((v, i) => {
        if (entry.cells[i].textContent !== v) entry.cells[i].textContent = v;
      });
      wanted.push({ key: c.id, tr: entry.tr });
    }
    for (const [id, entry] of rows) {
      if (!seen.has(id)) {
        entry.tr.remove();
        rows.delete(id);
      }
    }
    order = placeRows(body, order, wanted);
    const total = latest.page.total;
    caption.textContent = q === ""
      ? `${shown.length} of ${total} shown`
      : `${shown.length} matching of ${total}`;
  }

  async function searchServer(q: string): Promise<void> {
    const client = api();
    if (client === undefined || latest === undefined) return;
    if (q === "" || latest.page.connections.length >= latest.page.total) {
      remote = undefined;
      return render();
    }
    const result = await client.call(
      "GET",
      `/connections?search=${encodeURIComponent(q)}&limit=200`,
    );
    if (!result.ok) return say(`Search failed: ${result.message}`, true);
    remote = result.body as ConnectionPage;
    remoteFor = q;
    render();
  }

  search.addEventListener("input", () => {
    render();
    clearTimeout(timer);
    timer = setTimeout(() => void searchServer(search.value.trim().toLowerCase()), 300);
  });
  byId("connections-search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void searchServer(search.value.trim().toLowerCase());
  });

  return {
    update(page, now) {
      latest = { page, now };
      render();
    },
    clear() {
      latest = undefined;
      remote = undefined;
      rows.clear();
      order = [];
      body.replaceChildren();
      caption.textContent = "";
      say("");
    },
  };
}
