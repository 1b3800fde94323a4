// Storage nodes: each holds one segment of every PG (a member of the PG's membership or not).
//
// Foreground (SIGMOD 2017 §3.3): (1) receive records into a queue, (2) persist and acknowledge
// with the segment's SCL, persist strictly before acknowledge: an ack promises the records
// survive a crash. Background on tick: (3) find gaps (the segment's incremental SCL), (4) gossip
// with one peer to fill them, (7) coalesce below the PGMRPL. Every request carries a volume epoch,
// the quorum-bearing ones a membership epoch too; an older request is refused (staleRefused +
// `rejected`), which is how an old writer is fenced without a lease. Annulled records are never
// kept; a blank segment serves no read and answers no recovery.
//
// Fault model: a crash keeps exactly the durable part (segments) and loses the queue; a lost disk
// resets every segment (new incarnation, blank).

import type { Lsn, Message, NodeId, RedoRecord } from '../model/types.js';
import { WRITER, bug as bug_ } from '../model/types.js';
import { fail as fail_, assert as assert_ } from './assert.js';
import type { Cluster } from './cluster.js';
import { recordAnnulled as recordAnnulled_ } from './log.js';
import { Segment } from './segment.js';
import { IntScratch, WorkSet } from './workset.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const bug: typeof bug_ = bug_;
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const recordAnnulled: typeof recordAnnulled_ = recordAnnulled_;

type Via = 'write' | 'seal' | 'gossip';

/** A coalesced base (seal or gossip): adopted at persist, after the records queued before it. */
interface QueuedBase {
  readonly pg: number;
  readonly base: Lsn;
  readonly epoch: number;
}

export class StorageNode {
  /**
   * Tested as `up === true` on the hot paths (a message, persist, GC, gossip): a compare with one
   * constant, where `!up` and `assert(up)` were a generic truth test of the field (false, '',
   * undetectable, number and bigint cases: ~12 instructions each). Marginal instructions per
   * record (cachegrind): 64 PGs 23,345 -> 23,200, 2 PGs 12,108 -> 12,074.
   */
  up = true;
  /** The tick at which the node went down (meaningful while down). */
  downSince = 0;
  /**
   * Received, not yet persisted (nor acknowledged): lost on a crash. One entry per message's
   * records (a batch), as parallel columns reused from persist to persist (no object per message):
   * entry i is PG queuePg[i], records queueRecords[i], brought by a message of epoch
   * queueEpoch[i] (stale by persist time means dropped); entries [0, queueLength) are live.
   */
  readonly queuePg: number[] = [];
  queueRecords: (readonly RedoRecord[] | null)[] = [];
  readonly queueEpoch: number[] = [];
  queueLength = 0;
  /** Records in the queue (the model's queue length). */
  queued = 0;
  bases: QueuedBase[] = [];
  /**
   * Per PG its segment, or undefined: not made yet (absent). A node holds a segment of every PG, but
   * only a member's is written: at 13,108 PGs 39,324 of the 117,972 segments belong to non-members
   * and none of them is ever read on the hot paths, so each is made when first asked for
   * (segment(pg)) in the state it would have had all along (absentSegment). Heap after GC at 13,108
   * PGs (scratch/heapagg.mjs, 2*10^5 PG-local records) 54.1 -> 47.8 MB; none is made in the bench.
   */
  private readonly segments: (Segment | undefined)[];
  /**
   * Disks lost so far: an absent segment is the initial one (lostDisks 0) reset that many times
   * (absentSegment), which is what loseDisk did to every segment before they were made lazily.
   */
  private lostDisks = 0;
  /**
   * Work sets, so background work per tick costs what the busy segments cost, not the volume:
   *   gossipWork: segments that may need gossip or a seal (installed, sealed, persisted into,
   *     coalesced, or every one after a membership write); dropped when found whole;
   *   gcWork: segments told a PGMRPL above their GC point (on the gc message if their SCL is
   *     there already, and again on every persist into them while that holds, since coalescing
   *     waits for the SCL to reach the point); dropped once coalesced, or while they cannot
   *     coalesce yet.
   */
  readonly gossipWork = new WorkSet();
  readonly gcWork = new WorkSet();
  controlVersion = -1;

