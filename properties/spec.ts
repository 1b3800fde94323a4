// The design's quorum rules, restated independently of the model (DESIGN.md §2), so that a bug in
// the model's quorum code cannot also blind the invariants that judge durability by it.
//
//   uniform:   write = at least 4 of the 6; read = at least 3 of the 6
//   full/tail: write = 4 of 6 OR all 3 full; read = 3 of 6 AND at least 1 full
//   change:    write = a write quorum of every set; read = a read quorum of any set

import type { Config, Membership, NodeId } from '../model/types.js';

/** How many nodes of `set` are in `yes` (and, when `only` is given, in `only`). */
function count(set: readonly NodeId[], yes: ReadonlySet<NodeId>, only?: readonly NodeId[]): number {
  let k = 0;
  for (const n of set) if (yes.has(n) && (only === undefined || only.includes(n))) k++;
  return k;
}

function writesOf(config: Config, set: readonly NodeId[], full: readonly NodeId[], yes: ReadonlySet<NodeId>): boolean {
  if (count(set, yes) >= 4) return true;
  if (config.layout !== 'fullTail') return false;
  const fullHere: NodeId[] = [];
  for (const n of set) if (full.includes(n)) fullHere.push(n);
  return fullHere.length === 3 && count(fullHere, yes) === 3;
}

function readsOf(config: Config, set: readonly NodeId[], full: readonly NodeId[], yes: ReadonlySet<NodeId>): boolean {
  if (count(set, yes) < 3) return false;
  return config.layout !== 'fullTail' || count(set, yes, full) >= 1;
}

/**
 * What of a membership the rules here read, as a string: its sets and its full segments (with the
 * config's layout, the whole input). Memberships with the same key get the same answers.
 */
export function ruleKey(m: Membership): string {
  return `${m.sets.map((set) => set.join(',')).join('+')}|${m.full.join(',')}`;
}

export function specWriteQuorum(config: Config, m: Membership, nodes: Iterable<NodeId>): boolean {
  const yes = new Set(nodes);
  // Loops, not every/some/filter: those are slow on frozen lists (model/frozen.ts anyOf).
  for (const set of m.sets) if (!writesOf(config, set, m.full, yes)) return false;
  return true;
}

export function specReadQuorum(config: Config, m: Membership, nodes: Iterable<NodeId>): boolean {
  const yes = new Set(nodes);
  for (const set of m.sets) if (readsOf(config, set, m.full, yes)) return true;
  return false;
}
