// Rules of the log that both the writer and storage apply: annulment by truncation ranges,
// visibility at a read point, and completeness along backlink chains.
//
// A segment's SCL is the highest LSN whose chain of PG backlinks is complete in that segment: it
// holds that record and, transitively, every earlier record of the PG. Recovery finds VCL the
// same way along volume backlinks. Written to be read, not to be fast: chains are recomputed.

import type { Lsn, RedoRecord, TruncationRange } from './types.js';

/** Records of an epoch older than a range's epoch, with an LSN in (from, to], are annulled. */
export function annulledBy(ranges: readonly TruncationRange[], lsn: Lsn, epoch: number): boolean {
  return ranges.some((r) => epoch < r.epoch && r.from < lsn && lsn <= r.to);
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

/** LSNs whose chain of `link` backlinks down to 0 is complete among `records`. */
export function completeChain(
  records: readonly RedoRecord[], link: (r: RedoRecord) => Lsn,
): Set<Lsn> {
  const byLsn = new Map(records.map((r) => [r.lsn, r] as const));
  const complete = new Set<Lsn>();
  for (const lsn of [...byLsn.keys()].sort((a, b) => a - b)) {
    const prev = link(byLsn.get(lsn)!);
    if (prev === 0 || complete.has(prev)) complete.add(lsn);
  }
  return complete;
}

/** SCL: the highest LSN up to which the segment holds every record of its PG (0: none). */
export function segmentCompleteLsn(records: readonly RedoRecord[]): Lsn {
  return Math.max(0, ...completeChain(records, (r) => r.prevPg));
}

/** Records above the SCL: the segment knows it has holes below them (gossip fills them). */
export function hasHoles(records: readonly RedoRecord[]): boolean {
  const scl = segmentCompleteLsn(records);
  return records.some((r) => r.lsn > scl);
}

export function sortByLsn<T extends { readonly lsn: Lsn }>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => a.lsn - b.lsn);
}