  /** After a membership write every segment may need gossip or GC (a replacement turned whole). */
  syncControl(version: number): void {
    if (this.controlVersion === version) return;
    this.controlVersion = version;
    for (let pg = 0; pg < this.segments.length; pg++) {
      this.gossipWork.add(pg);
      const seg = this.segments[pg]!;
      // (An absent segment was told no PGMRPL: 0, its GC point.)
      if (seg !== undefined && seg.pgmrpl > seg.gcPoint) this.gcWork.add(pg);
    }
  }

  /** `segments` has a slot per PG: the segment, or undefined for one not made until asked for (see segments). */
  constructor(readonly id: NodeId, segments: (Segment | undefined)[]) {
    assert(segments.length >= 1, 'a storage node holds a segment per PG');
    this.segments = segments;
    for (let pg = 0; pg < segments.length; pg++) this.gossipWork.add(pg);
  }

  get pgCount(): number {
    return this.segments.length;
  }

  segment(pg: number): Segment {
    const seg = this.segments[pg];
    // An absent segment is made out of line (or the PG is none: a failure there): this stays
    // under V8's small-function bytecode size, so it is inlined at every call site whatever the
    // caller's inlining budget has left (takeGc's was a call in deliverAll, the budget spent).
    // Absent segments as null, tested apart from an undefined slot, cost marginal instructions
    // per record (cachegrind) 2 PGs 8,924 -> 9,020, 64 PGs 15,593 -> 15,825.
    if (seg === undefined) return this.makeSegment(pg);
    return seg;
  }

  /** The segment if made, else undefined (absent: in absentSegment's state), making none. */
  peekSegment(pg: number): Segment | undefined {
    if (!(pg >= 0 && pg < this.segments.length)) this.noSegment(pg);
    return this.segments[pg];
  }

  /** An absent segment is whole (see Segment.whole) exactly while no disk was lost: sealed, not blank, empty. */
  absentWhole(): boolean {
    return this.lostDisks === 0;
  }

  private noSegment(pg: number): never {
    fail(`${this.id} has no segment of PG ${pg}`);
  }

  /** Makes PG pg's absent segment, in the state it would have had had it been made with the rest. */
  private makeSegment(pg: number): Segment {
    if (!(pg >= 0 && pg < this.segments.length)) this.noSegment(pg);
    assert(this.segments[pg] === undefined, 'only an absent segment is made');
    const seg = absentSegment(this.lostDisks);
    this.segments[pg] = seg;
    return seg;
  }

  replaceSegment(pg: number, seg: Segment): void {
    assert(pg >= 0 && pg < this.segments.length, 'replace an existing segment');
    this.segments[pg] = seg;
    this.gossipWork.add(pg);
    if (seg.blank) this.mayHoldBlank = true;
  }

  addSegment(pg: number, seg: Segment): void {
    assert(pg === this.segments.length, 'PGs are appended');
    this.segments.push(seg);
    this.gossipWork.add(pg);
    if (seg.blank) this.mayHoldBlank = true;
  }

  /**
   * Some segment may be blank. A segment is only ever created blank (a blank one turns whole in
   * place, never the other way), so this is set where blank segments are installed and cleared
   * by a scan that finds none.
   */
  private mayHoldBlank = false;

  holdsBlank(): boolean {
    if (!this.mayHoldBlank) return false;
    this.mayHoldBlank = this.segments.some((s) => (s === undefined ? this.lostDisks > 0 : s.blank));
    return this.mayHoldBlank;
  }

