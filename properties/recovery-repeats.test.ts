// Recovery's decision on arbitrary reads (records of one LSN and epoch that are different objects,
// unsorted logs, overlapping ranges of several epochs held by some responders and not others):
// (1) the premise of az-plus-one's reuse of recovered VDLs (vdlOfSameReads in
// guarantees/durability.ts): a response that repeats, element for element, the one read just
// before it does not change the VDL recovery finds, so that a change to model/recovery.ts that
// breaks the premise fails here, not silently there; (2) impl's plan (impl/plan.ts) is the
// model's, field for field: the histories lockstep runs rarely leave ranges of several epochs on
// different segments, where which ranges are in force decides the plan.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { RecoveryResponse } from '../model/state.js';
import type { RedoRecord, TruncationRange } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { planRecovery as modelPlan, recoveredVdl } from '../model/recovery.js';
import { planRecovery as implPlan } from '../impl/plan.js';

const SEED = Number(process.env.SEED ?? 4242);
const RUNS = Number(process.env.RUNS ?? 300);

const recordArb: fc.Arbitrary<RedoRecord> = fc.record({
  lsn: fc.integer({ min: 1, max: 12 }), epoch: fc.integer({ min: 1, max: 3 }), back: fc.integer({ min: 1, max: 3 }), cpl: fc.boolean(),
}).map(({ lsn, epoch, back, cpl }) => ({ lsn, epoch, pg: 0, prevPg: 0, prevVol: Math.max(0, lsn - back), txn: 0, commitLsn: lsn, cpl, page: null, value: 0 }));

const rangeArb: fc.Arbitrary<TruncationRange> = fc.record({ epoch: fc.integer({ min: 1, max: 3 }), from: fc.nat({ max: 10 }), to: fc.nat({ max: 4 }) })
  .map((r) => ({ epoch: r.epoch, from: r.from, to: r.from + r.to }));

/** Per PG, the responses: records and ranges drawn from shared pools, so copies are the same values or not. */
const caseArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 12 }),
  ranges: fc.array(rangeArb, { minLength: 1, maxLength: 4 }),
  shape: fc.array(fc.array(fc.record({ records: fc.array(fc.nat(), { maxLength: 8 }), ranges: fc.array(fc.nat(), { maxLength: 2 }), gcPoint: fc.nat({ max: 6 }) }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  at: fc.nat(),
  nextPg: fc.boolean(),
});

function responsesOf(records: readonly RedoRecord[], ranges: readonly TruncationRange[], shape: Case['shape']): RecoveryResponse[][] {
  return shape.map((pg) => pg.map((r, i) => ({
    node: `N${i}`, records: r.records.map((k) => records[k % records.length]!), ranges: r.ranges.map((k) => ranges[k % ranges.length]!), gcPoint: r.gcPoint,
  })));
}
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** The VDL, or the error recovery threw on inputs no real run produces: the same either way. */
function outcome(f: () => number): number | string {
  try {
    return f();
  } catch (e) {
    return String(e);
  }
}

describe('recovery reads a repeated response as if once', () => {
  it(`the VDL is unchanged by a copy of a response read right after it (${RUNS} runs)`, () => {
    fc.assert(fc.property(caseArb, ({ records, ranges, shape, at, nextPg }) => {
      const responses = responsesOf(records, ranges, shape);
      const flat = responses.flatMap((rs, pg) => rs.map((_, i) => [pg, i] as const));
      const [pg, i] = flat[at % flat.length]!;
      const original = responses[pg]![i]!;
      const copy = { node: 'copy', records: [...original.records], ranges: [...original.ranges], gcPoint: original.gcPoint };
      const repeated = responses.map((rs) => [...rs]);
      // Right after it in its PG; or, for the last response of a PG, first in the next PG (read next all the same).
      if (nextPg && i === responses[pg]!.length - 1 && pg + 1 < responses.length) repeated[pg + 1]!.unshift(copy);
      else repeated[pg]!.splice(i + 1, 0, copy);
      expect(outcome(() => recoveredVdl(DEFAULT_CONFIG, repeated))).toEqual(outcome(() => recoveredVdl(DEFAULT_CONFIG, responses)));
    }), { seed: SEED, numRuns: RUNS });
  });
});

describe("impl's recovery plan is the model's", () => {
  /** What both plans carry (impl has no readFrom), or that the planner threw on inputs no run produces. */
  const comparable = (plan: () => { vdl: number; vcl: number; gcPoint: number; truncateTo: number; ranges: readonly TruncationRange[]; records: readonly (readonly RedoRecord[])[]; lastPg: readonly number[]; annulled: number }) => {
    try {
      const p = plan();
      return {
        vdl: p.vdl, vcl: p.vcl, gcPoint: p.gcPoint, truncateTo: p.truncateTo, ranges: p.ranges, lastPg: p.lastPg, annulled: p.annulled,
        records: p.records.map((rs) => rs.map((r) => [r.lsn, r.epoch])),
      };
    } catch {
      return 'threw';
    }
  };
  it(`on arbitrary reads, a recovery at epoch 4 (${RUNS} runs)`, () => {
    fc.assert(fc.property(caseArb, ({ records, ranges, shape }) => {
      const responses = responsesOf(records, ranges, shape);
      expect(comparable(() => implPlan(DEFAULT_CONFIG, 4, responses))).toEqual(comparable(() => modelPlan(DEFAULT_CONFIG, 4, responses)));
    }), { seed: SEED, numRuns: RUNS });
  });
});
