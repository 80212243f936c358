// The topics table and the selected topic's details. The details are a
// list of sections, each fetching its own data through the admin API: the
// subscriber count, the topic's recent history and who is present.

import type { TopicPage } from "../../hub/inspect.ts";
import type { Api } from "./_api.ts";
import { byId, type DomElement, el } from "./_dom.ts";
import { placeRows } from "./_order.ts";
import { renderHistory } from "./_history_section.ts";
import { renderPresence } from "./_presence_section.ts";

/** One section of the topic details. */
export interface TopicSection {
  readonly title: string;
  /** Renders into `into` (text only); may call the admin API. */
  render(topic: string, api: Api, into: DomElement): Promise<void>;
}

/** The sections shown for a selected topic, in order. */
export const TOPIC_SECTIONS: readonly TopicSection[] = [
  {
    title: "Subscribers",
    async render(topic, api, into) {
      const result = await api.call("GET", `/topics/${encodeURIComponent(topic)}`);
      if (!result.ok) {
        into.textContent = result.message;
        return;
      }
      // Every node's count (GET /topics/:topic asks them all), and who did not answer.
      const { subscribers, scope, nodes = {}, missing = [] } = result.body as {
        subscribers: number;
        scope?: string;
        nodes?: Record<string, number>;
        missing?: string[];
      };
      const ids = Object.keys(nodes);
      const where = scope === "cluster" && ids.length > 1
        ? ` on ${ids.length} nodes (${ids.map((id) => `${id}: ${nodes[id]}`).join(", ")})`
        : scope === "cluster"
        ? " on every node"
        : " on this node";
      into.textContent = `${subscribers}${where}${
        missing.length === 0 ? "" : `; no answer from ${missing.join(", ")}`
      }`;
    },
  },
  { title: "Recent history", render: renderHistory },
  { title: "Present", render: renderPresence },
];

/** The panel, fed by snapshots. */
export interface TopicsPanel {
  update(page: TopicPage): void;
  clear(): void;
}

/** Wires the panel to the page. */
export function createTopicsPanel(api: () => Api | undefined): TopicsPanel {
  const body = byId("topics-body");
  const caption = byId("topics-caption");
  const filter = byId("topics-search");
  const detail = byId("topic-detail");
  const rows = new Map<string, { tr: DomElement; count: DomElement }>();
  let latest: TopicPage | undefined;
  let selected: string | undefined;
  let order: string[] = [];

  async function select(topic: string): Promise<void> {
    const client = api();
    if (client === undefined) return;
    selected = topic;
    for (const [name, row] of rows) row.tr.setAttribute("aria-selected", String(name === topic));
    detail.hidden = false;
    byId("topic-detail-title").textContent = topic;
    // Fresh boxes each time: a slower answer for a topic selected before
    // lands in a box no longer on the page, never under the wrong title.
    const sections = byId("topic-detail-sections");
    const boxes = TOPIC_SECTIONS.map((section) => {
      const box = el("div", "Loading…", "muted");
      box.dataset.section = section.title;
      return box;
    });
    sections.replaceChildren(
      ...TOPIC_SECTIONS.flatMap((section, i) => [el("h4", section.title), boxes[i]]),
    );
    await Promise.all(TOPIC_SECTIONS.map(async (section, i) => {
      try {
        boxes[i].className = "";
        await section.render(topic, client, boxes[i]);
      } catch (error) {
        boxes[i].textContent = error instanceof Error ? error.message : "Cannot show this";
        boxes[i].className = "bad";
      }
    }));
  }

  function render(): void {
    if (latest === undefined) return;
    const q = filter.value.trim().toLowerCase();
    const shown = latest.topics.filter((t) => q === "" || t.topic.toLowerCase().includes(q));
    const seen = new Set<string>();
    const wanted: { key: string; tr: DomElement }[] = [];
    for (const t of shown) {
      seen.add(t.topic);
      let row = rows.get(t.topic);
      if (row === undefined) {
        const tr = el("tr");
        tr.dataset.topic = t.topic;
        tr.setAttribute("tabindex", "0");
        tr.setAttribute("aria-selected", String(t.topic === selected));
        const name = el("td", t.topic, "mono");
        const count = el("td", "", "num");
        tr.append(name, count);
        tr.addEventListener("click", () => void select(t.topic));
        tr.addEventListener("keydown", (e) => {
          const key = (e as unknown as { key: string }).key;
          if (key === "Enter" || key === " ") {
            e.preventDefault();
            void select(t.topic);
          }
        });
        row = { tr, count };
        rows.set(t.topic, row);
      }
      const text = String(t.subscribers);
      if (row.count.textContent !== text) row.count.textContent = text;
      wanted.push({ key: t.topic, tr: row.tr });
    }
    for (const [topic, row] of rows) {
      if (!seen.has(topic)) {
        row.tr.remove();
        rows.delete(topic);
      }
    }
    order = placeRows(body, order, wanted);
    caption.textContent = `${shown.length} of ${latest.total}`;
  }

  filter.addEventListener("input", render);
  byId("topic-detail-refresh").addEventListener("click", () => {
    if (selected !== undefined) void select(selected);
  });
  byId("topics-search-form").addEventListener("submit", (e) => e.preventDefault());

  return {
    update(page) {
      latest = page;
      render();
    },
    clear() {
      latest = undefined;
      selected = undefined;
      rows.clear();
      order = [];
      body.replaceChildren();
      caption.textContent = "";
      detail.hidden = true;
    },
  };
}
