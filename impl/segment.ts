// One segment: a PG's log as one storage node holds it, durable (a node crash keeps it whole).
//
// Method: records live in an LSN-ordered array with two indexes beside it (by LSN, by page), and
// the SCL is kept incrementally. A record is complete when it is at or below the GC point, its PG
// backlink is at or below the GC point, or its backlink names a complete record; SCL is the
// highest complete LSN (or the SCL the segment had when it coalesced). Inserting a record marks
// it complete if its predecessor is, then wakes every record that was waiting on it: each record
// is marked once, so inserts cost O(1) amortized. Removing records (a seal annulling some,
// coalescing) or moving the GC point rebuilds the indexes; both are rare background events.

import type { Lsn, NodeId, PendingVersion, RedoRecord, TruncationRange } from '../model/types.js';
import { assert, lastAtOrBelow } from './assert.js';
import { annulledBy, recordAnnulled, versionOf, visibleAt, writeSurvives } from './log.js';

const byLsnKey = (r: RedoRecord): number => r.lsn;

export class Segment {
  /** Highest volume epoch promised; requests of older epochs are refused. */
  epoch = 0;
  /** Highest membership epoch of the PG seen; older quorum requests are refused. */
  membership = 0;
  /** Bumped whenever the segment is reset; acknowledgements carry it. */
  incarnation: number;
  /** The compute node that sealed this segment: acknowledgements go there. */
  writer: NodeId;
  /** Holds nothing it can vouch for (lost disk, replacement hydrating). */
  blank: boolean;
  /** The epoch whose truncation ranges this segment holds; writes of that epoch are accepted. */
  sealedEpoch = 0;
  ranges: readonly TruncationRange[] = [];
  /** Records at or below this are coalesced; 0: none. */
  gcPoint: Lsn = 0;
  /** The SCL when the segment coalesced. */
  gcScl: Lsn = 0;
  /** The PGMRPL last told: GC never goes past it. */
  pgmrpl: Lsn = 0;

  private log: RedoRecord[] = [];
  private readonly byLsn = new Map<Lsn, RedoRecord>();
  private readonly byPage = new Map<number, RedoRecord[]>();
  private readonly complete = new Set<Lsn>();
  /** Records whose PG backlink is not (yet) complete, keyed by that backlink. */
  private readonly waiting = new Map<Lsn, Lsn[]>();
  private completeMax: Lsn = 0;

  private constructor(writer: NodeId, blank: boolean, incarnation: number) {
    assert(incarnation >= 1, 'incarnations start at 1');
    this.writer = writer;
    this.blank = blank;
    this.incarnation = incarnation;
  }

  /** Unsealed and empty; `previous` is the segment it replaces on that node, if any. */
  static empty(writer: NodeId, blank: boolean, previous?: Segment): Segment {
    return new Segment(writer, blank, (previous?.incarnation ?? 0) + 1);
  }

  /** The volume is created sealed at epoch 1, every segment empty and known to be so. */
  static initial(writer: NodeId): Segment {
    const seg = Segment.empty(writer, false);
    seg.epoch = 1;
    seg.sealedEpoch = 1;
    seg.membership = 1;
    return seg;
  }

  /** SCL: the highest LSN up to which this segment holds every record of its PG. */
  get scl(): Lsn {
    return Math.max(this.gcScl, this.completeMax);
  }

  /** Records above the SCL: the segment knows it has holes below them. */
  hasHoles(): boolean {
    const last = this.log[this.log.length - 1];
    return last !== undefined && last.lsn > this.scl;
  }

  get size(): number {
    return this.log.length;
  }

  has(lsn: Lsn): boolean {
    return this.byLsn.has(lsn);
  }

  /** The records, LSN order (a copy: messages must not see later changes). */
  records(): RedoRecord[] {
    return [...this.log];
  }

  lsns(): Lsn[] {
    return this.log.map(byLsnKey);
  }

  /** The records above `lsn`, LSN order (a copy). */
  recordsAfter(lsn: Lsn): RedoRecord[] {
    return this.log.slice(lastAtOrBelow(this.log, byLsnKey, lsn) + 1);
  }

  /** Persists one record (not held yet, above the GC point, not annulled: the caller checked). */
  insert(r: RedoRecord, wakeWaiters = true): void {
    assert(!this.byLsn.has(r.lsn), 'one record per LSN in a segment');
    assert(r.lsn > this.gcPoint, 'nothing is persisted at or below the GC point');
    const at = lastAtOrBelow(this.log, byLsnKey, r.lsn) + 1;
    if (at === this.log.length) this.log.push(r);
    else this.log.splice(at, 0, r);
    this.byLsn.set(r.lsn, r);
    if (r.page !== null) insertSorted(this.byPage, r.page, r);
    this.wakeWaiters = wakeWaiters;
    this.classify(r);
    this.wakeWaiters = true;
  }

