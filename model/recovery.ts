// Crash recovery's decision, as a pure function of what a read quorum of every PG returned.
//
// Method (SIGMOD 2017 §4.3, SIGMOD 2018 §3): union the records read, drop those annulled by any
// truncation range seen, follow volume backlinks to find VCL (the highest LSN whose chain is
// complete), take VDL as the highest CPL on that chain, and annul everything above it up to
// max(VDL, highest range end seen) + LAL.
//
// Why this is safe: a record that reached a write quorum of its PG is in every read quorum of it,
// so every record at or below the crashed writer's VCL is read and VDL never drops below an
// acknowledged commit. The writer never allocated above its VDL + LAL; its VDL is at most the
// recovered VDL or its own base (the end of the range it recovered with), so the new range
// covers every LSN it may have used. Ranges carry epochs: a range annuls only older records, so
// a later writer's records inside an earlier range stay valid. A range that no read quorum sees
// never reached a write quorum, so its writer never became active and wrote nothing.

import type { RecoveryPlan, RecoveryResponse } from './state.js';
import type { Config, Lsn, RedoRecord, TruncationRange } from './types.js';
import { bug } from './types.js';
import { recordAnnulled, sortByLsn } from './log.js';

export function planRecovery(
  config: Config, epoch: number, responses: readonly (readonly RecoveryResponse[])[],
): RecoveryPlan {
  const { seen, valid, gcPoint, chain, vcl, vdl } = decide(responses);
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
export function recoveredVdl(responses: readonly (readonly RecoveryResponse[])[]): Lsn {
  return decide(responses).vdl;
}

/** The decision: the valid records, the complete volume chain, VCL and VDL. */
function decide(responses: readonly (readonly RecoveryResponse[])[]) {
  const seen = uniqueRanges(responses.flat().flatMap((r) => r.ranges));
  const all = sortByLsn(uniqueRecords(responses.flat().flatMap((r) => r.records)));
  const valid = all.filter((r) => !recordAnnulled(seen, r));
  // Below the highest GC point every record was durable and consistent (it was below some VDL).
  const gcPoint = Math.max(0, ...responses.flat().map((r) => r.gcPoint));
  const chain = volumeChain(valid, gcPoint);
  const vcl = Math.max(gcPoint, chain.length === 0 ? 0 : chain[chain.length - 1]!.lsn);
  const kept = chain.filter((r) => r.cpl);
  const vdl = Math.max(gcPoint, kept.length === 0 ? 0 : kept[kept.length - 1]!.lsn);
  return { seen, valid, gcPoint, chain, vcl, vdl };
}

/**
 * The records on the complete volume chain ending at the highest complete LSN, in LSN order,
 * down to the GC point (below it the log is coalesced). Each record's volume backlink names the
 * previous valid record, so the chain from VCL visits every valid record down to there.
 */
function volumeChain(valid: readonly RedoRecord[], gcPoint: Lsn): RedoRecord[] {
  const above = valid.filter((r) => r.lsn > gcPoint);
  const byLsn = new Map(above.map((r) => [r.lsn, r] as const));
  const complete = new Set<Lsn>();
  for (const r of above) if (r.prevVol <= gcPoint || complete.has(r.prevVol)) complete.add(r.lsn);
  let head = Math.max(0, ...complete);
  const chain: RedoRecord[] = [];
  while (head > gcPoint) {
    const r = byLsn.get(head)!;
    chain.push(r);
    head = r.prevVol;
  }
  return chain.reverse();
}

function uniqueRanges(ranges: readonly TruncationRange[]): TruncationRange[] {
  const byKey = new Map(ranges.map((r) => [`${r.epoch}:${r.from}:${r.to}`, r] as const));
  return [...byKey.values()].sort((a, b) => a.epoch - b.epoch || a.from - b.from);
}

/**
 * Two copies of one LSN are one record (same epoch) or an annulled one and a valid one. One per
 * (LSN, epoch): the last copy seen, in the place of the first.
 */
function uniqueRecords(records: readonly RedoRecord[]): RedoRecord[] {
  const at = new Map<Lsn, Map<number, number>>();
  const out: RedoRecord[] = [];
  for (const r of records) {
    let byEpoch = at.get(r.lsn);
    if (byEpoch === undefined) at.set(r.lsn, (byEpoch = new Map()));
    const i = byEpoch.get(r.epoch);
    if (i === undefined) {
      byEpoch.set(r.epoch, out.length);
      out.push(r);
    } else out[i] = r;
  }
  return out;
}
