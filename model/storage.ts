// Storage nodes: each holds one segment of every PG (a member of the PG's membership or not).
//
// Foreground work (SIGMOD 2017 §3.3): (1) receive records into a queue, (2) persist and
// acknowledge with the segment's SCL. Background work on tick: (3) find gaps through backlinks,
// (4) gossip with peers to fill them (a replacement segment gossips to hydrate). Every request
// carries a volume epoch, and the quorum-bearing ones a membership epoch; a request older than
// the segment's promise is refused, which is how an old writer is fenced without a lease.
// Records annulled by a truncation range are never kept. A blank segment (lost disk, or a
// replacement still hydrating) serves no read and answers no recovery: it cannot vouch for data.

import type { Ctx } from './network.js';
import { send } from './network.js';
import type { QueuedBase, QueuedRecord, SegmentDurable, StorageDurable, StorageNode, StorageVolatile } from './state.js';
import type { Message, NodeId, PendingVersion, RedoRecord, TruncationRange } from './types.js';
import { bug, membersOf, pageServers } from './types.js';
import { annulledBy, coalesce, hasHoles, holdsLsn, pageValueAt, recordAnnulled, sclOf, sortByLsn } from './log.js';
import { changedInStep, eachOf, filterOf, frozenList, replaced, type Edit } from './frozen.js';

/** An empty queue (of records, or of bases), shared: a value. */
const NOTHING: readonly never[] = frozenList([]);

/** A fresh segment: unsealed, empty. `previous` is the segment it replaces on that node, if any. */
export function emptySegment(writer: NodeId, blank: boolean, previous?: SegmentDurable): SegmentDurable {
  return Object.freeze({
    epoch: 0, sealedEpoch: 0, membership: 0, incarnation: (previous?.incarnation ?? 0) + 1, writer, blank,
    ranges: frozenList([]), records: frozenList([]), gcPoint: 0, gcScl: 0, pgmrpl: 0,
  });
}

/** The volume is created sealed at epoch 1, every segment empty and known to be so. */
export function initialSegment(writer: NodeId): SegmentDurable {
  return replaced(segmentCopy, emptySegment(writer, false), { epoch: 1, sealedEpoch: 1, membership: 1 });
}

/** A segment's writable copy, part by part (one fixed shape: frozen.ts Copy). */
function segmentCopy(s: SegmentDurable): Edit<SegmentDurable> {
  return {
    epoch: s.epoch, sealedEpoch: s.sealedEpoch, membership: s.membership, incarnation: s.incarnation, writer: s.writer, blank: s.blank,
    ranges: s.ranges, records: s.records, gcPoint: s.gcPoint, gcScl: s.gcScl, pgmrpl: s.pgmrpl,
  };
}

/**
 * A storage node is a value, deeply frozen and never drafted (read plainly): a change replaces it
 * whole, keeping whichever of its durable and volatile parts did not change.
 */
export function storageNodeValue(durable: StorageDurable, volatile: StorageVolatile): StorageNode {
  return Object.freeze({ durable, volatile });
}

export function nodeOf(ctx: Ctx, node: NodeId): StorageNode {
  return ctx.s.storage[node] as StorageNode;
}

function setDurable(ctx: Ctx, node: NodeId, durable: StorageDurable): void {
  setNode(ctx, node, storageNodeValue(Object.freeze(durable), nodeOf(ctx, node).volatile));
}

function setVolatile(ctx: Ctx, node: NodeId, volatile: StorageVolatile): void {
  setNode(ctx, node, storageNodeValue(nodeOf(ctx, node).durable, Object.freeze(volatile)));
}

/** The node's volatile part with the parts in `change` replaced. */
function changeVolatile(ctx: Ctx, node: NodeId, change: Partial<StorageVolatile>): void {
  const n = nodeOf(ctx, node);
  setNode(ctx, node, storageNodeValue(n.durable, replaced(volatileCopy, n.volatile, change)));
}

/** A node's volatile part's writable copy, part by part (one fixed shape: frozen.ts Copy). */
function volatileCopy(v: StorageVolatile): Edit<StorageVolatile> {
  return { up: v.up, downSince: v.downSince, queue: v.queue, bases: v.bases };
}

/**
 * The fleet is one value too: a node's change replaces it (the other nodes are kept as they are),
 * copied once per step (frozen.ts changedInStep).
 */
function setNode(ctx: Ctx, node: NodeId, value: StorageNode): void {
  ctx.s.storage = changedInStep(ctx.s.storage, node, value);
}

