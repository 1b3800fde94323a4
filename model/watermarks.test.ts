import { describe, it, expect } from 'vitest';
import type { Config, Lsn, Membership, RedoRecord, TruncationRange } from './types.js';
import { DEFAULT_CONFIG, FULL_NODES, INITIAL_MEMBERS } from './types.js';
import type { RecoveryResponse, WriterUp } from './state.js';
import { pgCompleteLsn, volumeCompleteLsn, volumeDurableLsn, watermarks } from './watermarks.js';
import { writerUp } from './writer.js';
import { hasHoles as hasHolesOf, segmentCompleteLsn } from './log.js';
import { planRecovery, recoveredVdl } from './recovery.js';

interface Spec {
  readonly lsn: Lsn;
  readonly pg: number;
  readonly cpl?: boolean;
  readonly epoch?: number;
}

/**
 * Redo records in LSN order with their backlinks filled in: prevPg is the previous record of the
 * same PG (else `pgBase`), prevVol the previous record (else `base`).
 */
function chain(base: Lsn, specs: readonly Spec[], pgBase: Lsn = 0): RedoRecord[] {
  const out: RedoRecord[] = [];
  const lastPg = new Map<number, Lsn>();
  let prevVol = base;
  for (const s of specs) {
    out.push(rec({ lsn: s.lsn, pg: s.pg, cpl: s.cpl ?? false, epoch: s.epoch ?? 1, prevPg: lastPg.get(s.pg) ?? pgBase, prevVol }));
    lastPg.set(s.pg, s.lsn);
    prevVol = s.lsn;
  }
  return out;
}

function rec(r: { lsn: Lsn; pg: number; prevPg: Lsn; prevVol: Lsn; cpl?: boolean; epoch?: number }): RedoRecord {
  return {
    lsn: r.lsn, epoch: r.epoch ?? 1, pg: r.pg, prevPg: r.prevPg, prevVol: r.prevVol,
    txn: 0, commitLsn: r.lsn, cpl: r.cpl ?? false, page: r.pg, value: r.lsn,
  };
}

describe('volumeCompleteLsn', () => {
  const records = chain(100, [
    { lsn: 101, pg: 0 }, { lsn: 102, pg: 1 }, { lsn: 103, pg: 0 }, { lsn: 104, pg: 1 }, { lsn: 105, pg: 0 },
  ]);

  it('is not min(PGCL): PG 0 complete to 103 (105 missing), PG 1 to 104 -> VCL 104', () => {
    const pgcl = [103, 104];
    expect(volumeCompleteLsn(100, records, pgcl)).toBe(104);
    expect(Math.min(...pgcl)).toBe(103);
  });

  it('stops at the first record above its PG complete LSN', () => {
    expect(volumeCompleteLsn(100, records, [105, 102])).toBe(103);
    expect(volumeCompleteLsn(100, records, [105, 104])).toBe(105);
    expect(volumeCompleteLsn(100, records, [100, 104])).toBe(100);
  });

  it('is the base with nothing allocated or nothing complete', () => {
    expect(volumeCompleteLsn(100, [], [0, 0])).toBe(100);
    expect(volumeCompleteLsn(100, records, [-1, -1])).toBe(100);
  });
});

describe('volumeDurableLsn', () => {
  const specs: Spec[] = [];
  for (let lsn = 891; lsn <= 1105; lsn++) specs.push({ lsn, pg: lsn % 2, cpl: lsn === 900 || lsn === 1000 || lsn === 1100 });
  const records = chain(890, specs);

  it('is the highest CPL at or below VCL: CPLs 900, 1000, 1100 and VCL 1007 -> 1000', () => {
    expect(volumeDurableLsn(890, records, 1007)).toBe(1000);
  });

  it('moves only at CPLs', () => {
    expect(volumeDurableLsn(890, records, 1000)).toBe(1000);
    expect(volumeDurableLsn(890, records, 999)).toBe(900);
    expect(volumeDurableLsn(890, records, 1105)).toBe(1100);
  });

  it('is the base below the first CPL', () => {
    expect(volumeDurableLsn(890, records, 899)).toBe(890);
    expect(volumeDurableLsn(890, [], 1007)).toBe(890);
  });
});

