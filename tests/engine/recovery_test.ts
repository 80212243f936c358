import assert from "node:assert/strict";
import type { HistoryEntry, StreamPosition } from "../../src/engine/engine.ts";
import { decideRecovery, type StreamView } from "../../src/engine/recovery.ts";

/** A stream holding offsets `oldest..offset`. */
function view(epoch: string, offset: number, oldest: number): StreamView {
  const entry = (o: number): HistoryEntry => ({
    offset: o,
    publication: { data: `${o}`, from: null, ts: o },
  });
  return {
    epoch,
    offset,
    oldest,
    read(from, count) {
      const out: HistoryEntry[] = [];
      for (let o = Math.max(from, oldest); o < from + count && o <= offset; o++) out.push(entry(o));
      return out;
    },
  };
}

Deno.test("decideRecovery answers by table", () => {
  const stream = view("e", 10, 6); // holds 6..10
  const table: [StreamPosition, number, number[] | string][] = [
    [{ offset: 10, epoch: "e" }, 100, []],
    [{ offset: 9, epoch: "e" }, 100, [10]],
    [{ offset: 5, epoch: "e" }, 100, [6, 7, 8, 9, 10]],
    [{ offset: 4, epoch: "e" }, 100, "gap"],
    [{ offset: 0, epoch: "e" }, 100, "gap"],
    [{ offset: 5, epoch: "other" }, 100, "epoch"],
    [{ offset: 11, epoch: "e" }, 100, "ahead"],
    [{ offset: 5, epoch: "e" }, 5, [6, 7, 8, 9, 10]],
    [{ offset: 5, epoch: "e" }, 4, "cap"],
    [{ offset: 10, epoch: "e" }, 0, []],
    [{ offset: 9, epoch: "e" }, 0, "cap"],
  ];
  for (const [since, cap, expected] of table) {
    const got = decideRecovery(since, stream, cap);
    const label = `${JSON.stringify(since)} cap ${cap}`;
    assert.deepEqual(got.position, { offset: 10, epoch: "e" }, label);
    if (typeof expected === "string") {
      assert.equal(got.recovered, false, label);
      assert.equal(!got.recovered && got.reason, expected, label);
      assert.equal("publications" in got, false, `${label}: no publications on failure`);
    } else {
      assert.equal(got.recovered, true, label);
      assert.deepEqual(got.recovered && got.publications.map((p) => p.offset), expected, label);
    }
  }
});

Deno.test("decideRecovery never presents a short read as complete", () => {
  const honest = view("e", 10, 1);
  const lying: StreamView = { ...honest, read: (from, count) => honest.read(from, count - 1) };
  assert.deepEqual(decideRecovery({ offset: 3, epoch: "e" }, lying, 100).recovered, false);
  const shuffled: StreamView = {
    ...honest,
    read: (from, count) => honest.read(from, count).reverse(),
  };
  assert.deepEqual(decideRecovery({ offset: 3, epoch: "e" }, shuffled, 100).recovered, false);
});

Deno.test("decideRecovery property: recovered means exactly the missed offsets", () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 2000; i++) {
    const offset = random(50);
    const oldest = 1 + random(offset + 1); // 1..offset+1
    const since = random(60);
    const cap = random(60);
    const got = decideRecovery({ offset: since, epoch: "e" }, view("e", offset, oldest), cap);
    const missed = offset - since;
    const possible = since <= offset && missed <= cap && (missed === 0 || oldest <= since + 1);
    assert.equal(got.recovered, possible, JSON.stringify({ offset, oldest, since, cap }));
    if (got.recovered) {
      assert.deepEqual(
        got.publications.map((p) => p.offset),
        Array.from({ length: missed }, (_, k) => since + 1 + k),
      );
    }
  }
});

Deno.test("decideRecovery rejects a bad cap", () => {
  for (const cap of [-1, 1.5, NaN]) {
    assert.throws(
      () => decideRecovery({ offset: 0, epoch: "e" }, view("e", 0, 1), cap),
      RangeError,
    );
  }
});