/** A node's segment of a PG: a value (read plainly, never drafted). */
export function segmentOf(ctx: Ctx, node: NodeId, pg: number): SegmentDurable {
  return segmentsOf(ctx, node)[pg]!;
}

export function segmentsOf(ctx: Ctx, node: NodeId): readonly SegmentDurable[] {
  return nodeOf(ctx, node).durable.segments;
}

/**
 * Segments are values: a change replaces the segment, and the node's list of segments, by new
 * frozen ones. A change that changes nothing keeps both. Returns the segment as it now is.
 */
export function updateSegment(ctx: Ctx, node: NodeId, pg: number, change: Partial<SegmentDurable>): SegmentDurable {
  const seg = segmentOf(ctx, node, pg);
  if ((Object.keys(change) as (keyof SegmentDurable)[]).every((k) => seg[k] === change[k])) return seg;
  const next = replaced(segmentCopy, seg, change.ranges === undefined ? change : { ...change, ranges: frozenList([...change.ranges]) });
  replaceSegment(ctx, node, pg, next);
  return next;
}

/** The node's segment of `pg` is `seg` from now on. */
export function replaceSegment(ctx: Ctx, node: NodeId, pg: number, seg: SegmentDurable): void {
  setSegments(ctx, node, segmentsOf(ctx, node).map((x, i) => (i === pg ? seg : x)));
}

export function setSegments(ctx: Ctx, node: NodeId, segments: SegmentDurable[]): void {
  setDurable(ctx, node, { segments: frozenList(segments) });
}

/** A message handled by a storage node that is up. */
export function storageReceive(ctx: Ctx, node: NodeId, msg: Message): void {
  if (msg.kind === 'stream' || msg.kind === 'vdlUpdate' || msg.kind === 'replicaStatus') throw new Error(`storage node ${node} got ${msg.kind}`);
  const seg = segmentOf(ctx, node, msg.pg);
  if (msg.kind === 'gossipReq') return answerGossip(ctx, node, seg, msg);
  if (msg.kind === 'gossipResp') return takeGossip(ctx, node, seg, msg);
  if (msg.kind !== 'write' && msg.kind !== 'readReq' && msg.kind !== 'recoverReq' && msg.kind !== 'seal' && msg.kind !== 'gc') {
    throw new Error(`storage node ${node} got ${msg.kind}`);
  }
  const membership = 'membership' in msg ? msg.membership : seg.membership;
  const staleWriteTaken = bug(ctx.config, 'storage-takes-stale-epoch') && msg.kind === 'write';
  if ((msg.epoch < seg.epoch && !staleWriteTaken) || (membership < seg.membership && !bug(ctx.config, 'membership-epoch-unchecked'))) {
    const stale = msg.epoch < seg.epoch;
    ctx.out.push({ kind: 'staleRefused', node, pg: msg.pg, epoch: seg.epoch, stale: stale ? msg.epoch : membership, what: msg.kind, membership: !stale });
    send(ctx, { kind: 'rejected', from: node, to: msg.from, epoch: seg.epoch, pg: msg.pg, stale: msg.epoch });
    return;
  }
  if (membership !== seg.membership) updateSegment(ctx, node, msg.pg, { membership });
  switch (msg.kind) {
    case 'gc':
      if (msg.point > seg.pgmrpl) updateSegment(ctx, node, msg.pg, { pgmrpl: msg.point });
      return;
    case 'write':
      // A writer of an epoch this segment has not been sealed into yet: ask for its seal.
      if (msg.epoch !== seg.sealedEpoch) {
        send(ctx, { kind: 'ack', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg, scl: -1, incarnation: seg.incarnation });
        return;
      }
      return enqueue(ctx, node, msg.pg, msg.records, msg.epoch, 'write');
    case 'readReq': {
      if (seg.blank || !pageServers(ctx.config, ctx.s.control.pgs[msg.pg]!).includes(node)) return;
      const tooOld = msg.readPoint < seg.gcPoint;
      send(ctx, {
        kind: 'readResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg, read: msg.read, page: msg.page, readPoint: msg.readPoint,
        value: tooOld ? 0 : pageValueAt(seg.ranges, seg.records, msg.page, msg.readPoint),
        pending: frozenList(tooOld ? [] : pendingVersions(seg.ranges, seg.records, msg.page, msg.readPoint)), tooOld,
      });
      return;
    }
    case 'recoverReq':
      if (seg.blank) return;
      updateSegment(ctx, node, msg.pg, { epoch: msg.epoch });
      send(ctx, {
        kind: 'recoverResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg,
        records: seg.records, ranges: seg.ranges, scl: sclOf(seg), gcPoint: seg.gcPoint,
      });
      return;
    case 'seal':
      // The epoch and truncation ranges are durable as one write, then annulled records go.
      updateSegment(ctx, node, msg.pg, {
        epoch: msg.epoch, sealedEpoch: msg.epoch, writer: msg.from, ranges: [...msg.ranges],
        records: frozenList(filterOf(seg.records, (r) => !recordAnnulled(msg.ranges, r))),
      });
      enqueue(ctx, node, msg.pg, msg.repair, msg.epoch, 'seal');
      if (msg.base > seg.gcPoint) queueBase(ctx, node, { pg: msg.pg, base: msg.base, epoch: msg.epoch });
      acknowledge(ctx, node, msg.pg);
      return;
  }
}