/** A PG's stable membership: the six initial members, full segments A1 B1 C1. */
const SIX: Membership = { epoch: 1, sets: [[...INITIAL_MEMBERS]], full: [...FULL_NODES] };
/** The same PG mid-change: C2 being replaced by C3 (writes need 4/6 of both sets). */
const JOINT: Membership = {
  epoch: 2,
  sets: [[...INITIAL_MEMBERS], INITIAL_MEMBERS.map((n) => (n === 'C2' ? 'C3' : n))],
  full: [...FULL_NODES],
};

describe('pgCompleteLsn', () => {
  it('uniform: the highest LSN four segments reach (the 4th highest SCL)', () => {
    const scl = { A1: 10, A2: 9, B1: 8, B2: 7, C1: 3, C2: 0 };
    expect(pgCompleteLsn(DEFAULT_CONFIG, SIX, scl)).toBe(7);
  });

  it('uniform: the full segments alone are not a write quorum', () => {
    const scl = { A1: 10, B1: 10, C1: 10, A2: 0, B2: 0, C2: 0 };
    expect(pgCompleteLsn(DEFAULT_CONFIG, SIX, scl)).toBe(0);
  });

  it('uniform: -1 while no write quorum has reported', () => {
    expect(pgCompleteLsn(DEFAULT_CONFIG, SIX, { A1: 5, A2: 5, B1: 5 })).toBe(-1);
    expect(pgCompleteLsn(DEFAULT_CONFIG, SIX, {})).toBe(-1);
  });

  it('uniform: SCLs of non-members (spares) do not count', () => {
    expect(pgCompleteLsn(DEFAULT_CONFIG, SIX, { A1: 5, A2: 5, B1: 5, A3: 5, B3: 5, C3: 5 })).toBe(-1);
  });

  it('fullTail: 3/3 full segments are a write quorum', () => {
    const config: Config = { ...DEFAULT_CONFIG, layout: 'fullTail' };
    const scl = { A1: 10, B1: 10, C1: 10, A2: 0, B2: 0, C2: 0 };
    expect(pgCompleteLsn(config, SIX, scl)).toBe(10);
  });

  it('fullTail: or any four segments', () => {
    const config: Config = { ...DEFAULT_CONFIG, layout: 'fullTail' };
    expect(pgCompleteLsn(config, SIX, { A1: 10, B1: 10, C1: 3, A2: 10, B2: 10, C2: 0 })).toBe(10);
    expect(pgCompleteLsn(config, SIX, { A1: 10, B1: 10, C1: 3, A2: 10, B2: 9, C2: 0 })).toBe(9);
  });

  it('joint membership (ABCDEF + ABCDEG): PGCL needs a write quorum of both sets', () => {
    // A1 A2 B1 C2 at 10: 4/6 of the old set, but only 3/6 of the new one (C2 is not in it)
    expect(pgCompleteLsn(DEFAULT_CONFIG, JOINT, { A1: 10, A2: 10, B1: 10, C2: 10, B2: 4, C1: 4, C3: 0 })).toBe(4);
    // C3 at 10 too: 4/6 of both
    expect(pgCompleteLsn(DEFAULT_CONFIG, JOINT, { A1: 10, A2: 10, B1: 10, C2: 10, B2: 4, C1: 4, C3: 10 })).toBe(10);
    // A1 A2 B1 B2 at 10: 4/6 of both sets without either C2 or C3
    expect(pgCompleteLsn(DEFAULT_CONFIG, JOINT, { A1: 10, A2: 10, B1: 10, B2: 10 })).toBe(10);
    // the new set alone is not enough
    expect(pgCompleteLsn(DEFAULT_CONFIG, JOINT, { A1: 10, A2: 10, B1: 10, C3: 10, B2: 0, C1: 0, C2: 0 })).toBe(0);
  });
});

