// Crash recovery's decision, as a pure function of what a read quorum of every PG returned.
//
// Method (SIGMOD 2017 §4.3, SIGMOD 2018 §3): union the records read, drop those annulled by the
// truncation ranges in force (below), follow volume backlinks to find VCL (the highest LSN whose
// chain is complete), take VDL as the highest CPL on that chain, and annul everything above it up
// to max(VDL, highest end of a range in force) + LAL.
//
// Why this is safe: a record that reached a write quorum of its PG is in every read quorum of it,
// so every record at or below the crashed writer's VCL is read and VDL never drops below an
// acknowledged commit. The writer never allocated above its VDL + LAL; its VDL is at most the
// recovered VDL or its own base (the end of the range it recovered with), so the new range
// covers every LSN it may have used. Ranges carry epochs: a range annuls only older records, so
// a later writer's records inside an earlier range stay valid. A range that no read quorum sees
// never reached a write quorum, so its writer never became active and wrote nothing.
//
// Which ranges are in force: those of the responders that hold the newest range seen, not every
// range seen. A segment holds the ranges of the last seal it took, and a seal carries every range
// its recovery kept and its own, the newest; so those responders hold that recovery's ranges. A
// range they lack is one that recovery did not see: it never reached a write quorum (a writer
// goes active only once a write quorum of every PG took its seal, before any of them promised a
// later epoch, so every later recovery's read quorum sees it), its writer wrote nothing, and the
// records it would annul were decided by the newer recovery. Taken as in force, a range left on
// one segment by a recovery interrupted before it sealed a quorum annulled records the next
// recovery had kept and made durable, and the chain of every later commit with them
// (az-plus-one-recovery: shrinks/interrupted-recovery-range.json).

import type { RecoveryPlan, RecoveryResponse } from './state.js';
import type { Config, Lsn, RedoRecord, TruncationRange } from './types.js';
import { bug } from './types.js';
import { recordAnnulled } from './log.js';
import { anyOf } from './frozen.js';

export function planRecovery(
  config: Config, epoch: number, responses: readonly (readonly RecoveryResponse[])[],
): RecoveryPlan {
  const { seen, valid, gcPoint, chain, vcl, vdl } = decide(responses, bug(config, 'recovery-honours-every-range'));
  let truncateTo = Math.max(vdl, ...seen.map((r) => r.to)) + config.lal;
  if (bug(config, 'truncation-to-highest-seen')) truncateTo = Math.max(vdl + 1, ...valid.map((r) => r.lsn), ...seen.map((r) => r.to));
  const range: TruncationRange = { epoch, from: vdl, to: truncateTo };
  const survivors = [...valid.filter((r) => r.lsn <= gcPoint), ...chain.filter((r) => r.lsn <= vdl)];
  const records = responses.map((_, pg) => survivors.filter((r) => r.pg === pg));
  return {
    vdl,
    vcl,
    gcPoint,
    truncateTo,
    ranges: [...seen, range],
    records,
    lastPg: records.map((rs) => (rs.length === 0 ? 0 : rs[rs.length - 1]!.lsn)),
    annulled: valid.filter((r) => recordAnnulled([range], r)).length,
    readFrom: responses.map((rs) => rs.map((r) => r.node)),
  };
}

/** Recovery's VDL from what a read quorum of every PG returned (the plan's `vdl`). */
export function recoveredVdl(config: Config, responses: readonly (readonly RecoveryResponse[])[]): Lsn {
  const { valid, gcPoint } = validRecords(responses, bug(config, 'recovery-honours-every-range'));
  // The last CPL on the chain: walk the chain down from its head to the first CPL.
  const { byLsn, head } = chainHead(valid, gcPoint);
  for (let lsn = head; lsn > gcPoint;) {
    const r = byLsn.get(lsn)!;
    if (r.cpl) return Math.max(gcPoint, r.lsn);
    lsn = r.prevVol;
  }
  return gcPoint;
}

/** The decision: the valid records, the complete volume chain, VCL and VDL. */
function decide(responses: readonly (readonly RecoveryResponse[])[], every: boolean) {
  const { seen, valid, gcPoint } = validRecords(responses, every);
  const chain = volumeChain(valid, gcPoint);
  const vcl = Math.max(gcPoint, chain.length === 0 ? 0 : chain[chain.length - 1]!.lsn);
  const kept = chain.filter((r) => r.cpl);
  const vdl = Math.max(gcPoint, kept.length === 0 ? 0 : kept[kept.length - 1]!.lsn);
  return { seen, valid, gcPoint, chain, vcl, vdl };
}