/** Versions of a page written at or below the read point whose commit is above it (and not annulled). */
function pendingVersions(ranges: readonly TruncationRange[], records: readonly RedoRecord[], page: number, readPoint: number): PendingVersion[] {
  return filterOf(records, (r) => r.page === page && r.lsn <= readPoint && r.commitLsn > readPoint && !recordAnnulled(ranges, r) && !annulledBy(ranges, r.commitLsn, r.epoch))
    .map((r) => ({ lsn: r.lsn, commitLsn: r.commitLsn, value: r.value }));
}

function enqueue(ctx: Ctx, node: NodeId, pg: number, records: readonly RedoRecord[], epoch: number, via: QueuedRecord['via']): void {
  if (records.length === 0) return;
  const v = nodeOf(ctx, node).volatile;
  changeVolatile(ctx, node, { queue: frozenList([...v.queue, ...records.map((record) => Object.freeze({ pg, record, epoch, via }))]) });
}

function queueBase(ctx: Ctx, node: NodeId, base: QueuedBase): void {
  const v = nodeOf(ctx, node).volatile;
  changeVolatile(ctx, node, { bases: frozenList([...v.bases, Object.freeze(base)]) });
}

function acknowledge(ctx: Ctx, node: NodeId, pg: number): void {
  const seg = segmentOf(ctx, node, pg);
  const scl = bug(ctx.config, 'scl-highest-held') ? Math.max(sclOf(seg), ...seg.records.map((r) => r.lsn)) : sclOf(seg);
  send(ctx, { kind: 'ack', from: node, to: seg.writer, epoch: seg.sealedEpoch, pg, scl, incarnation: seg.incarnation });
}

/**
 * Persist the queue, then acknowledge every PG that got records (persist before acknowledge:
 * an ack promises the records survive a crash). Records of a message older than the segment's
 * promise, annulled ones and ones already held are dropped.
 */
export function persist(ctx: Ctx, node: NodeId): void {
  const n = nodeOf(ctx, node);
  if (!n.volatile.up || (n.volatile.queue.length === 0 && n.volatile.bases.length === 0)) return;
  const touched = new Set<number>();
  const before = segmentsOf(ctx, node);
  const segments = [...before];
  // Per PG, the records taken, in queue order; each PG's log is then rewritten once.
  const taken: RedoRecord[][] = [];
  for (const { pg, record, epoch } of n.volatile.queue) {
    const seg = before[pg]!;
    const mine = (taken[pg] ??= []);
    touched.add(pg);
    if (epoch < seg.epoch || recordAnnulled(seg.ranges, record)) continue;
    const held = holdsLsn(seg.records, record.lsn) || mine.some((r) => r.lsn === record.lsn);
    if ((held && !bug(ctx.config, 'segment-persists-duplicate')) || record.lsn <= seg.gcPoint) continue;
    mine.push(record);
  }
  taken.forEach((mine, pg) => {
    const seg = before[pg]!;
    if (mine.length > 0) segments[pg] = replaced(segmentCopy, seg, { records: frozenList(sortByLsn([...seg.records, ...mine])) });
  });
  // A seal's base last: the repair records that make it true are persisted by now.
  for (const { pg, base, epoch } of n.volatile.bases) {
    const seg = segments[pg]!;
    touched.add(pg);
    if (epoch < seg.epoch || base <= seg.gcPoint) continue;
    // The base was a PGMRPL some peer was told: it is one for this segment too.
    segments[pg] = replaced(segmentCopy, seg, { gcPoint: base, gcScl: Math.max(seg.gcScl, base), pgmrpl: bug(ctx.config, 'gc-base-keeps-pgmrpl') ? seg.pgmrpl : Math.max(seg.pgmrpl, base) });
  }
  if (segments.some((seg, pg) => seg !== before[pg])) setSegments(ctx, node, segments);
  changeVolatile(ctx, node, { queue: NOTHING, bases: NOTHING });
  for (const pg of [...touched].sort((a, b) => a - b)) acknowledge(ctx, node, pg);
}