  crash(time: number): void {
    assert(this.up, 'crash a node that is up');
    this.up = false;
    this.downSince = time;
    this.clearQueue();
    this.bases = [];
  }

  restart(): void {
    assert(!this.up, 'restart a node that is down');
    this.up = true;
    this.downSince = 0;
    this.clearQueue();
    this.bases = [];
  }

  /** Every segment is blank: records, epochs, ranges gone. Up or down stays as it was. */
  loseDisk(): void {
    for (let pg = 0; pg < this.segments.length; pg++) {
      const old = this.segments[pg]!;
      // An absent one stays absent: lostDisks below resets it.
      if (old !== undefined) this.segments[pg] = Segment.empty(old.writer, true, old);
      this.gossipWork.add(pg);
    }
    this.lostDisks++;
    this.mayHoldBlank = this.segments.length > 0;
    this.clearQueue();
    this.bases = [];
  }

  enqueue(pg: number, records: readonly RedoRecord[], epoch: number, _via: Via): void {
    if (records.length === 0) return;
    const i = this.queueLength++;
    if (i < this.queuePg.length) {
      this.queuePg[i] = pg;
      this.queueRecords[i] = records;
      this.queueEpoch[i] = epoch;
    } else this.growQueue(pg, records, epoch);
    this.queued += records.length;
  }

  /** enqueue's rare part, out of line (less bytecode to inline into deliverAll's budget). */
  private growQueue(pg: number, records: readonly RedoRecord[], epoch: number): void {
    this.queuePg.push(pg);
    this.queueRecords.push(records);
    this.queueEpoch.push(epoch);
  }

  /**
   * Empties the queue: the number columns are kept for reuse; the record lists are let go with
   * their column, replaced by a fresh one of the same room (young, so the next messages' lists
   * are stored into it with no write-barrier call, where a long-lived column in old space took
   * one per message). Persist empties the queue itself, reusing a column still young (see
   * recordsColumnAt).
   */
  clearQueue(): void {
    if (this.queueLength > 0) {
      this.queueRecords = freshRecordsColumn(this.queuePg.length);
      this.recordsColumnAt = -1;
    }
    assert(this.queueRecords.length === this.queuePg.length, 'the queue columns have one length');
    this.queueLength = 0;
    this.queued = 0;
  }

  /**
   * The tick at which persist last gave the queue a fresh record-lists column (-1: clearQueue
   * did, or none yet). Persist empties the queue in place (the lists let go: null, a constant,
   * is stored with no write-barrier test) while the column is at most YOUNG_COLUMN_TICKS old, so
   * still young (see there), and replaces it otherwise.
   */
  recordsColumnAt = -1;
}

/** A segment never made, after `lostDisks` disk losses: the initial one, reset once per loss (as loseDisk resets a made one). */
function absentSegment(lostDisks: number): Segment {
  let seg = Segment.initial(WRITER);
  for (let k = 0; k < lostDisks; k++) seg = Segment.empty(seg.writer, true, seg);
  return seg;
}

/**
 * A record-lists column made at most this many ticks ago is taken as still young: the bench
 * scavenges every ~300 ticks at 2 and 64 PGs, and an object is promoted only when it survives two
 * (as segment.ts's YOUNG_TICKS). Only a cost rests on this: an old column takes a write-barrier
 * call per message enqueued, the cost the fresh columns were made to avoid.
 */
const YOUNG_COLUMN_TICKS = 32;

/** An empty record-lists column with room for n (one allocation site: its elements kind is learned once). */
function freshRecordsColumn(n: number): (readonly RedoRecord[] | null)[] {
  return new Array<readonly RedoRecord[] | null>(n);
}

type StorageRequest = Extract<Message, { kind: 'write' | 'readReq' | 'recoverReq' | 'seal' | 'gc' }>;