describe('watermarks (the writer view)', () => {
  it('derives PGCL per PG from the writer\'s SCLs, then VCL, VDL and the highest allocated LSN', () => {
    const records = chain(0, [
      { lsn: 1, pg: 0 }, { lsn: 2, pg: 1, cpl: true }, { lsn: 3, pg: 0, cpl: true }, { lsn: 4, pg: 1, cpl: true },
    ]);
    const plan = { vdl: 0, vcl: 0, gcPoint: 0, truncateTo: 0, ranges: [], annulled: 0, records: [[], []], lastPg: [0, 0] };
    const w: WriterUp = {
      ...writerUp(plan, 1, 'active', 2),
      records,
      // PG 0 complete to 3 on four members; PG 1 complete to 2 on four members, to 4 on three
      scl: [{ A1: 3, A2: 3, B1: 3, B2: 3, C1: 1 }, { A1: 4, A2: 4, B1: 4, B2: 2, C1: 2 }],
    };
    expect(watermarks(DEFAULT_CONFIG, [SIX, SIX], w)).toEqual({ pgcl: [3, 2], vcl: 3, vdl: 3, allocated: 4 });
    // PG 1 mid-change to C3, which has not reported: still complete to 2 (A1 A2 B1 B2 are in both sets)
    expect(watermarks(DEFAULT_CONFIG, [SIX, JOINT], w)).toEqual({ pgcl: [3, 2], vcl: 3, vdl: 3, allocated: 4 });
    // one more member of PG 1 at 4 completes the chain to the CPL at 4
    const more: WriterUp = { ...w, scl: [w.scl[0]!, { ...w.scl[1]!, C1: 4 }] };
    expect(watermarks(DEFAULT_CONFIG, [SIX, SIX], more)).toEqual({ pgcl: [3, 4], vcl: 4, vdl: 4, allocated: 4 });
    // in the joint membership C1 at 4 makes 4/6 of the old set (A1 A2 B1 C1) and of the new one
    expect(watermarks(DEFAULT_CONFIG, [SIX, JOINT], more).vdl).toBe(4);
  });
});

describe('segmentCompleteLsn and hasHoles (log.ts)', () => {
  const holes = (records: RedoRecord[]) => hasHolesOf({ records, gcPoint: 0, gcScl: 0 });
  const r1 = rec({ lsn: 1, pg: 0, prevPg: 0, prevVol: 0 });
  const r3 = rec({ lsn: 3, pg: 0, prevPg: 1, prevVol: 2 });
  const r5 = rec({ lsn: 5, pg: 0, prevPg: 3, prevVol: 4 });
  const r7 = rec({ lsn: 7, pg: 0, prevPg: 5, prevVol: 6 });

  it('follows PG backlinks: 1, 3, 7 (5 missing) -> 3, with a hole', () => {
    expect(segmentCompleteLsn([r1, r3, r7])).toBe(3);
    expect(holes([r1, r3, r7])).toBe(true);
  });

  it('filling the hole with 5 completes the chain to 7', () => {
    expect(segmentCompleteLsn([r1, r3, r5, r7])).toBe(7);
    expect(holes([r1, r3, r5, r7])).toBe(false);
    // order of arrival does not matter
    expect(segmentCompleteLsn([r7, r5, r1, r3])).toBe(7);
  });

  it('an empty segment is complete to 0; a segment missing the first record is complete to 0', () => {
    expect(segmentCompleteLsn([])).toBe(0);
    expect(holes([])).toBe(false);
    expect(segmentCompleteLsn([r3, r5])).toBe(0);
    expect(holes([r3, r5])).toBe(true);
  });
});

