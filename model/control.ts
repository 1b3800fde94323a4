// The control plane: self-healing through membership changes, and volume growth.
//
// A PG replaces a failed segment F (its node down for replaceAfterTicks ticks, or its disk lost)
// by a spare G of the same AZ through membership epochs (SIGMOD 2018 §4):
//   ABCDEF  ->  [ABCDEF, ABCDEG]  (writes: 4/6 of both; reads: 3/6 of either)  ->  ABCDEG
// completing once G has hydrated (its SCL reaches the last record the intact old members hold,
// heldThrough, and those form a read quorum), or rolling back to ABCDEF if F returns first. A
// second failure during a change stacks one more set the same way. Each step is one
// membership-epoch write. Reads and writes go on throughout: the writer and storage always use the
// current sets, and requests of an older membership epoch are refused. The control plane sees
// storage state directly, as a monitoring service would.

import type { Ctx } from './network.js';
import type { Lsn, Membership, NodeId } from './types.js';
import { FULL_NODES, INITIAL_MEMBERS, STORAGE_NODES, azOf, bug, membersOf, quorumsFor } from './types.js';
import { wins } from './quorum.js';
import { replacementBegun } from './writer.js';
import { recordAnnulled, sclOf } from './log.js';
import { emptySegment, nodeOf, replaceSegment, segmentOf, segmentsOf, setSegments, updateSegment } from './storage.js';
import { anyOf, eachOf, findIn, frozen, opaque } from './frozen.js';
import type { ControlDurable, SegmentDurable, State } from './state.js';

/**
 * The control plane's durable metadata is a value (opaque to immer, read plainly): a change
 * replaces it whole.
 */
export function setControl(ctx: Ctx, change: Partial<ControlDurable>): void {
  ctx.s.control = opaque(ctx.s.control, change);
}

/** The volume never grows past this many PGs in the model (addPg beyond it is a no-op). */
export const PGS_MAX = 6;

const segment = segmentOf;

function intact(ctx: Ctx, node: NodeId, pg: number): boolean {
  return nodeOf(ctx, node).volatile.up && !segment(ctx, node, pg).blank;
}

/** Down for replaceAfterTicks ticks, or blank without being a replacement in progress. */
function failed(ctx: Ctx, fleet: State['storage'], m: Membership, node: NodeId, pg: number): boolean {
  const n = fleet[node]!;
  if (!n.volatile.up && ctx.s.world.time - n.volatile.downSince >= ctx.config.replaceAfterTicks) return true;
  return n.durable.segments[pg]!.blank && m.sets[0]!.includes(node);
}

/**
 * A change completes or rolls back only while no writer is sealing. A recovery plans from read
 * quorums taken under the membership of the time (while joint, a read quorum of either set), and
 * every write quorum of that membership meets them; a write quorum of the set a change keeps need
 * not. A change that completed while recoveries were sealing let an older one complete on write
 * quorums of the new set that the newer one's reads never met: the two decided a txn differently,
 * and the older went active keeping what the newer annulled (durability, found by the first
 * coverage-guided searches: shrinks/membership-completes-mid-recovery.json). Begins go on: a set
 * added keeps every earlier write quorum in each write.
 */
export function controlTick(ctx: Ctx): void {
  const settled = !anyOf(Object.values(ctx.s.compute), (c) => c.status === 'sealing');
  eachOf(ctx.s.control.pgs, (m, pg) => {
    if (m.sets.length > 1 && settled && complete(ctx, m, pg)) return;
    if (m.sets.length > 1 && settled && rollback(ctx, m, pg)) return;
    begin(ctx, m, pg);
  });
}

/**
 * The newest set is whole once every replacement in it has caught up with the intact old members,
 * and only when those form a read quorum: a committed record is complete on a write quorum of the
 * old set, which meets every read quorum, so then what they hold covers it. With fewer (the
 * rest down, their disks intact), what the ones left hold may miss every commit: a
 * replacement that hydrated from nothing was called whole, and replacements so made could form a
 * read quorum that misses committed records (one disk lost and five members crashed, found by a
 * long exploration: shrinks/replacement-hydrated-from-too-few.json). The change waits for them instead.
 */
function complete(ctx: Ctx, m: Membership, pg: number): boolean {
  const newest = m.sets[m.sets.length - 1]!;
  const fresh = newest.filter((n) => !m.sets[0]!.includes(n));
  const whole = m.sets[0]!.filter((n) => intact(ctx, n, pg));
  if (!wins(quorumsFor(ctx.config, m).read, whole) && !bug(ctx.config, 'change-completes-without-read-quorum')) return false;
  const target = Math.max(0, ...whole.map((n) => heldThrough(segment(ctx, n, pg), bug(ctx.config, 'hydration-waits-gc-point'))));
  const hydrated = (n: NodeId) => nodeOf(ctx, n).volatile.up && segment(ctx, n, pg).sealedEpoch > 0
    && sclOf(segment(ctx, n, pg)) >= target;
  if (!fresh.every(hydrated)) return false;
  for (const n of fresh) updateSegment(ctx, n, pg, { blank: false });
  step(ctx, m, pg, 'complete', [newest]);
  return true;
}