/** A message handled by a storage node that is up. */
export function storageReceive(c: Cluster, node: StorageNode, msg: Message): void {
  // Small, as are takeWrite and takeGc, so deliverAll's inlining budget covers the whole hot
  // path: the check as an if (an inlined assert costs its bytecode), the rare kinds out of line.
  if (node.up !== true) fail('only an up node handles messages');
  const kind = msg.kind;
  if (kind === 'write') return takeWrite(c, node, msg);
  if (kind === 'gc') return takeGc(c, node, msg);
  return storageReceiveRare(c, node, msg);
}

/** storageReceive for the kinds other than write and gc. */
function storageReceiveRare(c: Cluster, node: StorageNode, msg: Message): void {
  switch (msg.kind) {
    case 'gossipReq': return answerGossip(c, node, msg);
    case 'gossipResp': return takeGossip(node, msg);
    case 'readReq': case 'recoverReq': case 'seal': return takeRequest(c, node, msg);
    default: throw new Error(`storage node ${node.id} got ${msg.kind}`);
  }
}

/** takeRequest for a write, its current case first (a stale one, and so any mutant, goes there). */
function takeWrite(c: Cluster, node: StorageNode, msg: Extract<Message, { kind: 'write' }>): void {
  const seg = node.segment(msg.pg);
  if (msg.epoch < seg.epoch || msg.membership < seg.membership) return takeRequest(c, node, msg);
  seg.membership = msg.membership;
  if (msg.epoch !== seg.sealedEpoch) return askSeal(c, node, msg, seg);
  node.enqueue(msg.pg, msg.records, msg.epoch, 'write');
}

/** A writer of an epoch this segment has not been sealed into yet: ask for its seal. */
function askSeal(c: Cluster, node: StorageNode, msg: Extract<Message, { kind: 'write' }>, seg: Segment): void {
  c.send({ kind: 'ack', from: node.id, to: msg.from, epoch: msg.epoch, pg: msg.pg, scl: -1, incarnation: seg.incarnation });
}

/** takeRequest for a gc message, its current case first (a stale one goes there). */
function takeGc(c: Cluster, node: StorageNode, msg: Extract<Message, { kind: 'gc' }>): void {
  const seg = node.segment(msg.pg);
  if (msg.epoch < seg.epoch) return takeRequest(c, node, msg);
  if (msg.point > seg.pgmrpl) {
    seg.pgmrpl = msg.point;
    // Coalescing waits for the SCL to reach the point, and only a persist raises it (which adds
    // the segment again while its point is above its GC point): added before, about half of
    // collectGarbage's visits found nothing to do.
    if (seg.scl >= msg.point) node.gcWork.add(msg.pg);
  }
}

function takeRequest(c: Cluster, node: StorageNode, msg: StorageRequest): void {
  const seg = node.segment(msg.pg);
  const membership = 'membership' in msg ? msg.membership : seg.membership;
  const staleWriteTaken = bug(c.config, 'storage-takes-stale-epoch') && msg.kind === 'write';
  if ((msg.epoch < seg.epoch && !staleWriteTaken) || (membership < seg.membership && !bug(c.config, 'membership-epoch-unchecked'))) {
    const stale = msg.epoch < seg.epoch;
    c.observe({ kind: 'staleRefused', node: node.id, pg: msg.pg, epoch: seg.epoch, stale: stale ? msg.epoch : membership, what: msg.kind, membership: !stale });
    c.send({ kind: 'rejected', from: node.id, to: msg.from, epoch: seg.epoch, pg: msg.pg, stale: msg.epoch });
    return;
  }
  seg.membership = membership;
  switch (msg.kind) {
    case 'gc':
      if (msg.point > seg.pgmrpl) {
        seg.pgmrpl = msg.point;
        node.gcWork.add(msg.pg);
      }
      return;
    case 'write':
      if (msg.epoch !== seg.sealedEpoch) return askSeal(c, node, msg, seg);
      node.enqueue(msg.pg, msg.records, msg.epoch, 'write');
      return;
    case 'readReq': return answerRead(c, node, seg, msg);
    case 'recoverReq':
      if (seg.blank) return;
      seg.epoch = msg.epoch;
      c.send({ kind: 'recoverResp', from: node.id, to: msg.from, epoch: msg.epoch, pg: msg.pg, records: seg.records(), ranges: [...seg.ranges], scl: seg.scl, gcPoint: seg.gcPoint });
      return;
    case 'seal':
      // The epoch and truncation ranges are durable as one write, then annulled records go.
      seg.epoch = msg.epoch;
      seg.sealedEpoch = msg.epoch;
      seg.writer = msg.from;
      seg.sealWith(msg.ranges);
      node.gossipWork.add(msg.pg);
      if (seg.pgmrpl > seg.gcPoint) node.gcWork.add(msg.pg);
      node.enqueue(msg.pg, msg.repair, msg.epoch, 'seal');
      if (msg.base > seg.gcPoint) node.bases.push({ pg: msg.pg, base: msg.base, epoch: msg.epoch });
      acknowledge(c, node, msg.pg, seg);
      return;
  }
}

