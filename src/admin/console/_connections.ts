// The connections table: rows keyed by connection id and updated in place
// each snapshot (so focus and selection survive), searched on the page, and
// through the admin API when the hub has more connections than a snapshot
// carries. The node selector shows this node's (from the live snapshots),
// every node's, or one other node's connections (read from the admin API,
// `GET /connections?node=`, every two snapshots). Closing one connection,
// disconnecting and revoking a user go through the admin API after a
// confirm, and reach the connection on whichever node holds it.

import type { ConnectionInfo, ConnectionPage } from "../../hub/inspect.ts";
import type { NodeList } from "../../hub/nodes.ts";
import type { Api } from "./_api.ts";
import { confirmAction } from "./_confirm.ts";
import { byId, type DomElement, el } from "./_dom.ts";
import { bytes, duration } from "./_format.ts";
import { placeRows } from "./_order.ts";

/** The panel, fed by snapshots. */
export interface ConnectionsPanel {
  update(page: ConnectionPage, now: number): void;
  /** Called on every snapshot: reads another node's (or every node's) connections every few. */
  tick(): void;
  /** The live nodes, for the node selector. */
  nodes(list: NodeList): void;
  clear(): void;
}

/** A row, naming its node when read from the cluster. */
type Row = ConnectionInfo & { node?: string };

/** A page of the cluster's connections, as `GET /connections?node=` answers it. */
interface ClusterPage {
  total: number;
  matched: number;
  connections: readonly Row[];
  scope?: string;
  missing?: string[];
  error?: string;
}

/** Snapshots (one a second) between two reads of another node's connections. */
const EVERY_SNAPSHOTS = 2;

/** How an action's cluster-wide answer reads: where it happened, and who did not answer. */
function where(body: { answered?: number; missing?: string[]; scope?: string }): string {
  const answered = body.answered ?? 1;
  const missing = body.missing ?? [];
  const nodes = `${answered} node${answered === 1 ? "" : "s"} answered`;
  return missing.length === 0 ? nodes : `${nodes}; no answer from ${missing.join(", ")}`;
}

