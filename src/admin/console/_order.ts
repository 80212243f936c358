// Keeping a table body in the wanted row order while moving as few rows as
// possible: moving a row out of the DOM drops the keyboard focus inside it.

import type { DomElement } from "./_dom.ts";

/**
 * Puts `rows` (keyed, wanted order) into `body`, whose rows were `previous`
 * (keys, in order, rows no longer wanted already removed). When the kept
 * rows are still in order and new ones come last, only those are appended.
 * Returns the new order.
 */
export function placeRows(
  body: DomElement,
  previous: readonly string[],
  rows: readonly { key: string; tr: DomElement }[],
): string[] {
  const next = rows.map((r) => r.key);
  const before = new Set(previous);
  const kept = next.filter((k) => before.has(k));
  const firstNew = next.findIndex((k) => !before.has(k));
  const stillThere = previous.filter((k) => next.includes(k));
  const inOrder = kept.length === stillThere.length && kept.every((k, i) => k === stillThere[i]);
  const newAtEnd = firstNew < 0 || next.slice(firstNew).every((k) => !before.has(k));
  if (inOrder && newAtEnd) {
    if (firstNew >= 0) { for (const r of rows.slice(firstNew)) body.append(r.tr); }
  } else {
    for (const r of rows) body.append(r.tr);
  }
  return next;
}
