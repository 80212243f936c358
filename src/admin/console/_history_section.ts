// A topic's recent history in the topic details: the newest publications,
// newest first, every value as text (a payload holding HTML stays text).

import type { HistoryPublication } from "../../protocol/frames.ts";
import type { Api } from "./_api.ts";
import { type DomElement, el } from "./_dom.ts";

/** How many publications the section asks for. */
export const HISTORY_LIMIT = 20;

/** Most characters of a payload shown in a cell; the rest is cut with an ellipsis. */
export const PAYLOAD_CHARS = 200;

/** The answer of `GET /topics/:topic/history`. */
export interface HistoryAnswer {
  offset: number;
  epoch: string;
  publications: HistoryPublication[];
}

/** A row's cells as text: offset, time (UTC), from, event, payload. */
export function historyCells(p: HistoryPublication): [string, string, string, string, string] {
  const json = JSON.stringify(p.payload) ?? "null";
  const payload = json.length > PAYLOAD_CHARS ? json.slice(0, PAYLOAD_CHARS) + "…" : json;
  const time = Number.isFinite(p.ts) ? new Date(p.ts).toISOString().slice(11, 19) : "–";
  return [String(p.offset), time, p.from ?? "(server)", p.event ?? "", payload];
}

/** The line above the table: how many are shown and the stream position. */
export function historySummary(answer: HistoryAnswer): string {
  const n = answer.publications.length;
  if (n === 0) return `Nothing in history (position ${answer.offset}, epoch ${answer.epoch})`;
  return `Newest ${n}, newest first (position ${answer.offset}, epoch ${answer.epoch})`;
}

/** Renders the newest publications of `topic` into `into`. */
export async function renderHistory(topic: string, api: Api, into: DomElement): Promise<void> {
  const result = await api.call(
    "GET",
    `/topics/${encodeURIComponent(topic)}/history?limit=${HISTORY_LIMIT}&reverse=true`,
  );
  if (!result.ok) {
    into.replaceChildren(el("p", result.message, result.status === 404 ? "muted" : "bad"));
    return;
  }
  const answer = result.body as HistoryAnswer;
  const summary = el("p", historySummary(answer), "muted");
  if (answer.publications.length === 0) return into.replaceChildren(summary);
  const table = el("table");
  table.className = "history";
  const head = el("tr");
  for (const title of ["Offset", "Time (UTC)", "From", "Event", "Payload"]) {
    const th = el("th", title, title === "Offset" ? "num" : undefined);
    th.setAttribute("scope", "col");
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const p of answer.publications) {
    const [offset, time, from, event, payload] = historyCells(p);
    const tr = el("tr");
    tr.dataset.offset = offset;
    tr.append(
      el("td", offset, "num"),
      el("td", time),
      el("td", from, "mono"),
      el("td", event, "mono"),
      el("td", payload, "mono payload"),
    );
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const scroll = el("div", undefined, "scroll");
  scroll.append(table);
  into.replaceChildren(summary, scroll);
}