/**
 * What a replacement must hold to have caught up with a whole old member: its highest record
 * within its SCL that no truncation range annuls (a replacement complete to it holds every record
 * of the PG up to it). Not the member's SCL: one that coalesced while complete to an LSN a later
 * recovery annulled keeps that SCL (its GC base's), and a replacement in a PG nobody writes to
 * again can never reach it by records, which the range says do not exist (liveness:
 * shrinks/replacement-behind-annulled-scl.json). Nor its GC point: that is a volume LSN, not a
 * record of the PG. With no record of the PG between the replacement's last one and it (a recovery
 * annulled them), a full replacement, hydrating from full peers complete only to that last record
 * and so never coalesced that far, could never reach it (liveness, fullTail:
 * shrinks/stacked-change-behind-gc-point.json). What a base coalesced away (older versions, commit
 * records) no read at or above the PGMRPL needs; a commit record of the PG a replacement lacks
 * shows as a hole once a later record arrives, and gossip fills it with a peer's base.
 */
function heldThrough(seg: SegmentDurable, fromGcPoint: boolean): Lsn {
  const scl = sclOf(seg);
  let out = fromGcPoint ? seg.gcPoint : 0;
  for (const r of seg.records) if (r.lsn > out && r.lsn <= scl && !recordAnnulled(seg.ranges, r)) out = r.lsn;
  return out;
}

/** Every member of the stable set is back and whole: drop the change, forget the replacements. */
function rollback(ctx: Ctx, m: Membership, pg: number): boolean {
  const stable = m.sets[0]!;
  if (!stable.every((n) => intact(ctx, n, pg))) return false;
  for (const n of membersOf(m).filter((x) => !stable.includes(x))) {
    replaceSegment(ctx, n, pg, emptySegment(segment(ctx, n, pg).writer, true, segment(ctx, n, pg)));
  }
  step(ctx, m, pg, 'rollback', [stable]);
  return true;
}

/** Replace the first failed member of the newest set by an up spare of the same AZ (AZ+1 needs two per AZ). */
function begin(ctx: Ctx, m: Membership, pg: number): void {
  const newest = m.sets[m.sets.length - 1]!;
  // The storage fleet as it is now, read once for the checks (a value: nothing changes it meanwhile).
  const fleet = ctx.s.storage as State['storage'];
  const gone = findIn(newest, (n) => failed(ctx, fleet, m, n, pg));
  if (gone === undefined) return;
  const used = membersOf(m);
  const spares = STORAGE_NODES.filter((n) => !used.includes(n) && fleet[n]!.volatile.up);
  const spare = spares.find((n) => azOf(n) === azOf(gone));
  if (spare === undefined) return;
  replaceSegment(ctx, spare, pg, emptySegment(ctx.s.control.writer, true, segment(ctx, spare, pg)));
  // The new segment promises the volume's current epoch from the start: a seal from an older
  // writer still alive after a failover was taken by the fresh segment (epoch 0), which then
  // counted as sealed, asked that writer and never the current one (liveness:
  // shrinks/replacement-sealed-by-old-writer.json).
  updateSegment(ctx, spare, pg, { epoch: ctx.s.control.epochNext - 1 });
  replacementBegun(ctx, pg, spare, segment(ctx, spare, pg).incarnation);
  const full = m.full.includes(gone) ? [...m.full, spare] : m.full;
  step(ctx, m, pg, 'begin', [...m.sets, newest.map((n) => (n === gone ? spare : n))], full);
}

/** One membership-epoch write: the PG's membership is replaced whole (it is an immutable value). */
function step(ctx: Ctx, m: Membership, pg: number, kind: 'begin' | 'complete' | 'rollback', sets: readonly (readonly NodeId[])[], full = m.full): void {
  const next = membership(m.epoch + 1, sets, full);
  setControl(ctx, { pgs: Object.freeze(ctx.s.control.pgs.map((x, i) => (i === pg ? next : x))) });
  ctx.out.push({ kind: 'membership', pg, epoch: next.epoch, step: kind, sets: next.sets });
}

function membership(epoch: number, sets: readonly (readonly NodeId[])[], full: readonly NodeId[]): Membership {
  const members = STORAGE_NODES.filter((n) => sets.some((set) => set.includes(n)));
  return frozen({ epoch, sets: sets.map((s) => Object.freeze([...s])), full: full.filter((n) => members.includes(n)) });
}

export function initialMembership(): Membership {
  return membership(1, [INITIAL_MEMBERS], FULL_NODES);
}

/** Volume growth: a new PG on the initial members, its segments empty; new pages land in it. */
export function addPg(ctx: Ctx): void {
  const s = ctx.s;
  if (s.control.pgs.length >= PGS_MAX) {
    ctx.out.push({ kind: 'noop', reason: `volume is at ${PGS_MAX} PGs` });
    return;
  }
  const pg = s.control.pgs.length;
  setControl(ctx, { pgs: Object.freeze([...s.control.pgs, initialMembership()]) });
  for (const n of STORAGE_NODES) setSegments(ctx, n, [...segmentsOf(ctx, n), emptySegment(s.control.writer, false)]);
  ctx.out.push({ kind: 'pgAdded', pg, pages: [pg * ctx.config.pagesPerPg, (pg + 1) * ctx.config.pagesPerPg - 1] });
}
