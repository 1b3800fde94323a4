// The control plane: its durable metadata (next epoch, writer, per-PG membership) and its
// background work: self-healing membership changes and volume growth.
//
// A PG replaces a failed segment F (node down replaceAfterTicks ticks, or disk lost) by a spare G
// of the same AZ through membership epochs (SIGMOD 2018 §4):
//   ABCDEF  ->  [ABCDEF, ABCDEG]  ->  ABCDEG   (or back to ABCDEF if F returns first)
// A second failure during a change stacks one more set. Each step is one membership-epoch write.
// It sees storage state directly, as a monitoring service would. Memberships are immutable values
// (frozen), so the vocabulary's memoized helpers (membersOf, quorumsFor) key on them; `version`
// counts membership writes so writers can tell cheaply that their cached PGCLs are stale.

import type { Lsn, Membership, NodeId } from '../model/types.js';
import { FULL_NODES, INITIAL_MEMBERS, STORAGE_NODES, WRITER, azOf as azOf_, bug, membersOf as membersOf_, quorumsFor } from '../model/types.js';
import { wins } from '../model/quorum.js';
import { assert as assert_ } from './assert.js';
import type { Cluster } from './cluster.js';
import { Segment } from './segment.js';
import { recordAnnulled } from './log.js';
import { WriterUp } from './writer.js';
import { storageIndex } from './watermarks.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const azOf: typeof azOf_ = azOf_;
const membersOf: typeof membersOf_ = membersOf_;
const assert: typeof assert_ = assert_;

/**
 * The volume never grows past this many PGs (as in the model: addPg beyond it is a no-op). A
 * volume may start with more (the model does not bound config.pgCount; benchmarks use thousands).
 */
export const PGS_MAX = 6;

export class ControlPlane {
  epochNext = 2;
  writer: NodeId = WRITER;
  readonly pgs: Membership[];
  /** Bumped by every membership write and every added PG. */
  version = 0;
  /** PGs with a membership change in flight (more than one set). */
  joint = 0;

  constructor(pgCount: number) {
    assert(Number.isInteger(pgCount) && pgCount >= 1, 'the volume starts with at least one PG');
    this.pgs = Array.from({ length: pgCount }, initialMembership);
  }

  setMembership(pg: number, m: Membership): void {
    const old = this.pgs[pg];
    assert(old !== undefined, 'membership of an existing PG');
    assert(m.epoch === old.epoch + 1, 'each membership step is one epoch');
    if (old.sets.length > 1) this.joint--;
    if (m.sets.length > 1) this.joint++;
    this.pgs[pg] = m;
    this.version++;
  }

  addPg(): number {
    assert(this.pgs.length < PGS_MAX, 'room for a PG');
    this.pgs.push(initialMembership());
    this.version++;
    return this.pgs.length - 1;
  }
}

export function membership(epoch: number, sets: readonly (readonly NodeId[])[], full: readonly NodeId[]): Membership {
  assert(sets.length >= 1, 'a membership has a set');
  const members = STORAGE_NODES.filter((n) => sets.some((set) => set.includes(n)));
  return Object.freeze({
    epoch,
    sets: Object.freeze(sets.map((s) => Object.freeze([...s]))),
    full: Object.freeze(full.filter((n) => members.includes(n))),
  });
}

/** Every PG starts with the same membership value: one frozen object, so per-value memos are shared. */
let initialValue: Membership | null = null;

export function initialMembership(): Membership {
  return (initialValue ??= membership(1, [INITIAL_MEMBERS], FULL_NODES));
}

export function controlTick(c: Cluster): void {
  const count = c.control.pgs.length;
  // Fast path: no change in flight, every storage node up and no segment blank: nothing failed,
  // so no PG begins a change (begin() would find no failed member).
  if (c.control.joint === 0 && allWhole(c)) return;
  const settled = noneSealing(c);
  for (let pg = 0; pg < count; pg++) {
    const m = c.control.pgs[pg]!;
    if (m.sets.length > 1 && settled && complete(c, m, pg)) continue;
    if (m.sets.length > 1 && settled && rollback(c, m, pg)) continue;
    begin(c, m, pg);
  }
  assert(c.control.pgs.length === count, 'a tick adds no PG');
}

/** No compute node is sealing (model/control.ts controlTick: a change completes or rolls back only then). */
function noneSealing(c: Cluster): boolean {
  for (const id of c.computeIds) if (c.computeNode(id).status === 'sealing') return false;
  return true;
}

function allWhole(c: Cluster): boolean {
  const nodes = c.storageList;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    // (`up` compared with true: a plain truthiness test of a boolean field is a generic ToBoolean.)
    if (n.up !== true || n.holdsBlank()) return false;
  }
  return true;
}

function intact(c: Cluster, node: NodeId, pg: number): boolean {
  const n = c.storageNode(node);
  return n.up && !n.segment(pg).blank;
}