/**
 * Background: a segment with holes, or a blank one hydrating, asks one peer (round robin by
 * time) for what follows its SCL. A member never sealed (a fresh replacement, a new disk) asks
 * the writer the control plane names for a seal instead.
 */
export function gossip(ctx: Ctx, node: NodeId): void {
  const n = nodeOf(ctx, node);
  if (!n.volatile.up) return;
  // Gossip only sends: the node's segments and the control plane stay as they are meanwhile.
  const segments = n.durable.segments;
  const control = ctx.s.control;
  eachOf(control.pgs, (m, pg) => {
    const members = membersOf(m);
    if (!members.includes(node)) return;
    const seg = segments[pg]!;
    if (seg.sealedEpoch === 0) {
      send(ctx, { kind: 'ack', from: node, to: control.writer, epoch: seg.epoch, pg, scl: -1, incarnation: seg.incarnation });
      return;
    }
    if (!(seg.blank || hasHoles(seg))) return;
    // A full segment hydrates from another full one (it needs pages); a tail one from anyone.
    const full = pageServers(ctx.config, m);
    const others = (full.includes(node) && full.length > 1 ? full : members).filter((p) => p !== node);
    const peer = others[ctx.s.world.time % others.length]!;
    send(ctx, { kind: 'gossipReq', from: node, to: peer, epoch: seg.sealedEpoch, pg, after: sclOf(seg) });
  });
}

function answerGossip(ctx: Ctx, node: NodeId, seg: SegmentDurable, msg: Extract<Message, { kind: 'gossipReq' }>): void {
  if (msg.epoch !== seg.sealedEpoch || seg.blank) return;
  const records = frozenList(filterOf(seg.records, (r) => r.lsn > msg.after));
  // Below our GC point we hold the coalesced log: the peer adopts it as its base. A base alone is
  // an answer too: a replacement complete to below our GC point, in a PG whose records above it
  // were coalesced or annulled, has nothing else to catch up with, and without the base it stayed
  // below it (when the control plane still waited for GC points, a change never completed:
  // shrinks/replacement-without-base.json).
  const base = seg.gcPoint > msg.after ? seg.gcPoint : 0;
  if (records.length === 0 && base === 0) return;
  send(ctx, { kind: 'gossipResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg, records, base });
}

/** Gossip of an epoch this segment has moved past (promised to a newer writer) is not taken. */
function takeGossip(ctx: Ctx, node: NodeId, seg: SegmentDurable, msg: Extract<Message, { kind: 'gossipResp' }>): void {
  if (msg.epoch !== seg.sealedEpoch || msg.epoch < seg.epoch) return;
  enqueue(ctx, node, msg.pg, msg.records, msg.epoch, 'gossip');
  if (msg.base > seg.gcPoint) queueBase(ctx, node, { pg: msg.pg, base: msg.base, epoch: msg.epoch });
}

/**
 * Background: coalesce each segment up to the PGMRPL it was told, once it holds everything up to
 * there (its SCL reaches it). Reads at or above the PGMRPL see exactly what they saw before.
 */
export function collectGarbage(ctx: Ctx, node: NodeId): void {
  const n = nodeOf(ctx, node);
  if (!n.volatile.up) return;
  eachOf(segmentsOf(ctx, node), (seg, pg) => {
    const point = seg.pgmrpl;
    if (seg.blank || point <= seg.gcPoint || sclOf(seg) < point) return;
    updateSegment(ctx, node, pg, { gcScl: sclOf(seg), records: frozenList(coalesce(seg.ranges, seg.records, point)), gcPoint: point });
  });
}

export function crashStorage(ctx: Ctx, node: NodeId): void {
  setVolatile(ctx, node, { up: false, downSince: ctx.s.world.time, queue: NOTHING, bases: NOTHING });
}

export function restartStorage(ctx: Ctx, node: NodeId): void {
  setVolatile(ctx, node, { up: true, downSince: 0, queue: NOTHING, bases: NOTHING });
}

/** Every segment on the node is blank: records, epochs, ranges gone. The node stays as it was. */
export function loseDisk(ctx: Ctx, node: NodeId): void {
  setSegments(ctx, node, segmentsOf(ctx, node).map((seg) => emptySegment(seg.writer, true, seg)));
  changeVolatile(ctx, node, { queue: NOTHING, bases: NOTHING });
}