/**
 * The ranges in force (below), the records read that none of them annuls (one per LSN and epoch,
 * LSN order) and the highest GC point: below it every record was durable and consistent (it was
 * below some VDL). `every`: the recovery-honours-every-range mutant takes every range read.
 */
function validRecords(responses: readonly (readonly RecoveryResponse[])[], every: boolean) {
  // One pass over the responses in order: the records read and the GC point; then the ranges in
  // force (one per epoch, from and to): those of the responders holding the newest range seen.
  const ranges: TruncationRange[] = [];
  const read: RedoRecord[] = [];
  let gcPoint = 0;
  let newest = -Infinity;
  for (const rs of responses) {
    for (const r of rs) {
      for (const x of r.ranges) newest = Math.max(newest, x.epoch);
      for (const x of r.records) read.push(x);
      gcPoint = Math.max(gcPoint, r.gcPoint);
    }
  }
  for (const rs of responses) {
    for (const r of rs) {
      if (every || anyOf(r.ranges, (x) => x.epoch === newest)) for (const x of r.ranges) addRange(ranges, x);
    }
  }
  const seen = ranges.sort(byEpochThenFrom);
  const all = uniqueRecords(read.sort((a, b) => a.lsn - b.lsn));
  // A range annuls only LSNs in (from, to]: outside every range's span no range need be asked.
  let low = Infinity;
  let high = -Infinity;
  for (const x of seen) {
    low = Math.min(low, x.from);
    high = Math.max(high, x.to);
  }
  const valid = all.filter((r) => r.lsn <= low || r.lsn > high || !recordAnnulled(seen, r));
  return { seen, valid, gcPoint };
}

/** Above the GC point: each valid record by LSN, and the highest LSN whose volume chain is complete. */
function chainHead(valid: readonly RedoRecord[], gcPoint: Lsn): { byLsn: Map<Lsn, RedoRecord>; head: Lsn } {
  const byLsn = new Map<Lsn, RedoRecord>();
  const complete = new Set<Lsn>();
  let head = 0;
  for (const r of valid) {
    if (r.lsn <= gcPoint) continue;
    byLsn.set(r.lsn, r);
    if (r.prevVol <= gcPoint || complete.has(r.prevVol)) {
      complete.add(r.lsn);
      head = Math.max(head, r.lsn);
    }
  }
  return { byLsn, head };
}

/**
 * The records on the complete volume chain ending at the highest complete LSN, in LSN order,
 * down to the GC point (below it the log is coalesced). Each record's volume backlink names the
 * previous valid record, so the chain from VCL visits every valid record down to there.
 */
function volumeChain(valid: readonly RedoRecord[], gcPoint: Lsn): RedoRecord[] {
  const { byLsn, head: top } = chainHead(valid, gcPoint);
  let head = top;
  const chain: RedoRecord[] = [];
  while (head > gcPoint) {
    const r = byLsn.get(head)!;
    chain.push(r);
    head = r.prevVol;
  }
  return chain.reverse();
}

/**
 * Adds a range to `unique` (one per epoch, from and to: the last copy seen, in the place of the
 * first), in the order ranges are first seen. Ranges are few: a scan, no keys built.
 */
function addRange(unique: TruncationRange[], r: TruncationRange): void {
  for (let i = 0; i < unique.length; i++) {
    const u = unique[i]!;
    if (u === r) return;
    if (u.epoch === r.epoch && u.from === r.from && u.to === r.to) {
      unique[i] = r;
      return;
    }
  }
  unique.push(r);
}

function byEpochThenFrom(a: TruncationRange, b: TruncationRange): number {
  return a.epoch - b.epoch || a.from - b.from;
}

/**
 * Two copies of one LSN are one record (same epoch) or an annulled one and a valid one. One per
 * (LSN, epoch), LSN order: the last copy seen, in the place of the first (copies of one LSN keep
 * the order their epochs were first seen in). `sorted`: the records read, stably sorted by LSN
 * (so each LSN's copies are in the order they were seen).
 */
function uniqueRecords(sorted: readonly RedoRecord[]): RedoRecord[] {
  const out: RedoRecord[] = [];
  let first = 0; // where the current LSN's records start in out
  for (const r of sorted) {
    if (out.length === first || out[first]!.lsn !== r.lsn) {
      first = out.length;
      out.push(r);
      continue;
    }
    let i = first;
    while (i < out.length && out[i]!.epoch !== r.epoch) i++;
    out[i] = r;
  }
  return out;
}