/** Down for replaceAfterTicks ticks, or blank without being a replacement in progress. */
function failed(c: Cluster, m: Membership, node: NodeId, pg: number): boolean {
  const n = c.storageNode(node);
  if (!n.up && c.time - n.downSince >= c.config.replaceAfterTicks) return true;
  return n.segment(pg).blank && m.sets[0]!.includes(node);
}

/**
 * The newest set is whole once every replacement in it has caught up with the intact old members,
 * and only when those form a read quorum (model/control.ts complete: with fewer, their highest
 * SCL may miss every commit).
 */
function complete(c: Cluster, m: Membership, pg: number): boolean {
  const stable = m.sets[0]!;
  const newest = m.sets[m.sets.length - 1]!;
  const fresh = newest.filter((n) => !stable.includes(n));
  const whole = stable.filter((n) => intact(c, n, pg));
  if (!wins(quorumsFor(c.config, m).read, whole) && !bug(c.config, 'change-completes-without-read-quorum')) return false;
  let target = 0;
  for (const n of whole) target = Math.max(target, heldThrough(c.storageNode(n).segment(pg), bug(c.config, 'hydration-waits-gc-point')));
  const hydrated = (n: NodeId): boolean => {
    const node = c.storageNode(n);
    return node.up && node.segment(pg).sealedEpoch > 0 && node.segment(pg).scl >= target;
  };
  if (!fresh.every(hydrated)) return false;
  for (const n of fresh) c.storageNode(n).segment(pg).blank = false;
  step(c, m, pg, 'complete', [newest]);
  return true;
}

/** model/control.ts heldThrough: the highest record within the SCL that no range annuls. */
function heldThrough(seg: Segment, fromGcPoint: boolean): Lsn {
  const scl = seg.scl;
  let out = fromGcPoint ? seg.gcPoint : 0;
  for (const r of seg.recordsAfter(0)) if (r.lsn > out && r.lsn <= scl && !recordAnnulled(seg.ranges, r)) out = r.lsn;
  return out;
}

/** Every member of the stable set is back and whole: drop the change, forget the replacements. */
function rollback(c: Cluster, m: Membership, pg: number): boolean {
  const stable = m.sets[0]!;
  if (!stable.every((n) => intact(c, n, pg))) return false;
  for (const n of membersOf(m)) {
    if (stable.includes(n)) continue;
    const node = c.storageNode(n);
    const old = node.segment(pg);
    node.replaceSegment(pg, Segment.empty(old.writer, true, old));
  }
  step(c, m, pg, 'rollback', [stable]);
  return true;
}

/** Replace the first failed member of the newest set by an up spare of the same AZ. */
function begin(c: Cluster, m: Membership, pg: number): void {
  const newest = m.sets[m.sets.length - 1]!;
  const gone = newest.find((n) => failed(c, m, n, pg));
  if (gone === undefined) return;
  const used = membersOf(m);
  const spare = STORAGE_NODES.find((n) => !used.includes(n) && c.storageNode(n).up && azOf(n) === azOf(gone));
  if (spare === undefined) return;
  const node = c.storageNode(spare);
  node.replaceSegment(pg, Segment.empty(c.control.writer, true, node.segment(pg)));
  // The volume's current epoch promised from the start (model/control.ts begin).
  node.segment(pg).epoch = c.control.epochNext - 1;
  // Every writer up forgets what the node's earlier segment reported (model/writer.ts replacementBegun).
  if (!bug(c.config, 'writer-keeps-spare-scl')) {
    for (const id of c.computeIds) {
      const w = c.computeNode(id);
      if (w instanceof WriterUp) w.newIncarnation(pg, storageIndex(spare), node.segment(pg).incarnation);
    }
  }
  const full = m.full.includes(gone) ? [...m.full, spare] : m.full;
  step(c, m, pg, 'begin', [...m.sets, newest.map((n) => (n === gone ? spare : n))], full);
}

function step(c: Cluster, m: Membership, pg: number, kind: 'begin' | 'complete' | 'rollback', sets: readonly (readonly NodeId[])[], full = m.full): void {
  const next = membership(m.epoch + 1, sets, full);
  c.control.setMembership(pg, next);
  c.observe({ kind: 'membership', pg, epoch: next.epoch, step: kind, sets: next.sets });
}

/** Volume growth: a new PG on the initial members, its segments empty and unsealed. */
export function addPg(c: Cluster): void {
  if (c.control.pgs.length >= PGS_MAX) {
    c.noop(`volume is at ${PGS_MAX} PGs`);
    return;
  }
  const pg = c.control.addPg();
  for (const n of STORAGE_NODES) c.storageNode(n).addSegment(pg, Segment.empty(c.control.writer, false));
  c.observe({ kind: 'pgAdded', pg, pages: [pg * c.config.pagesPerPg, (pg + 1) * c.config.pagesPerPg - 1] });
}