describe('planRecovery', () => {
  const config: Config = { ...DEFAULT_CONFIG, pgCount: 2, lal: 12 };
  const response = (node: string, records: RedoRecord[], ranges: TruncationRange[] = []): RecoveryResponse =>
    ({ node, records, ranges, gcPoint: 0 });
  const pgOf = (rs: RedoRecord[], pg: number): RedoRecord[] => rs.filter((r) => r.pg === pg);

  it('takes VDL as the highest CPL on the complete volume chain and truncates LAL above it', () => {
    // 1..6 allocated; 4 (PG 1) reached nobody in the read quorum, so 5 and 6 are above the hole.
    const all = chain(0, [
      { lsn: 1, pg: 0 }, { lsn: 2, pg: 1, cpl: true }, { lsn: 3, pg: 0, cpl: true },
      { lsn: 4, pg: 1, cpl: true }, { lsn: 5, pg: 0 }, { lsn: 6, pg: 0, cpl: true },
    ]);
    const seen = all.filter((r) => r.lsn !== 4);
    const responses = [
      [response('A1', pgOf(seen, 0)), response('A2', pgOf(seen, 0)), response('B1', pgOf(seen, 0).slice(0, 1))],
      [response('A1', pgOf(seen, 1)), response('B2', pgOf(seen, 1)), response('C1', [])],
    ];
    const plan = planRecovery(config, 2, responses);
    expect(plan.vcl).toBe(3);
    expect(plan.vdl).toBe(3);
    expect(plan.truncateTo).toBe(3 + 12);
    expect(plan.ranges).toEqual([{ epoch: 2, from: 3, to: 15 }]);
    expect(plan.records.map((rs) => rs.map((r) => r.lsn))).toEqual([[1, 3], [2]]);
    expect(plan.lastPg).toEqual([3, 2]);
    // 5 and 6 are read but lie in the new range
    expect(plan.annulled).toBe(2);
  });

  it('a complete chain ending in a non-CPL record: VDL is the CPL below it', () => {
    const all = chain(0, [{ lsn: 1, pg: 0, cpl: true }, { lsn: 2, pg: 1 }, { lsn: 3, pg: 0 }]);
    const plan = planRecovery(config, 2, [[response('A1', pgOf(all, 0))], [response('A1', pgOf(all, 1))]]);
    expect(plan.vcl).toBe(3);
    expect(plan.vdl).toBe(1);
    expect(plan.truncateTo).toBe(13);
    expect(plan.lastPg).toEqual([1, 0]);
    expect(plan.annulled).toBe(2);
  });

  it('honours seen ranges: older-epoch records inside are ignored, newer-epoch ones stay', () => {
    const earlier: TruncationRange = { epoch: 2, from: 3, to: 15 };
    const epoch1 = chain(0, [
      { lsn: 1, pg: 0 }, { lsn: 2, pg: 1, cpl: true }, { lsn: 3, pg: 0, cpl: true },
      // annulled by the epoch-2 range: without it they would extend the chain to a CPL at 5
      { lsn: 4, pg: 1, cpl: true }, { lsn: 5, pg: 0, cpl: true },
    ]);
    // the epoch-2 writer's records, chained onto the VDL (3) its recovery found
    const epoch2 = [
      rec({ lsn: 4, pg: 1, prevPg: 2, prevVol: 3, cpl: true, epoch: 2 }),
      rec({ lsn: 16, pg: 0, prevPg: 3, prevVol: 4, epoch: 2 }),
      rec({ lsn: 17, pg: 1, prevPg: 4, prevVol: 16, cpl: true, epoch: 2 }),
      rec({ lsn: 18, pg: 0, prevPg: 16, prevVol: 17, epoch: 2 }),
      // 19 (PG 1) lost; 20 is above the hole
      rec({ lsn: 20, pg: 0, prevPg: 18, prevVol: 19, cpl: true, epoch: 2 }),
    ];
    const all = [...epoch1, ...epoch2];
    const responses = [
      [response('A1', pgOf(all, 0), [earlier]), response('A2', pgOf(all, 0)), response('B1', pgOf(all, 0))],
      [response('A1', pgOf(all, 1)), response('B1', pgOf(all, 1), [earlier]), response('C2', pgOf(epoch1, 1))],
    ];
    const plan = planRecovery(config, 3, responses);
    expect(plan.vcl).toBe(18);
    expect(plan.vdl).toBe(17);
    expect(plan.truncateTo).toBe(Math.max(17, 15) + 12);
    expect(plan.ranges).toEqual([earlier, { epoch: 3, from: 17, to: 29 }]);
    // LSN 4 survives as the epoch-2 record; the epoch-1 records 4 and 5 are gone
    expect(plan.records[0]!.map((r) => [r.lsn, r.epoch])).toEqual([[1, 1], [3, 1], [16, 2]]);
    expect(plan.records[1]!.map((r) => [r.lsn, r.epoch])).toEqual([[2, 1], [4, 2], [17, 2]]);
    expect(plan.lastPg).toEqual([16, 17]);
    // 18 and 20 are annulled by the new range (epoch-1 4 and 5 were already annulled)
    expect(plan.annulled).toBe(2);
    // without the range, the epoch-1 records 4 and 5 would extend the chain to a CPL at 5
    const blind = planRecovery(config, 3, [[response('A1', pgOf(epoch1, 0))], [response('A1', pgOf(epoch1, 1))]]);
    expect(blind.vdl).toBe(5);
  });

  it('truncates from the highest range end seen when it is above VDL', () => {
    const earlier: TruncationRange = { epoch: 2, from: 3, to: 15 };
    const epoch1 = chain(0, [
      { lsn: 1, pg: 0 }, { lsn: 2, pg: 1, cpl: true }, { lsn: 3, pg: 0, cpl: true }, { lsn: 4, pg: 1, cpl: true },
    ]);
    const responses = [
      [response('A1', pgOf(epoch1, 0)), response('B1', pgOf(epoch1, 0), [earlier])],
      [response('A1', pgOf(epoch1, 1)), response('C1', pgOf(epoch1, 1), [earlier])],
    ];
    const plan = planRecovery(config, 3, responses);
    expect(plan.vdl).toBe(3);
    expect(plan.truncateTo).toBe(15 + 12);
    expect(plan.ranges).toEqual([earlier, { epoch: 3, from: 3, to: 27 }]);
    expect(plan.annulled).toBe(0);
  });

  it('honours the ranges of the responders holding the newest range, not a range that recovery never saw', () => {
    // Records 1..2 (epoch 1) reached B1 and C1 only. Recovery at epoch 2 read neither, planned
    // (0, 14] and sealed A1 alone before it was cut off; recovery at epoch 3 read B1 and C1, kept
    // 1..2 (VDL 2), sealed them with (2, 14] and went active.
    const epoch1 = chain(0, [{ lsn: 1, pg: 0 }, { lsn: 2, pg: 0, cpl: true }]);
    const interrupted: TruncationRange = { epoch: 2, from: 0, to: 14 };
    const active: TruncationRange = { epoch: 3, from: 2, to: 14 };
    const read = (a1: TruncationRange[], others: TruncationRange[]) => [
      [response('A1', [], a1), response('B1', epoch1, others), response('C1', epoch1, others)],
      [response('A1', [], a1), response('B1', [], others), response('C1', [], others)],
    ];
    // The epoch-3 recovery never saw the epoch-2 range: it is void, 1..2 stay.
    const plan = planRecovery(config, 4, read([interrupted], [active]));
    expect(plan.vdl).toBe(2);
    expect(plan.ranges).toEqual([active, { epoch: 4, from: 2, to: 26 }]);
    expect(plan.records[0]!.map((r) => r.lsn)).toEqual([1, 2]);
    expect(recoveredVdl(config, read([interrupted], [active]))).toBe(2);
    // Had the epoch-3 recovery seen it, its seal would carry it: then it is in force.
    const seenBefore = planRecovery(config, 4, read([interrupted], [interrupted, active]));
    expect(seenBefore.vdl).toBe(0);
    expect(seenBefore.ranges).toEqual([interrupted, active, { epoch: 4, from: 0, to: 26 }]);
    // With no newer range read, the epoch-2 range is the newest: in force.
    expect(planRecovery(config, 4, read([interrupted], [])).vdl).toBe(0);
    // The mutant honours every range seen.
    const honoured = { ...config, bugs: ['recovery-honours-every-range' as const] };
    expect(planRecovery(honoured, 4, read([interrupted], [active])).vdl).toBe(0);
    expect(recoveredVdl(honoured, read([interrupted], [active]))).toBe(0);
  });

  it('an empty volume recovers to 0 and truncates LAL above it', () => {
    const plan = planRecovery(config, 2, [[response('A1', [])], [response('A1', [])]]);
    expect(plan).toMatchObject({ vdl: 0, vcl: 0, truncateTo: 12, lastPg: [0, 0], annulled: 0 });
    expect(plan.records).toEqual([[], []]);
  });
});
