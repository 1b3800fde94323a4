// Crash recovery's decision: a pure function of what a read quorum of every PG returned.
//
// Method (SIGMOD 2017 §4.3, SIGMOD 2018 §3): union the records read (one per LSN and epoch),
// drop those annulled by the truncation ranges in force (those of the responders holding the
// newest range seen: model/recovery.ts says why), follow volume backlinks to the highest LSN
// whose chain is complete (VCL), take VDL as the highest CPL on that chain, and annul everything
// above it up to max(VDL, highest end of a range in force) + LAL under the new epoch. Below the
// highest GC point reported every record was durable (it was below some VDL), so the chain may
// stop there.
// Orders matter and follow the model's: responses in PG order then arrival order; the first copy
// of a duplicate keeps its place; sorts are stable.

import type { Config, Lsn, NodeId, RedoRecord, TruncationRange } from '../model/types.js';
import { bug } from '../model/types.js';
import { assert } from './assert.js';
import { recordAnnulled } from './log.js';

export interface RecoveryResponse {
  readonly node: NodeId;
  readonly records: readonly RedoRecord[];
  readonly ranges: readonly TruncationRange[];
  readonly gcPoint: Lsn;
}

export interface RecoveryPlan {
  readonly vdl: Lsn;
  readonly vcl: Lsn;
  readonly gcPoint: Lsn;
  /** The new truncation range is (vdl, truncateTo]. */
  readonly truncateTo: Lsn;
  /** Every range recovery honours, its own last: sealed onto every segment. */
  readonly ranges: readonly TruncationRange[];
  /** Per PG: the valid records at or below vdl (and below the GC point), LSN order. */
  readonly records: readonly (readonly RedoRecord[])[];
  /** Per PG: the last LSN of `records` (0: none): the next record's PG backlink. */
  readonly lastPg: readonly Lsn[];
  readonly annulled: number;
}

/** The plan the volume is created with: empty, sealed at epoch 1. */
export function emptyPlan(pgCount: number): RecoveryPlan {
  return {
    vdl: 0, vcl: 0, gcPoint: 0, truncateTo: 0, ranges: [], annulled: 0,
    records: Array.from({ length: pgCount }, () => []), lastPg: Array.from({ length: pgCount }, () => 0),
  };
}

export function planRecovery(config: Config, epoch: number, responses: readonly (readonly RecoveryResponse[])[]): RecoveryPlan {
  assert(responses.length >= 1, 'recovery reads every PG');
  const flat = responses.flat();
  // The ranges in force: those of the responders holding the newest range seen (model/recovery.ts).
  let newest = -Infinity;
  for (const r of flat) for (const x of r.ranges) newest = Math.max(newest, x.epoch);
  const every = bug(config, 'recovery-honours-every-range');
  const seen = uniqueRanges(flat.flatMap((r) => (every || r.ranges.some((x) => x.epoch === newest) ? r.ranges : [])));
  const all = uniqueRecords(flat.flatMap((r) => r.records)).sort((a, b) => a.lsn - b.lsn);
  const valid = all.filter((r) => !recordAnnulled(seen, r));
  let gcPoint = 0;
  for (const r of flat) gcPoint = Math.max(gcPoint, r.gcPoint);
  const chain = volumeChain(valid, gcPoint);
  const vcl = Math.max(gcPoint, chain.length === 0 ? 0 : chain[chain.length - 1]!.lsn);
  let vdl = gcPoint;
  for (const r of chain) if (r.cpl && r.lsn > vdl) vdl = r.lsn;
  let rangeEnd = vdl;
  for (const r of seen) rangeEnd = Math.max(rangeEnd, r.to);
  let truncateTo = rangeEnd + config.lal;
  if (bug(config, 'truncation-to-highest-seen')) truncateTo = Math.max(vdl + 1, ...valid.map((r) => r.lsn), ...seen.map((r) => r.to));
  const range: TruncationRange = { epoch, from: vdl, to: truncateTo };
  const survivors = [...valid.filter((r) => r.lsn <= gcPoint), ...chain.filter((r) => r.lsn <= vdl)];
  const records = responses.map((_, pg) => survivors.filter((r) => r.pg === pg));
  assert(vdl <= vcl, 'recovered VDL <= VCL');
  assert(truncateTo > vdl, 'the truncation range is not empty');
  return {
    vdl, vcl, gcPoint, truncateTo,
    ranges: [...seen, range],
    records,
    lastPg: records.map((rs) => (rs.length === 0 ? 0 : rs[rs.length - 1]!.lsn)),
    annulled: valid.filter((r) => recordAnnulled([range], r)).length,
  };
}

/**
 * The records on the complete volume chain ending at the highest complete LSN, LSN order, down to
 * the GC point. `valid` is LSN-ordered; where two records share an LSN the later one names it.
 */
function volumeChain(valid: readonly RedoRecord[], gcPoint: Lsn): RedoRecord[] {
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
  const chain: RedoRecord[] = [];
  while (head > gcPoint) {
    const r = byLsn.get(head);
    assert(r !== undefined, () => `volume chain broken at ${head}`);
    chain.push(r);
    head = r.prevVol;
  }
  return chain.reverse();
}

function uniqueRanges(ranges: readonly TruncationRange[]): TruncationRange[] {
  const byKey = new Map<string, TruncationRange>();
  for (const r of ranges) byKey.set(`${r.epoch}:${r.from}:${r.to}`, r);
  return [...byKey.values()].sort((a, b) => a.epoch - b.epoch || a.from - b.from);
}

/** Two copies of one LSN are one record (same epoch) or an annulled one and a valid one. */
function uniqueRecords(records: readonly RedoRecord[]): RedoRecord[] {
  const byKey = new Map<string, RedoRecord>();
  for (const r of records) byKey.set(`${r.lsn}:${r.epoch}`, r);
  return [...byKey.values()];
}
