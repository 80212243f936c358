/**
 * Deciding a pattern subscription on the rule trie. A pattern target is
 * denied by the first deny entry whose pattern overlaps it and allowed by the
 * first allow entry whose pattern contains it; instead of testing every
 * entry, the walk follows only the branches that can overlap or contain.
 *
 * The walk reads a template slot as the principal's value for it (a slot it
 * cannot fill matches nothing, and a filled slot is one valid segment, never
 * a wildcard). Where the target's next segment is a wildcard, every branch
 * below can overlap it, so the overlap walk stops descending and tests the
 * node's list of deny entries below it, in order, rather than visit each
 * branch. Every entry reached is checked with the exact, length-bounded
 * `overlapSplit` or `containsSplit` on its expanded pattern, so the walk may
 * test entries that do not match but never decides differently from testing
 * every entry in order.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { conditionHolds } from "./_condition.ts";
import { expandEntry, type RuleEntry } from "./_entries.ts";
import {
  containsSplit,
  maxTopicSegments,
  overlapSplit,
  type SplitPattern,
} from "../topic/split_pattern.ts";
import type { Trie, TrieNode } from "./_trie.ts";
import { resolveTemplateRef } from "./template.ts";

/** Per-decision state: the best entry found so far and resolved slot values. */
class PatternWalk {
  best: RuleEntry | undefined = undefined;
  /** Whether the target's `**` can stand for one segment only, at the length limits. */
  readonly #oneMore: boolean;
  #values: (string | undefined | null)[] | undefined = undefined;

  constructor(
    readonly trie: Trie,
    readonly principal: Principal,
    readonly action: number,
    readonly bit: number,
    readonly target: SplitPattern,
  ) {
    const fixed = target.segments.length;
    this.#oneMore = target.tail && maxTopicSegments(target, true) === fixed + 1;
  }

  /** The segment a template slot stands for, or `undefined` when the principal cannot fill it. */
  slotValue(slot: number): string | undefined {
    const values = this.#values ??= new Array(this.trie.refs.length).fill(null);
    let value = values[slot];
    if (value === null) {
      value = values[slot] = resolveTemplateRef(this.trie.refs[slot], this.principal);
    }
    return value;
  }

  /** Takes the first entry of `list` (in order) that beats `best`, holds and matches. */
  #scan(list: readonly RuleEntry[] | undefined, deny: boolean): void {
    if (list === undefined) return;
    for (const entry of list) {
      if (this.best !== undefined && entry.order >= this.best.order) return;
      if (!conditionHolds(entry.condition, this.principal)) continue;
      const outer = expandEntry(entry, this.principal);
      if (outer === undefined) continue;
      if (deny ? overlapSplit(outer, this.target, true) : containsSplit(outer, this.target, true)) {
        this.best = entry;
        return;
      }
    }
  }

  /**
   * Deny entries under `at`, reached by matching the target's first `depth`
   * segments (all literal), that share a topic with the target.
   */
  overlap(at: TrieNode, depth: number): void {
    const below = at.denyBelow?.[this.action];
    if (below === undefined || (this.best !== undefined && below[0].order >= this.best.order)) {
      return;
    }
    // A pattern target has a `*` or a final `**`, so every path ends at a wildcard: past the
    // target's fixed segments comes its `**`.
    const segments = this.target.segments;
    const segment = depth < segments.length ? segments[depth] : "*";
    // A wildcard takes every branch below: testing the entries below costs no more than walking them.
    if (segment === "*") {
      this.#scan(below, true);
      return;
    }
    // A deny `**` here takes the one or more segments the target still has.
    this.#scan(at.deepDeny?.[this.action], true);
    const next = at.lit?.get(segment);
    if (next !== undefined) this.overlap(next, depth + 1);
    if (at.star !== undefined) this.overlap(at.star, depth + 1);
    if (at.slots !== undefined) {
      for (const edge of at.slots) {
        if (this.slotValue(edge.slot) === segment) this.overlap(edge.node, depth + 1);
      }
    }
  }

  /**
   * Allow entries under `at`, reached with `depth` segments each covering
   * the target's, whose topics include all of the target's. A target `*` is
   * covered only by a rule `*`: a literal or a filled template names one
   * segment. A valid target always has a valid topic (its `**` has room for
   * at least one segment), so `containsSplit`'s empty-target case, where
   * every pattern contains it, cannot arise.
   */
  contain(at: TrieNode, depth: number): void {
    if ((at.mask & this.bit) === 0) return;
    const { segments, tail } = this.target;
    if (depth === segments.length) {
      if (!tail) {
        this.#scan(at.endAllow?.[this.action], false);
        return;
      }
      this.#scan(at.deepAllow?.[this.action], false);
      if (this.#oneMore && at.star !== undefined) {
        this.#scan(at.star.endAllow?.[this.action], false);
      }
      return;
    }
    // A rule `**` here takes the one or more segments the target still has.
    this.#scan(at.deepAllow?.[this.action], false);
    const segment = segments[depth];
    if (at.star !== undefined) this.contain(at.star, depth + 1);
    if (segment === "*") return;
    const next = at.lit?.get(segment);
    if (next !== undefined) this.contain(next, depth + 1);
    if (at.slots !== undefined) {
      for (const edge of at.slots) {
        if (this.slotValue(edge.slot) === segment) this.contain(edge.node, depth + 1);
      }
    }
  }
}

/**
 * The deciding entry for a valid pattern target and an action bit (see
 * `actionBit`): the first deny entry overlapping the target whose condition
 * holds, else the first such allow entry containing it, else `undefined`.
 */
export function findPatternEntry(
  trie: Trie,
  principal: Principal,
  bit: number,
  target: SplitPattern,
): RuleEntry | undefined {
  const walk = new PatternWalk(trie, principal, 31 - Math.clz32(bit), bit, target);
  walk.overlap(trie.root, 0);
  if (walk.best !== undefined) return walk.best;
  walk.contain(trie.root, 0);
  return walk.best;
}
