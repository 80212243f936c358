// The nodes panel: every hub of the engine as `GET /nodes` lists it, the hub
// that served this page marked. Read every few seconds while signed in; a
// hub that died drops out once its announcement lapses (`node.ttlMs`).

import type { NodeInfo, NodeList } from "../../hub/nodes.ts";
import type { Api } from "./_api.ts";
import { byId, el } from "./_dom.ts";
import { compact, duration } from "./_format.ts";

/** Snapshots (one a second) between two reads of the node list. */
const EVERY_SNAPSHOTS = 2;

/** The panel, refreshed from snapshots. */
export interface NodesPanel {
  /** Called on every snapshot: reads the list every few of them. */
  tick(): void;
  clear(): void;
}

/** Wires the panel to the page. */
export function createNodesPanel(
  api: () => Api | undefined,
  onList: (list: NodeList) => void = () => {},
): NodesPanel {
  const body = byId("nodes-body");
  const caption = byId("nodes-caption");
  const served = byId("nodes-served");
  let ticks = 0;
  let reading = false;

  function row(node: NodeInfo, self: string): ReturnType<typeof el> {
    const tr = el("tr");
    tr.dataset.node = node.id;
    const name = el("td", node.name === node.id ? node.id : `${node.name} (${node.id})`, "mono");
    if (node.id === self) name.append(" ", el("span", "this page", "badge"));
    tr.append(
      name,
      el("td", node.address ?? "—", "mono"),
      el("td", node.version),
      el("td", duration(node.uptimeSeconds * 1000), "num"),
      el("td", compact(node.connections), "num"),
      el("td", compact(node.users), "num"),
      el("td", compact(node.subscriptions), "num"),
      el(
        "td",
        `${compact(node.messagesInPerSecond)} / ${compact(node.messagesOutPerSecond)}`,
        "num",
      ),
      el("td", node.engineOk ? "ok" : "down"),
    );
    tr.dataset.state = node.engineOk ? "ok" : "down";
    return tr;
  }

  async function read(): Promise<void> {
    const client = api();
    if (client === undefined || reading) return;
    reading = true;
    try {
      const answer = await client.call("GET", "/nodes");
      if (api() !== client) return;
      if (!answer.ok) {
        caption.textContent = answer.message;
        return;
      }
      const list = answer.body as NodeList;
      onList(list);
      body.replaceChildren(...list.nodes.map((node) => row(node, list.self)));
      body.dataset.count = String(list.nodes.length);
      served.textContent = `This page is served by ${list.self}.`;
      const sum = (field: "connections" | "subscriptions") =>
        list.nodes.reduce((n, node) => n + node[field], 0);
      caption.textContent = list.scope === "cluster"
        ? `${list.nodes.length} live: ${compact(sum("connections"))} connections, ${
          compact(sum("subscriptions"))
        } subscriptions in all`
        : `this node only${list.error === undefined ? "" : `: ${list.error}`}`;
    } finally {
      reading = false;
    }
  }

  return {
    tick() {
      if (ticks++ % EVERY_SNAPSHOTS === 0) void read();
    },
    clear() {
      ticks = 0;
      body.replaceChildren();
      delete body.dataset.count;
      caption.textContent = "";
      served.textContent = "";
    },
  };
}