function answerRead(c: Cluster, node: StorageNode, seg: Segment, msg: Extract<Message, { kind: 'readReq' }>): void {
  if (seg.blank || !c.pageServers(msg.pg).includes(node.id)) return;
  const tooOld = msg.readPoint < seg.gcPoint;
  c.send({
    kind: 'readResp', from: node.id, to: msg.from, epoch: msg.epoch, pg: msg.pg, read: msg.read, page: msg.page, readPoint: msg.readPoint,
    value: tooOld ? 0 : seg.pageValueAt(msg.page, msg.readPoint),
    pending: tooOld ? [] : seg.pendingVersions(msg.page, msg.readPoint), tooOld,
  });
}

/** `seg` is node's segment of `pg`: the callers have it at hand (no second lookup). */
function acknowledge(c: Cluster, node: StorageNode, pg: number, seg: Segment): void {
  const scl = bug(c.config, 'scl-highest-held') ? highestHeld(seg) : seg.scl;
  c.send({ kind: 'ack', from: node.id, to: seg.writer, epoch: seg.sealedEpoch, pg, scl, incarnation: seg.incarnation });
}

/** The mutant's SCL: the highest LSN held (out of line: the spread call is bytecode acknowledge need not carry). */
function highestHeld(seg: Segment): Lsn {
  return Math.max(seg.scl, ...seg.lsns());
}

/**
 * Persist the queue, then the queued bases, then acknowledge every PG that got anything, in PG
 * order. Records of a message older than the segment's promise, annulled ones, ones already held
 * and ones at or below the GC point are dropped.
 */
