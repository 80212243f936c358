/**
 * A segment trie over the distinct subscribed patterns, so a publication
 * visits only the branches its segments can take instead of testing every
 * pattern on the hub. Internal to the registry.
 *
 * Children of a node: literal segments (a map) and `*`. A pattern sits at
 * the node its fixed segments lead to, as `end` when it stops there or as
 * `deep` when a `**` follows (one or more further segments). A path and its
 * end kind spell exactly one pattern, so each node holds at most one of each.
 * The grammar (`*` one segment, a final `**` one or more) is the one
 * `matchPattern` in `topic/pattern.ts` implements; the property test checks the
 * two agree.
 *
 * @module
 */

interface PatternNode {
  lit: Map<string, PatternNode> | undefined;
  star: PatternNode | undefined;
  /** The pattern whose segments end here. */
  end: string | undefined;
  /** The pattern whose segments end here followed by `**`. */
  deep: string | undefined;
}

function node(): PatternNode {
  return { lit: undefined, star: undefined, end: undefined, deep: undefined };
}

function isEmpty(at: PatternNode): boolean {
  return at.end === undefined && at.deep === undefined && at.star === undefined &&
    (at.lit === undefined || at.lit.size === 0);
}

/** Distinct valid patterns, found by the topics they match. */
export class PatternIndex {
  #root: PatternNode = node();
  #size = 0;

  /** Distinct patterns held. */
  get size(): number {
    return this.#size;
  }

  /** Adds a valid pattern; `false` when it was already there. */
  add(pattern: string): boolean {
    const segments = pattern.split(":");
    const deep = segments[segments.length - 1] === "**";
    const fixed = deep ? segments.length - 1 : segments.length;
    let at = this.#root;
    for (let i = 0; i < fixed; i++) {
      const segment = segments[i];
      if (segment === "*") at = at.star ??= node();
      else {
        const lit = at.lit ??= new Map();
        let next = lit.get(segment);
        if (next === undefined) lit.set(segment, next = node());
        at = next;
      }
    }
    if ((deep ? at.deep : at.end) !== undefined) return false;
    if (deep) at.deep = pattern;
    else at.end = pattern;
    this.#size++;
    return true;
  }

  /** Removes a pattern and the branches only it used; `false` when it was not there. */
  delete(pattern: string): boolean {
    const segments = pattern.split(":");
    const deep = segments[segments.length - 1] === "**";
    const fixed = deep ? segments.length - 1 : segments.length;
    const path: PatternNode[] = [this.#root];
    let at: PatternNode | undefined = this.#root;
    for (let i = 0; i < fixed && at !== undefined; i++) {
      at = segments[i] === "*" ? at.star : at.lit?.get(segments[i]);
      if (at !== undefined) path.push(at);
    }
    if (at === undefined || (deep ? at.deep : at.end) !== pattern) return false;
    if (deep) at.deep = undefined;
    else at.end = undefined;
    this.#size--;
    // Prune from the leaf up, so a hub that saw many short-lived patterns does not keep their nodes.
    for (let i = fixed; i > 0 && isEmpty(path[i]); i--) {
      const parent = path[i - 1];
      if (segments[i - 1] === "*") parent.star = undefined;
      else {
        parent.lit!.delete(segments[i - 1]);
        if (parent.lit!.size === 0) parent.lit = undefined;
      }
    }
    return true;
  }

  /**
   * Calls `fn` once for each held pattern that matches the split concrete
   * topic; the walk visits only nodes on paths the topic can take.
   *
   * @returns How many trie nodes the walk visited: its cost, bounded by the
   * matching prefixes of held patterns rather than by how many are held.
   */
  forEachMatch(topic: readonly string[], fn: (pattern: string) => void): number {
    return this.#size > 0 ? visit(this.#root, topic, 0, fn) : 0;
  }
}

function visit(
  at: PatternNode,
  topic: readonly string[],
  depth: number,
  fn: (pattern: string) => void,
): number {
  if (depth === topic.length) {
    if (at.end !== undefined) fn(at.end);
    return 1;
  }
  // `**` takes the one or more segments still left.
  if (at.deep !== undefined) fn(at.deep);
  let visited = 1;
  const next = at.lit?.get(topic[depth]);
  if (next !== undefined) visited += visit(next, topic, depth + 1, fn);
  if (at.star !== undefined) visited += visit(at.star, topic, depth + 1, fn);
  return visited;
}