  /** False only inside an insert of mutant 'scl-ignores-late-predecessor' (properties/mutants.ts). */
  private wakeWaiters = true;

  /** A seal: drops every record the ranges annul, then holds those ranges. */
  sealWith(ranges: readonly TruncationRange[]): void {
    this.ranges = [...ranges];
    if (this.log.some((r) => recordAnnulled(ranges, r))) this.rebuild(this.log.filter((r) => !recordAnnulled(ranges, r)));
  }

  /** Adopts a coalesced base: the segment holds the coalesced log up to it. */
  adoptBase(base: Lsn): void {
    assert(base > this.gcPoint, 'a base only moves the GC point up');
    this.gcPoint = base;
    this.gcScl = Math.max(this.gcScl, base);
    this.pgmrpl = Math.max(this.pgmrpl, base);
    this.rebuild(this.log);
  }

  /**
   * Coalesce at `point`: of the records at or below it keep each page's newest version visible
   * there and versions committed above it; commit records, older versions and annulled ones go.
   */
  coalesce(point: Lsn): void {
    assert(point > this.gcPoint, 'GC moves forward');
    assert(this.scl >= point, 'GC only where the segment is complete');
    const newest = new Map<number, RedoRecord>();
    for (const r of this.log) {
      if (r.lsn > point) break;
      if (!visibleAt(this.ranges, r, point)) continue;
      const best = newest.get(r.page!);
      if (best === undefined || r.lsn > best.lsn) newest.set(r.page!, r);
    }
    const keep = (r: RedoRecord): boolean => r.lsn > point || newest.get(r.page ?? -1) === r
      || (r.page !== null && r.commitLsn > point && writeSurvives(this.ranges, r));
    this.gcScl = this.scl;
    this.gcPoint = point;
    this.rebuild(this.log.filter(keep));
  }

  /** The page's value at a read point: the visible write with the highest LSN, else 0. */
  pageValueAt(page: number, readPoint: Lsn): number {
    const versions = this.byPage.get(page) ?? [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const r = versions[i]!;
      if (visibleAt(this.ranges, r, readPoint)) return r.value;
    }
    return 0;
  }

  /** Versions at or below the read point whose commit is above it (not annulled), LSN order. */
  pendingVersions(page: number, readPoint: Lsn): PendingVersion[] {
    const out: PendingVersion[] = [];
    for (const r of this.byPage.get(page) ?? []) {
      if (r.lsn > readPoint) break;
      if (r.commitLsn > readPoint && !recordAnnulled(this.ranges, r) && !annulledBy(this.ranges, r.commitLsn, r.epoch)) out.push(versionOf(r));
    }
    return out;
  }

  private classify(r: RedoRecord): void {
    assert(r.prevPg < r.lsn, 'PG backlinks point backwards');
    if (r.lsn <= this.gcPoint || r.prevPg <= this.gcPoint || this.complete.has(r.prevPg)) this.markComplete(r.lsn);
    else {
      const list = this.waiting.get(r.prevPg);
      if (list === undefined) this.waiting.set(r.prevPg, [r.lsn]);
      else list.push(r.lsn);
    }
  }

  /** Marks a record complete, and every record waiting on it, transitively. */
  private markComplete(lsn: Lsn): void {
    const stack = [lsn];
    while (stack.length > 0) {
      const x = stack.pop()!;
      assert(this.byLsn.has(x), 'only held records are complete');
      if (this.complete.has(x)) continue;
      this.complete.add(x);
      if (x > this.completeMax) this.completeMax = x;
      const next = this.waiting.get(x);
      if (next === undefined || !this.wakeWaiters) continue;
      this.waiting.delete(x);
      for (const y of next) stack.push(y);
    }
  }

  private rebuild(log: RedoRecord[]): void {
    this.log = log;
    this.byLsn.clear();
    this.byPage.clear();
    this.complete.clear();
    this.waiting.clear();
    this.completeMax = 0;
    for (const r of log) {
      this.byLsn.set(r.lsn, r);
      if (r.page !== null) insertSorted(this.byPage, r.page, r);
      this.classify(r);
    }
  }
}

function insertSorted(index: Map<number, RedoRecord[]>, key: number, r: RedoRecord): void {
  const list = index.get(key);
  if (list === undefined) {
    index.set(key, [r]);
    return;
  }
  const at = lastAtOrBelow(list, byLsnKey, r.lsn) + 1;
  if (at === list.length) list.push(r);
  else list.splice(at, 0, r);
}