export function persist(c: Cluster, node: StorageNode): void {
  if (node.up !== true || (node.queueLength === 0 && node.bases.length === 0)) return;
  // The PGs touched: a handful per persist, so a list beats a set (a scratch list: persist does
  // not nest).
  const touched = touchedScratch;
  touched.clear();
  // Near-tail repeats are dropped (appendCompleteRun) unless the mutant keeps them.
  const dropRepeats = !bug(c.config, 'segment-persists-duplicate');
  // The columns in locals: the loop stores into segments only, so nothing reloads them.
  const queuePg = node.queuePg;
  const queueRecords = node.queueRecords;
  const queueEpoch = node.queueEpoch;
  for (let q = 0, end = node.queueLength; q < end; q++) {
    const pg = queuePg[q]!;
    const records = queueRecords[q]!;
    const seg = node.segment(pg);
    if (!touched.includes(pg)) touched.push(pg);
    if (queueEpoch[q]! < seg.epoch) continue;
    // No truncation range (the steady state): nothing is annulled, so no record needs the scan.
    const ranges = seg.ranges;
    const annuls = ranges.length > 0;
    for (let k = 0; k < records.length; ) {
      const record = records[k]!;
      if (annuls && recordAnnulled(ranges, record)) {
        k++;
        continue;
      }
      // Steady state: the records extend a complete log, or are retransmitted repeats of its
      // last ones, taken as a run (one record while ranges may annul some).
      const next = seg.appendCompleteRun(records, k, annuls ? k + 1 : records.length, dropRepeats);
      if (next > k) {
        k = next;
        continue;
      }
      // The general path (a record out of order, one at or below the GC point, or any while
      // some record waits: a repeat then is dropped by has(), as by the run).
      k++;
      if (record.lsn <= seg.gcPoint) continue;
      if (seg.has(record.lsn) && !bug(c.config, 'segment-persists-duplicate')) continue;
      seg.insert(record, !bug(c.config, 'scl-ignores-late-predecessor'));
    }
  }
  // A base last: the repair records that make it true are persisted by now.
  // Indexed: a for-of made an array iterator every persist, for a list almost always empty.
  const bases = node.bases;
  for (let b = 0; b < bases.length; b++) {
    const { pg, base, epoch } = bases[b]!;
    const seg = node.segment(pg);
    if (!touched.includes(pg)) touched.push(pg);
    if (epoch < seg.epoch || base <= seg.gcPoint) continue;
    const pgmrpl = seg.pgmrpl;
    seg.adoptBase(base);
    if (bug(c.config, 'gc-base-keeps-pgmrpl')) seg.pgmrpl = pgmrpl;
  }
  // clearQueue's work, written out here (a call, or inlined at the cost of not inlining something
  // hotter): the column emptied in place while young, a fresh one after YOUNG_COLUMN_TICKS (a
  // fresh column each persist was an allocation and a write-barrier call every time). With the
  // columns in locals and acknowledge given the segment, marginal instructions per record
  // (cachegrind): 2 PGs 12,242 -> 12,134, 64 PGs 24,053 -> 23,777.
  const entries = node.queueLength;
  if (entries > 0) {
    if (node.recordsColumnAt < 0 || c.time - node.recordsColumnAt > YOUNG_COLUMN_TICKS) {
      node.queueRecords = freshRecordsColumn(queuePg.length);
      node.recordsColumnAt = c.time;
    } else for (let q = 0; q < entries; q++) queueRecords[q] = null;
  }
  if (node.queueRecords.length !== queuePg.length) fail('the queue columns have one length');
  node.queueLength = 0;
  node.queued = 0;
  if (node.bases.length > 0) node.bases = [];
  acknowledgeTouched(c, node, touched);
}

/**
 * persist's last step: each PG touched, in PG order, is queued for gossip or GC as it needs, and
 * acknowledged. A function of its own (one call a persist), with an inlining budget of its own:
 * within persist, acknowledge and its send took the budget the work sets' add and has needed
 * (or, left out, were a call per ack).
 */
function acknowledgeTouched(c: Cluster, node: StorageNode, touched: IntScratch): void {
  touched.sort();
  // In locals: the acks' allocations and queue stores in the loop made each iteration load them
  // again (with their map checks).
  const gossipWork = node.gossipWork;
  const gcWork = node.gcWork;
  for (let k = 0, end = touched.length; k < end; k++) {
    const pg = touched.at(k);
    const seg = node.segment(pg);
    if (!seg.whole()) gossipWork.add(pg);
    // Often a member already at 2 PGs (takeGc adds a segment whose SCL is at the point): has()
    // is one load, add does more. Marginal instructions per record (cachegrind, when add was a
    // call here): 2 PGs 11,898 -> 11,833, 64 PGs 23,259 -> 23,224.
    if (seg.pgmrpl > seg.gcPoint && !gcWork.has(pg)) gcWork.add(pg);
    acknowledge(c, node, pg, seg);
  }
  touched.clear();
}

const touchedScratch = new IntScratch();

