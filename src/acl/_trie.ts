/**
 * A segment trie over rule patterns, so a decision for a concrete topic walks
 * only the branches its segments can take instead of scanning every rule.
 *
 * Children of a node: literal segments (a map), `*`, and template slots. A
 * slot child is taken when the principal's claim for that template equals the
 * topic segment. Entries sit where a pattern ends (`end`) or where its `**`
 * starts (`deep`), split by effect and action and kept in `order`, so the
 * first entry whose condition holds is the best one at that node. Each node
 * also lists every deny entry of its subtree, per action and in order, for
 * pattern targets (see `_trie_pattern.ts`).
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { isTemplateSegment, templateRef } from "../topic/grammar.ts";
import { conditionHolds } from "./_condition.ts";
import type { RuleEntry } from "./_entries.ts";
import { resolveTemplateRef } from "./template.ts";

/** Entry lists indexed by action (`31 - Math.clz32(bit)`), each in `order`. */
type Lists = (RuleEntry[] | undefined)[];

/** One trie node; the root stands for the empty prefix. */
export interface TrieNode {
  /** Actions covered anywhere in this subtree, to prune walks early. */
  mask: number;
  /** Every deny entry at this node or below it. */
  denyBelow: Lists | undefined;
  lit: Map<string, TrieNode> | undefined;
  star: TrieNode | undefined;
  slots: { slot: number; node: TrieNode }[] | undefined;
  endDeny: Lists | undefined;
  endAllow: Lists | undefined;
  deepDeny: Lists | undefined;
  deepAllow: Lists | undefined;
}

/** A compiled trie plus the template references its slots stand for. */
export interface Trie {
  readonly root: TrieNode;
  readonly refs: readonly string[];
}

function node(): TrieNode {
  return {
    mask: 0,
    denyBelow: undefined,
    lit: undefined,
    star: undefined,
    slots: undefined,
    endDeny: undefined,
    endAllow: undefined,
    deepDeny: undefined,
    deepAllow: undefined,
  };
}

function push(lists: Lists, actions: number, entry: RuleEntry): void {
  for (let a = 0; a < 4; a++) if (actions & (1 << a)) (lists[a] ??= []).push(entry);
}

function mark(at: TrieNode, entry: RuleEntry): void {
  at.mask |= entry.actions;
  if (entry.deny) push(at.denyBelow ??= [], entry.actions, entry);
}

/** Builds the trie; `entries` must be in `order`. */
export function buildTrie(entries: readonly RuleEntry[]): Trie {
  const root = node();
  const refs: string[] = [];
  for (const entry of entries) {
    let at = root;
    mark(at, entry);
    for (const segment of entry.split.segments) {
      if (segment === "*") at = at.star ??= node();
      else if (isTemplateSegment(segment)) {
        const ref = templateRef(segment) ?? segment;
        let slot = refs.indexOf(ref);
        if (slot < 0) slot = refs.push(ref) - 1;
        const slots = at.slots ??= [];
        let edge = slots.find((e) => e.slot === slot);
        if (edge === undefined) slots.push(edge = { slot, node: node() });
        at = edge.node;
      } else {
        const lit = at.lit ??= new Map();
        let next = lit.get(segment);
        if (next === undefined) lit.set(segment, next = node());
        at = next;
      }
      mark(at, entry);
    }
    const lists = entry.split.tail
      ? entry.deny ? at.deepDeny ??= [] : at.deepAllow ??= []
      : entry.deny
      ? at.endDeny ??= []
      : at.endAllow ??= [];
    push(lists, entry.actions, entry);
  }
  return { root, refs };
}

/** Per-decision state: the best entries found so far and resolved slot values. */
class Walk {
  deny: RuleEntry | undefined = undefined;
  allow: RuleEntry | undefined = undefined;
  #values: (string | undefined | null)[] | undefined = undefined;

  constructor(
    readonly trie: Trie,
    readonly principal: Principal,
    readonly action: number,
    readonly bit: number,
    readonly topic: readonly string[],
  ) {}

  slotValue(slot: number): string | undefined {
    const values = this.#values ??= new Array(this.trie.refs.length).fill(null);
    let value = values[slot];
    if (value === null) {
      value = values[slot] = resolveTemplateRef(this.trie.refs[slot], this.principal);
    }
    return value;
  }

  scan(deny: Lists | undefined, allow: Lists | undefined): void {
    const denyList = deny?.[this.action];
    if (denyList !== undefined) {
      for (const entry of denyList) {
        if (this.deny !== undefined && entry.order >= this.deny.order) break;
        if (conditionHolds(entry.condition, this.principal)) {
          this.deny = entry;
          break;
        }
      }
    }
    const allowList = this.deny === undefined ? allow?.[this.action] : undefined;
    if (allowList !== undefined) {
      for (const entry of allowList) {
        if (this.allow !== undefined && entry.order >= this.allow.order) break;
        if (conditionHolds(entry.condition, this.principal)) {
          this.allow = entry;
          break;
        }
      }
    }
  }

  visit(at: TrieNode, depth: number): void {
    if ((at.mask & this.bit) === 0) return;
    const topic = this.topic;
    if (depth === topic.length) {
      this.scan(at.endDeny, at.endAllow);
      return;
    }
    this.scan(at.deepDeny, at.deepAllow);
    const segment = topic[depth];
    const lit = at.lit?.get(segment);
    if (lit !== undefined) this.visit(lit, depth + 1);
    if (at.star !== undefined) this.visit(at.star, depth + 1);
    if (at.slots !== undefined) {
      for (const edge of at.slots) {
        if (this.slotValue(edge.slot) === segment) this.visit(edge.node, depth + 1);
      }
    }
  }
}

/**
 * The deciding entry for a concrete topic and an action bit (see `actionBit`): the first matching deny entry
 * whose condition holds, else the first such allow entry, else `undefined`.
 */
export function findEntry(
  trie: Trie,
  principal: Principal,
  bit: number,
  topic: readonly string[],
): RuleEntry | undefined {
  const walk = new Walk(trie, principal, 31 - Math.clz32(bit), bit, topic);
  walk.visit(trie.root, 0);
  return walk.deny ?? walk.allow;
}
