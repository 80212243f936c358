// "Did you mean": the known setting names closest to a name nobody reads.
// Pure, so a table of misspellings tests it.

/** At most this many names are suggested when several fit equally. */
const MAX_SUGGESTIONS = 3;

/**
 * The known names a misspelt one most likely meant, best first; empty when
 * none is close. A name that is a whole-word prefix of known names
 * (`REALTIME_REDIS` of `REALTIME_REDIS_URL`) or extends one
 * (`REALTIME_ADMIN_KEY_FILE`) means those; then a typo within a small edit
 * distance of the part after the shared `REALTIME_`; then the names that
 * share the most leading words beyond `REALTIME_`.
 */
export function suggestNames(name: string, known: readonly string[]): string[] {
  const words = name.split("_");
  const related = known.filter((candidate) => {
    const other = candidate.split("_");
    const [short, long] = other.length < words.length ? [other, words] : [words, other];
    return short.length > 1 && short.every((word, i) => word === long[i]);
  });
  if (related.length > 0) {
    return related
      .sort((a, b) => Math.abs(a.length - name.length) - Math.abs(b.length - name.length))
      .slice(0, MAX_SUGGESTIONS);
  }
  // Edits are counted on what follows the prefix all names share, and only a
  // few are a typo: REALTIME_REDIS is 4 edits from REALTIME_ENV, not a slip.
  const tail = (text: string) => text.replace(/^REALTIME_/, "");
  const typed = tail(name);
  const limit = Math.max(1, Math.min(3, Math.floor(typed.length / 3)));
  const scored = known
    .map((candidate) => ({ candidate, distance: editDistance(typed, tail(candidate)) }))
    .filter(({ distance }) => distance <= limit);
  if (scored.length > 0) {
    const best = Math.min(...scored.map(({ distance }) => distance));
    return scored
      .filter(({ distance }) => distance === best)
      .map(({ candidate }) => candidate)
      .slice(0, MAX_SUGGESTIONS);
  }
  // Same leading words beyond REALTIME_ (REALTIME_REDIS_HOST, REALTIME_REDIS_URL).
  const shared = known.map((candidate) => ({ candidate, words: sharedWords(words, candidate) }));
  const most = Math.max(0, ...shared.map(({ words }) => words));
  if (most < 2) return [];
  return shared
    .filter(({ words }) => words === most)
    .map(({ candidate }) => candidate)
    .sort((a, b) => editDistance(name, a) - editDistance(name, b))
    .slice(0, MAX_SUGGESTIONS);
}

/** How many leading `_`-separated words a name shares with `candidate`. */
function sharedWords(words: readonly string[], candidate: string): number {
  const other = candidate.split("_");
  let n = 0;
  while (n < words.length && n < other.length && words[n] === other[n]) n++;
  return n;
}

/** Levenshtein distance (names are short: a two-row table is plenty). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