/**
 * Background: a segment with holes, or a blank one hydrating, asks one peer (round robin by time)
 * for what follows its SCL. A member never sealed asks the control plane's writer for a seal.
 */
export function gossip(c: Cluster, node: StorageNode): void {
  if (node.up !== true) return;
  node.syncControl(c.control.version);
  const todo = node.gossipWork;
  for (let k = 0, end = todo.sorted(); k < end; k++) {
    const pg = todo.at(k);
    // Not made (absent) if never asked for: tested as it would be, without making it.
    const held = node.peekSegment(pg);
    // Whole, or no member: nothing to do until the segment changes or the membership does (the
    // cheap test first: the members list is looked up only for a segment that is not whole).
    if (held === undefined ? node.absentWhole() : held.whole()) {
      node.gossipWork.delete(pg);
      continue;
    }
    const members = c.members(pg);
    if (!members.includes(node.id)) {
      node.gossipWork.delete(pg);
      continue;
    }
    const seg = held ?? node.segment(pg);
    if (seg.sealedEpoch === 0) {
      c.send({ kind: 'ack', from: node.id, to: c.control.writer, epoch: seg.epoch, pg, scl: -1, incarnation: seg.incarnation });
      continue;
    }
    // A full segment hydrates from another full one (it needs pages); a tail one from anyone.
    const full = c.pageServers(pg);
    const others = (full.includes(node.id) && full.length > 1 ? full : members).filter((p) => p !== node.id);
    assert(others.length > 0, 'a member has peers');
    const peer = others[c.time % others.length]!;
    c.send({ kind: 'gossipReq', from: node.id, to: peer, epoch: seg.sealedEpoch, pg, after: seg.scl });
  }
}

function answerGossip(c: Cluster, node: StorageNode, msg: Extract<Message, { kind: 'gossipReq' }>): void {
  const seg = node.segment(msg.pg);
  if (msg.epoch !== seg.sealedEpoch || seg.blank) return;
  const records = seg.recordsAfter(bug(c.config, 'gossip-sends-above-own-scl') ? Math.max(msg.after, seg.scl) : msg.after);
  // Below our GC point we hold the coalesced log: the peer adopts it as its base (a base alone is
  // an answer too: model/storage.ts answerGossip).
  const base = seg.gcPoint > msg.after ? seg.gcPoint : 0;
  if (records.length === 0 && base === 0) return;
  c.send({ kind: 'gossipResp', from: node.id, to: msg.from, epoch: msg.epoch, pg: msg.pg, records, base });
}

/** Gossip of an epoch this segment has moved past (promised to a newer writer) is not taken. */
function takeGossip(node: StorageNode, msg: Extract<Message, { kind: 'gossipResp' }>): void {
  const seg = node.segment(msg.pg);
  if (msg.epoch !== seg.sealedEpoch || msg.epoch < seg.epoch) return;
  node.enqueue(msg.pg, msg.records, msg.epoch, 'gossip');
  if (msg.base > seg.gcPoint) node.bases.push({ pg: msg.pg, base: msg.base, epoch: msg.epoch });
}

/**
 * Background: coalesce each segment up to the PGMRPL it was told, once it holds everything up to
 * there. Reads at or above the PGMRPL see exactly what they saw before.
 */
export function collectGarbage(c: Cluster, node: StorageNode): void {
  if (node.up !== true) return;
  node.syncControl(c.control.version);
  if (node.gcWork.size === 0) return;
  const todo = node.gcWork;
  for (let k = 0, end = todo.sorted(); k < end; k++) {
    const pg = todo.at(k);
    const seg = node.segment(pg);
    const point = seg.pgmrpl;
    node.gcWork.delete(pg);
    // Not yet possible: a persist into it (the SCL rising) or a membership write brings it back.
    if (seg.blank || point <= seg.gcPoint || seg.scl < point) continue;
    seg.coalesce(point, c.time);
    if (!seg.whole()) node.gossipWork.add(pg);
  }
}
