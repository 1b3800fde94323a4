// Rules of the log that both the writer and storage apply: annulment by truncation ranges,
// visibility at a read point, and completeness along backlink chains.
//
// A segment's SCL is the highest LSN whose chain of PG backlinks is complete in that segment: it
// holds that record and, transitively, every earlier record of the PG. Recovery finds VCL the
// same way along volume backlinks. Written to be read, not to be fast: chains are recomputed.

import type { Lsn, RedoRecord, TruncationRange } from './types.js';
import { anyOf, filterOf } from './frozen.js';

/** Records of an epoch older than a range's epoch, with an LSN in (from, to], are annulled. */
export function annulledBy(ranges: readonly TruncationRange[], lsn: Lsn, epoch: number): boolean {
  return anyOf(ranges, (r) => epoch < r.epoch && r.from < lsn && lsn <= r.to);
}

export function recordAnnulled(ranges: readonly TruncationRange[], r: RedoRecord): boolean {
  return annulledBy(ranges, r.lsn, r.epoch);
}

/**
 * A page write is visible at read point p when it is at or below p, its transaction's commit is
 * at or below p, and neither the write nor the commit was annulled by recovery.
 */
export function visibleAt(ranges: readonly TruncationRange[], r: RedoRecord, readPoint: Lsn): boolean {
  return r.page !== null && r.lsn <= readPoint && r.commitLsn <= readPoint
    && !annulledBy(ranges, r.lsn, r.epoch) && !annulledBy(ranges, r.commitLsn, r.epoch);
}

/** The page's value at a read point: the visible write with the highest LSN, else 0. */
export function pageValueAt(
  ranges: readonly TruncationRange[], records: readonly RedoRecord[], page: number, readPoint: Lsn,
): number {
  let best: RedoRecord | null = null;
  for (const r of records) {
    if (r.page === page && visibleAt(ranges, r, readPoint) && (best === null || r.lsn > best.lsn)) best = r;
  }
  return best === null ? 0 : best.value;
}

/**
 * What garbage collection left: everything at or below `point` is coalesced (only the versions a
 * read at or above `point` can see are kept), and the segment was complete to `scl` then.
 */
export interface GcBase {
  readonly gcPoint: Lsn;
  readonly gcScl: Lsn;
}

/**
 * SCL: the highest LSN up to which the segment holds every record of its PG (0: none). Below the
 * GC point the chain is coalesced away, so a backlink at or below it counts as complete.
 */
export function segmentCompleteLsn(records: readonly RedoRecord[], base: GcBase = { gcPoint: 0, gcScl: 0 }): Lsn {
  const complete = new Set<Lsn>();
  let scl = Math.max(0, base.gcScl);
  // A segment's log is in LSN order already; other lists are sorted first.
  for (const r of inLsnOrder(records) ? records : sortByLsn(records)) {
    if (r.lsn <= base.gcPoint || r.prevPg <= base.gcPoint || complete.has(r.prevPg)) {
      complete.add(r.lsn);
      scl = Math.max(scl, r.lsn);
    }
  }
  return scl;
}

function inLsnOrder(records: readonly RedoRecord[]): boolean {
  for (let i = 1; i < records.length; i++) if (records[i - 1]!.lsn > records[i]!.lsn) return false;
  return true;
}

type Segment = GcBase & { readonly records: readonly RedoRecord[] };

/**
 * Keyed on a segment's frozen log (a value, which many versions of a segment share: a new epoch,
 * membership or PGMRPL keeps the log): the GC base it was asked with, its SCL, and whether it
 * holds records above it.
 */
const byLog = new WeakMap<readonly RedoRecord[], GcBase & { readonly scl: Lsn; readonly holes: boolean }>();

/** A segment's SCL and holes: pure functions of its log and GC base, memoized per frozen log. */
function completeness(seg: Segment): { readonly scl: Lsn; readonly holes: boolean } {
  const records = seg.records;
  let known = byLog.get(records);
  if (known === undefined || known.gcPoint !== seg.gcPoint || known.gcScl !== seg.gcScl) {
    const scl = segmentCompleteLsn(records, seg);
    known = { gcPoint: seg.gcPoint, gcScl: seg.gcScl, scl, holes: anyOf(records, (r) => r.lsn > scl) };
    if (Object.isFrozen(records)) byLog.set(records, known);
  }
  return known;
}

/** A segment's SCL. */
export function sclOf(seg: Segment): Lsn {
  return completeness(seg).scl;
}

/** Records above the SCL: the segment knows it has holes below them (gossip fills them). */
export function hasHoles(seg: Segment): boolean {
  return completeness(seg).holes;
}

/**
 * Coalesce at `point`: of the records at or below it keep only those a read at or above `point`
 * can see: each page's newest version committed by then, and versions whose commit is above it.
 * Commit records, older versions and annulled records go.
 */
export function coalesce(ranges: readonly TruncationRange[], records: readonly RedoRecord[], point: Lsn): RedoRecord[] {
  const newest = new Map<number, RedoRecord>();
  for (const r of records) {
    if (r.lsn <= point && visibleAt(ranges, r, point)) {
      const best = newest.get(r.page!);
      if (best === undefined || r.lsn > best.lsn) newest.set(r.page!, r);
    }
  }
  return filterOf(records, (r) => r.lsn > point || newest.get(r.page ?? -1) === r
    || (r.page !== null && r.commitLsn > point && !annulledBy(ranges, r.lsn, r.epoch) && !annulledBy(ranges, r.commitLsn, r.epoch)));
}

/** The index of the first record with an LSN above `lsn`, in an LSN-ordered list. */
export function firstAbove(records: readonly { readonly lsn: Lsn }[], lsn: Lsn): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (records[mid]!.lsn > lsn) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** An LSN-ordered log holds a record with this LSN. */
export function holdsLsn(records: readonly { readonly lsn: Lsn }[], lsn: Lsn): boolean {
  const i = firstAbove(records, lsn);
  return i > 0 && records[i - 1]!.lsn === lsn;
}

export function sortByLsn<T extends { readonly lsn: Lsn }>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => a.lsn - b.lsn);
}