/** Wires the panel to the page. */
export function createConnectionsPanel(api: () => Api | undefined): ConnectionsPanel {
  const body = byId("connections-body");
  const caption = byId("connections-caption");
  const status = byId("connections-status");
  const search = byId("connections-search");
  const scope = byId("connections-node");
  const rows = new Map<string, { tr: DomElement; cells: DomElement[] }>();
  /** The node that served the page, once the node list was read. */
  let self = "";
  /** The page read for the selected node (or all), and for which selection. */
  let scoped: { page: ClusterPage; for: string } | undefined;
  let ticks = 0;
  let reading = false;
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
    const answer = result.body as {
      disconnected?: number;
      sessionsEnded?: number;
      answered?: number;
      missing?: string[];
    };
    const { disconnected: n = 0, sessionsEnded } = answer;
    const sessions = sessionsEnded === undefined
      ? ""
      : `, ${sessionsEnded} sign-in session${sessionsEnded === 1 ? "" : "s"} ended`;
    say(
      `${kind === "disconnect" ? "Disconnected" : "Revoked"} '${user}': ${n} connection${
        n === 1 ? "" : "s"
      } closed (${where(answer)})${sessions}`,
    );
    void read();
  }

  async function closeOne(row: Row): Promise<void> {
    const client = api();
    if (client === undefined) return;
    const node = row.node ?? self;
    const who = row.user === null ? "" : ` of user '${row.user}'`;
    const question =
      `Close connection ${row.id}${who} on node ${node}? It is closed with 4003 and may reconnect.`;
    if (!await confirmAction(question, "Close")) return;
    const result = await client.call("DELETE", `/connections/${encodeURIComponent(row.id)}`);
    if (!result.ok) return say(`Close failed: ${result.message}`, true);
    const answer = result.body as {
      disconnected?: number;
      nodes?: Record<string, number>;
      answered?: number;
      missing?: string[];
    };
    const on = Object.entries(answer.nodes ?? {}).find(([, n]) => n > 0)?.[0];
    say(
      on === undefined
        ? `Connection ${row.id} was not found (${where(answer)})`
        : `Closed connection ${row.id} on node ${on} (${where(answer)})`,
    );
    void read();
  }

  function button(text: string, label: string, onClick: () => void, danger = false): DomElement {
    const b = el("button", text, `small ghost${danger ? " danger" : ""}`);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function makeRow(row: Row): { tr: DomElement; cells: DomElement[] } {
    const tr = el("tr");
    tr.dataset.id = row.id;
    tr.dataset.user = row.user ?? "";
    tr.dataset.node = row.node ?? self;
    const cells = [
      el("td"),
      el("td", undefined, "mono"),
      el("td", undefined, "mono"),
      el("td"),
      el("td"),
      el("td", undefined, "num"),
      el("td", undefined, "num"),
      el("td", undefined, "num"),
    ];
    const actions = el("td");
    actions.append(
      button("Close", `Close connection ${row.id}`, () => void closeOne(row), true),
      " ",
    );
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
    const selected = scope.value;
    const source: ClusterPage = selected !== ""
      ? (scoped !== undefined && scoped.for === selected
        ? scoped.page
        : { total: 0, matched: 0, connections: [] })
      : remote !== undefined && remoteFor === q
      ? remote
      : latest.page;
    const shown = source.connections.filter((c) =>
      q === "" || c.id.toLowerCase().includes(q) || (c.user ?? "").toLowerCase().includes(q) ||
      (c.remoteAddr ?? "").toLowerCase().includes(q)
    );
    const seen = new Set<string>();
    const wanted: { key: string; tr: DomElement }[] = [];
    for (const c of shown as Row[]) {
      seen.add(c.id);
      let entry = rows.get(c.id);
      if (entry === undefined) {
        entry = makeRow(c);
        rows.set(c.id, entry);
      }
      const values = [
        c.user ?? "(authenticating)",
        c.node ?? self,
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
    const total = source.total;
    const of = selected === "" ? "this node" : selected === "all" ? "all nodes" : selected;
    const missing = source.missing !== undefined && source.missing.length > 0
      ? `; no answer from ${source.missing.join(", ")}`
      : source.error !== undefined
      ? `; ${source.error}`
      : "";
    caption.textContent =
      (q === "" ? `${shown.length} of ${total} shown` : `${shown.length} matching of ${total}`) +
      ` on ${of}${missing}`;
    body.dataset.node = selected === "" ? "self" : selected;
  }

  /** Reads the selected node's (or every node's) connections through the admin API. */
  async function read(): Promise<void> {
    const client = api();
    const selected = scope.value;
    if (client === undefined || selected === "" || reading) return;
    reading = true;
    try {
      const q = search.value.trim().toLowerCase();
      const result = await client.call(
        "GET",
        `/connections?node=${encodeURIComponent(selected)}&limit=200${
          q === "" ? "" : `&search=${encodeURIComponent(q)}`
        }`,
      );
      if (api() !== client || scope.value !== selected) return;
      if (!result.ok) return say(`Reading ${selected} failed: ${result.message}`, true);
      scoped = { page: result.body as ClusterPage, for: selected };
      render();
    } finally {
      reading = false;
    }
  }

  scope.addEventListener("change", () => {
    scoped = undefined;
    say("");
    render();
    void read();
  });

  async function searchServer(q: string): Promise<void> {
    const client = api();
    if (client === undefined || latest === undefined) return;
    if (scope.value !== "") return void read();
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
    tick() {
      if (ticks++ % EVERY_SNAPSHOTS === 0) void read();
    },
    nodes(list) {
      self = list.self;
      const selected = scope.value;
      const ids = list.nodes.map((n) => n.id);
      const options = [
        { value: "", text: `this node (${list.self})` },
        { value: "all", text: "all nodes" },
        ...ids.filter((id) => id !== list.self).map((id) => ({ value: id, text: id })),
      ];
      const current = [...(scope as unknown as { options: { value: string }[] }).options]
        .map((o) => o.value).join("\n");
      if (current !== options.map((o) => o.value).join("\n")) {
        scope.replaceChildren(...options.map((o) => {
          const option = el("option", o.text);
          option.value = o.value;
          return option;
        }));
        // A node that left falls back to every node's connections.
        scope.value = options.some((o) => o.value === selected) ? selected : "all";
        if (scope.value !== selected) {
          scoped = undefined;
          void read();
        }
      }
    },
    clear() {
      latest = undefined;
      remote = undefined;
      scoped = undefined;
      ticks = 0;
      rows.clear();
      order = [];
      body.replaceChildren();
      caption.textContent = "";
      say("");
    },
  };
}
