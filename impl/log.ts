// Rules of the log shared by the writer, storage and recovery: annulment by epoch-versioned
// truncation ranges, and visibility of a page write at a read point.
//
// A truncation range (from, to] of epoch e annuls records of epochs older than e with an LSN in
// it. A page write is visible at read point p when it and its transaction's commit are at or
// below p and neither is annulled. Range lists are a handful long (one per recovery), so a scan
// is the fast way.

import type { Lsn, PendingVersion, RedoRecord, TruncationRange } from '../model/types.js';
import { assert as assert_ } from './assert.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;

export function annulledBy(ranges: readonly TruncationRange[], lsn: Lsn, epoch: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (epoch < r.epoch && r.from < lsn && lsn <= r.to) return true;
  }
  return false;
}

export function recordAnnulled(ranges: readonly TruncationRange[], r: RedoRecord): boolean {
  return annulledBy(ranges, r.lsn, r.epoch);
}

/** Neither the write nor its transaction's commit was annulled. */
export function writeSurvives(ranges: readonly TruncationRange[], r: RedoRecord): boolean {
  return !annulledBy(ranges, r.lsn, r.epoch) && !annulledBy(ranges, r.commitLsn, r.epoch);
}

export function visibleAt(ranges: readonly TruncationRange[], r: RedoRecord, readPoint: Lsn): boolean {
  return r.page !== null && r.lsn <= readPoint && r.commitLsn <= readPoint && writeSurvives(ranges, r);
}

export function versionOf(r: RedoRecord): PendingVersion {
  assert(r.page !== null, 'a commit record is no page version');
  return { lsn: r.lsn, commitLsn: r.commitLsn, value: r.value };
}

/**
 * A record is immutable once allocated: every field of RedoRecord is readonly, so the compiler
 * (strict, impl/ is typechecked with the tests) refuses a write. It is not also frozen at run
 * time: Object.freeze is a call into the runtime (Builtin_ObjectFreeze, then a map transition)
 * on every record allocated, ~470 instructions a record by callgrind, 2-3% of impl-1e6.
 */
export function sealRecord(r: RedoRecord): RedoRecord {
  assert(r.lsn > 0, 'LSNs start at 1');
  assert(r.prevPg < r.lsn && r.prevVol < r.lsn, 'backlinks point backwards');
  return r;
}
