// impl/'s incremental structures against the model's from-scratch definitions, operation by
// operation (etcd quorum/quick_test.go: the fast version against a dumb one).
//
// Lockstep compares whole runs, but some incremental paths are rare there: a PGCL lowered by a
// membership change before it was remembered (the VCL prefix must rescan), a seal annulling
// records in the middle of a chain, a GC base adopted under held records. Here random operation
// sequences drive impl's Segment (SCL, holes, page reads) and Watermarks (PGCL, VCL, VDL)
// directly, and after every operation they must equal the model's definitions on the same data.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { WriterUp } from '../model/state.js';
import type { Config, Lsn, Membership, NodeId, RedoRecord, TruncationRange } from '../model/types.js';
import { DEFAULT_CONFIG, FULL_NODES, STORAGE_NODES } from '../model/types.js';
import { coalesce, pageValueAt, recordAnnulled, annulledBy, segmentCompleteLsn, sortByLsn } from '../model/log.js';
import { watermarks } from '../model/watermarks.js';
import { Segment } from '../impl/segment.js';
import { ControlPlane, membership } from '../impl/control.js';
import { Watermarks } from '../impl/watermarks.js';
import { WriterLog } from '../impl/writerlog.js';
import { writeValue } from '../model/events.js';

const SEED = Number(process.env.SEED ?? 4242);
const RUNS = Number(process.env.RUNS ?? 150);

// ---- Segment: SCL through backlinks with a GC base, holes, page reads ----------------------

type SegmentOp =
  | { readonly op: 'insert'; readonly lsn: Lsn; readonly back: number; readonly epoch: number; readonly page: number | null; readonly commitAhead: number }
  | { readonly op: 'seal'; readonly ranges: readonly TruncationRange[] }
  | { readonly op: 'base'; readonly base: Lsn }
  | { readonly op: 'gc'; readonly point: Lsn };

const segmentOpArb: fc.Arbitrary<SegmentOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('insert' as const), lsn: fc.integer({ min: 1, max: 24 }), back: fc.integer({ min: 1, max: 4 }), epoch: fc.integer({ min: 1, max: 3 }), page: fc.option(fc.nat({ max: 3 }), { nil: null }), commitAhead: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('seal' as const), ranges: fc.array(fc.record({ epoch: fc.integer({ min: 1, max: 4 }), from: fc.nat({ max: 20 }), to: fc.nat({ max: 8 }) }).map((r) => ({ ...r, to: r.from + r.to })), { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('base' as const), base: fc.integer({ min: 1, max: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('gc' as const), point: fc.integer({ min: 1, max: 24 }) }) },
);

/** The model's segment, as plain data, with the model's rules applied to it. */
interface Twin { records: RedoRecord[]; ranges: readonly TruncationRange[]; gcPoint: Lsn; gcScl: Lsn }

function record(op: Extract<SegmentOp, { op: 'insert' }>): RedoRecord {
  return { lsn: op.lsn, epoch: op.epoch, pg: 0, prevPg: Math.max(0, op.lsn - op.back), prevVol: op.lsn - 1, txn: 0, commitLsn: op.lsn + op.commitAhead, cpl: false, page: op.page, value: op.lsn };
}

function applySegmentOp(seg: Segment, twin: Twin, op: SegmentOp): void {
  const scl = segmentCompleteLsn(twin.records, twin);
  switch (op.op) {
    case 'insert': {
      const r = record(op);
      if (recordAnnulled(twin.ranges, r) || twin.records.some((x) => x.lsn === r.lsn) || r.lsn <= twin.gcPoint) return;
      twin.records = sortByLsn([...twin.records, r]);
      seg.insert(r);
      return;
    }
    case 'seal':
      twin.ranges = op.ranges;
      twin.records = twin.records.filter((r) => !recordAnnulled(op.ranges, r));
      seg.sealWith(op.ranges);
      return;
    case 'base':
      if (op.base <= twin.gcPoint) return;
      twin.gcPoint = op.base;
      twin.gcScl = Math.max(twin.gcScl, op.base);
      seg.adoptBase(op.base);
      return;
    case 'gc':
      if (op.point <= twin.gcPoint || scl < op.point) return;
      twin.gcScl = scl;
      twin.records = coalesce(twin.ranges, twin.records, op.point);
      twin.gcPoint = op.point;
      seg.coalesce(op.point);
      return;
  }
}

function compareSegment(seg: Segment, twin: Twin): void {
  const scl = segmentCompleteLsn(twin.records, twin);
  expect(seg.lsns()).toEqual(twin.records.map((r) => r.lsn));
  expect(seg.scl).toBe(scl);
  expect(seg.hasHoles()).toBe(twin.records.some((r) => r.lsn > scl));
  expect(seg.gcPoint).toBe(twin.gcPoint);
  for (let page = 0; page < 4; page++) {
    for (const readPoint of [0, 7, 13, 30]) {
      expect(seg.pageValueAt(page, readPoint)).toBe(pageValueAt(twin.ranges, twin.records, page, readPoint));
      const pending = twin.records
        .filter((r) => r.page === page && r.lsn <= readPoint && r.commitLsn > readPoint && !recordAnnulled(twin.ranges, r) && !annulledBy(twin.ranges, r.commitLsn, r.epoch))
        .map((r) => ({ lsn: r.lsn, commitLsn: r.commitLsn, value: r.value }));
      expect(seg.pendingVersions(page, readPoint)).toEqual(pending);
    }
  }
}

// ---- Watermarks: PGCL over (joint) memberships, VCL prefix, VDL ----------------------------

type MarkOp =
  | { readonly op: 'append'; readonly pg: number; readonly cpl: boolean }
  | { readonly op: 'ack'; readonly pg: number; readonly node: number; readonly ahead: number }
  | { readonly op: 'forget'; readonly pg: number; readonly node: number }
  | { readonly op: 'membership'; readonly pg: number; readonly sets: readonly number[] }
  | { readonly op: 'remember' }
  | { readonly op: 'release' }
  | { readonly op: 'addPg' };

const markOpArb: fc.Arbitrary<MarkOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('append' as const), pg: fc.nat({ max: 5 }), cpl: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('ack' as const), pg: fc.nat({ max: 5 }), node: fc.nat({ max: 8 }), ahead: fc.integer({ min: -4, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('forget' as const), pg: fc.nat({ max: 5 }), node: fc.nat({ max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('membership' as const), pg: fc.nat({ max: 5 }), sets: fc.uniqueArray(fc.nat({ max: 7 }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'remember' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'release' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'addPg' as const }) },
);

/** Six members, two per AZ, the full segments always in: bit i of `v` swaps AZ i's second node for its spare. */
function variant(v: number): NodeId[] {
  return ['A', 'B', 'C'].flatMap((az, i) => [`${az}1`, (v & (1 << i)) !== 0 ? `${az}3` : `${az}2`]);
}

/** Steps at which some PGCL moved down (a membership change before `remember`): the VCL rescan. */
let pgclLowered = 0;
/** Of those, steps where it was a forgotten SCL (a segment's new incarnation) that lowered it. */
let pgclLoweredByForget = 0;
/** The same, with part of the log released: the rescan starts at the released point. */
let pgclLoweredReleased = 0;

function runMarks(config: Config, ops: readonly MarkOp[]): void {
  const control = new ControlPlane(2);
  const log = new WriterLog(0, 0, [0, 0]);
  const marks = new Watermarks(config, log, 2);
  const twin = { base: 0, released: 0, releasedCpl: 0, records: [] as RedoRecord[], reached: [-1, -1] as Lsn[], scl: [{}, {}] as Record<NodeId, Lsn>[] };
  const model = () => watermarks(config, control.pgs, twin as unknown as WriterUp);
  let lastPgcl: readonly Lsn[] = [];
  for (const op of ops) {
    const pgs = control.pgs.length;
    if (op.op === 'append') {
      const pg = op.pg % pgs;
      const lsn = log.nextLsn;
      const r: RedoRecord = { lsn, epoch: 1, pg, prevPg: log.floor(pg, lsn), prevVol: log.prevVol, txn: 0, commitLsn: lsn, cpl: op.cpl, page: null, value: 0 };
      log.append(r);
      twin.records.push(r);
    } else if (op.op === 'ack') {
      const pg = op.pg % pgs;
      const node = STORAGE_NODES[op.node]!;
      const value = Math.max(0, log.allocated + op.ahead);
      marks.raise(control, pg, node, value);
      const scl = (twin.scl[pg] ??= {});
      if (scl[node] === undefined || value > scl[node]!) scl[node] = value;
    } else if (op.op === 'forget') {
      // A new incarnation of the segment: the writer forgets the SCL its old one reported.
      const pg = op.pg % pgs;
      const node = STORAGE_NODES[op.node]!;
      marks.forget(pg, op.node);
      const scl = (twin.scl[pg] ??= {});
      delete scl[node];
    } else if (op.op === 'membership') {
      const pg = op.pg % pgs;
      const m: Membership = control.pgs[pg]!;
      control.setMembership(pg, membership(m.epoch + 1, op.sets.map(variant), FULL_NODES));
    } else if (op.op === 'remember') {
      model().pgcl.forEach((p, pg) => { twin.reached[pg] = p; });
      marks.remember(control);
    } else if (op.op === 'release') {
      // As the writer's round: remember, then release. What the release rule lets go is under
      // every PGCL reached (every member holds it): the longest prefix of records each at or
      // below its PG's remembered PGCL.
      model().pgcl.forEach((p, pg) => { twin.reached[pg] = p; });
      marks.remember(control);
      let n = 0;
      while (n < twin.records.length && twin.records[n]!.lsn <= (twin.reached[twin.records[n]!.pg] ?? -1)) n++;
      if (n > 0) {
        for (const r of twin.records.slice(0, n)) if (r.cpl) twin.releasedCpl = r.lsn;
        twin.released = twin.records[n - 1]!.lsn;
        twin.records = twin.records.slice(n);
        log.releaseTo(log.releasedLength + n);
      }
    } else if (pgs < 6) {
      control.addPg();
    }
    const before = lastPgcl;
    const want = model();
    const got = marks.current(control);
    if (want.pgcl.some((p, pg) => p < (before[pg] ?? -1))) {
      pgclLowered++;
      if (twin.released > 0) pgclLoweredReleased++;
      if (op.op === 'forget') pgclLoweredByForget++;
    }
    lastPgcl = want.pgcl;
    expect({ pgcl: got.pgcl.slice(0, control.pgs.length), vcl: got.vcl, vdl: got.vdl }).toEqual({ pgcl: want.pgcl, vcl: want.vcl, vdl: want.vdl });
  }
}

describe('impl incremental structures equal the model definitions', () => {
  it(`Segment: SCL, holes and page reads after every insert, seal, base and GC (${RUNS} runs)`, () => {
    fc.assert(fc.property(fc.array(segmentOpArb, { maxLength: 60, size: 'max' }), (ops) => {
      const seg = Segment.initial('W');
      const twin: Twin = { records: [], ranges: [], gcPoint: 0, gcScl: 0 };
      for (const op of ops) {
        applySegmentOp(seg, twin, op);
        compareSegment(seg, twin);
      }
    }), { seed: SEED, numRuns: RUNS });
  });

  for (const layout of ['uniform', 'fullTail'] as const) {
    it(`Watermarks (${layout}): PGCL, VCL, VDL after every append, ack, forgotten SCL, membership step, remember and release (${RUNS} runs)`, () => {
      const config: Config = { ...DEFAULT_CONFIG, layout };
      pgclLowered = 0;
      pgclLoweredReleased = 0;
      fc.assert(fc.property(fc.array(markOpArb, { maxLength: 60, size: 'max' }), (ops) => runMarks(config, ops)), { seed: SEED + 1, numRuns: RUNS });
      expect(pgclLowered, 'some membership step lowered a PGCL before it was remembered').toBeGreaterThan(0);
    });
  }
  // Random ops rarely lower a PGCL after a release; this history does, so the rescan must start
  // at the released point with the last released CPL as VDL's floor.
  it('Watermarks: a PGCL lowered after a release rescans from the released point', () => {
    const members = variant(0).map((n) => STORAGE_NODES.indexOf(n));
    const ackAll = (): MarkOp[] => [0, 1].flatMap((pg) => members.map((node) => ({ op: 'ack' as const, pg, node, ahead: 0 })));
    pgclLoweredReleased = 0;
    runMarks(DEFAULT_CONFIG, [
      { op: 'append', pg: 0, cpl: true }, { op: 'append', pg: 1, cpl: false }, { op: 'append', pg: 1, cpl: true }, ...ackAll(),
      { op: 'release' },
      { op: 'append', pg: 0, cpl: true }, { op: 'append', pg: 1, cpl: false }, ...ackAll(),
      // A joint set of the three spares, none of which reported an SCL: PG 0's PGCL drops to reached.
      { op: 'membership', pg: 0, sets: [0, 7] },
      { op: 'append', pg: 1, cpl: true }, ...ackAll(), { op: 'release' },
    ]);
    expect(pgclLoweredReleased).toBe(1);
  });

  // Random forgets rarely hit a PGCL not yet remembered; this history does (acks of every member,
  // then three of them replaced by new incarnations before the writer remembers).
  it('Watermarks: a forgotten SCL lowers a PGCL not yet remembered, and the VCL prefix rescans', () => {
    const members = variant(0).map((n) => STORAGE_NODES.indexOf(n));
    const ackAll = (): MarkOp[] => [0, 1].flatMap((pg) => members.map((node) => ({ op: 'ack' as const, pg, node, ahead: 0 })));
    pgclLoweredByForget = 0;
    runMarks(DEFAULT_CONFIG, [
      { op: 'append', pg: 0, cpl: true }, { op: 'append', pg: 1, cpl: true }, ...ackAll(), { op: 'release' },
      { op: 'append', pg: 0, cpl: true }, { op: 'append', pg: 1, cpl: true }, ...ackAll(),
      ...members.slice(0, 3).map((node) => ({ op: 'forget' as const, pg: 0, node })),
      { op: 'append', pg: 1, cpl: true }, ...ackAll(), { op: 'release' },
    ]);
    expect(pgclLoweredByForget).toBe(1);
  });

  // The writer's log keeps no record objects past its last 256: it rebuilds them from six 32-bit
  // fields in blocks of 4,096 records. Logs of up to ~12,000 records (three blocks) against the
  // plain list of what was appended.
  it('WriterLog: every record rebuilt as appended, and its PG and page chains, across blocks (12 runs)', () => {
    const txnArb = fc.record({
      writes: fc.array(fc.record({ pg: fc.nat({ max: 4 }), page: fc.nat({ max: 9 }), cpl: fc.boolean() }), { minLength: 0, maxLength: 64, size: 'max' }),
    });
    fc.assert(fc.property(fc.array(txnArb, { minLength: 150, maxLength: 400 }), fc.nat({ max: 50 }), (txns, base) => {
      const lastPg = [base > 0 ? base : 0, 0, 0, 0, 0];
      const log = new WriterLog(base, base, lastPg);
      const all: RedoRecord[] = [];
      txns.forEach(({ writes }, txn) => {
        const commitLsn = log.nextLsn + writes.length;
        const add = (pg: number, page: number | null, cpl: boolean, value: number): void => {
          const lsn = log.nextLsn;
          const r: RedoRecord = { lsn, epoch: 3, pg, prevPg: log.floor(pg, lsn), prevVol: log.prevVol, txn: txn + 7, commitLsn, cpl, page, value };
          log.append(r);
          all.push(r);
        };
        writes.forEach((w, i) => add(w.pg, w.pg * 10 + w.page, w.cpl, writeValue(txn + 7, i)));
        add(writes.at(-1)?.pg ?? txn % 5, null, true, 0);
      });
      expect(log.allocated).toBe(base + all.length);
      // Field by field (toEqual per record made a 13,000-record log take seconds); the first
      // mismatch is shown whole.
      const same = (a: RedoRecord, b: RedoRecord): boolean => a.lsn === b.lsn && a.epoch === b.epoch && a.pg === b.pg && a.prevPg === b.prevPg
        && a.prevVol === b.prevVol && a.txn === b.txn && a.commitLsn === b.commitLsn && a.cpl === b.cpl && a.page === b.page && a.value === b.value;
      const wrong = all.find((r) => !same(log.record(r.lsn), r) || log.pgAt(r.lsn - base - 1) !== r.pg || log.cplAt(r.lsn - base - 1) !== r.cpl);
      if (wrong !== undefined) expect(log.record(wrong.lsn)).toEqual(wrong);
      expect(wrong).toBeUndefined();
      const step = Math.max(1, Math.floor(all.length / 40));
      const byPg = [0, 1, 2, 3, 4].map((pg) => all.filter((r) => r.pg === pg));
      for (let point = base; point <= base + all.length; point += step) {
        for (let pg = 0; pg < 5; pg++) {
          const mine = byPg[pg]!;
          const at = mine.filter((r) => r.lsn <= point).at(-1)?.lsn ?? (lastPg[pg] ?? 0);
          expect(log.floor(pg, point)).toBe(at);
          const above = mine.filter((r) => r.commitLsn > point);
          expect(log.firstCommitAbove(pg, point)).toBe(above.length === 0 ? Infinity : Math.min(...above.map((r) => r.commitLsn)));
          const last = mine.at(-1);
          if (last !== undefined) expect(log.pgAboveUpTo(pg, point, last.lsn).map((r) => r.lsn)).toEqual(mine.filter((r) => r.lsn > point).map((r) => r.lsn));
        }
        for (const page of [0, 13, 49]) expect(log.pageAbove(page, point).map((r) => r.lsn)).toEqual(all.filter((r) => r.page === page && r.lsn > point).map((r) => r.lsn));
      }
    }), { seed: SEED + 3, numRuns: 12, endOnFailure: true });
  });

  // Release (writer.ts release): the log forgets a prefix and reuses its freed blocks for new
  // records. Appends and releases interleaved (a release after every txn, keeping the last `keep`
  // records at most) over 12,000-34,000 records (3-8 blocks, 1-2 held at a time, so freed blocks
  // are reused), checked after every chunk against the plain list at 12 points.
  it('WriterLog: released prefix forgotten, freed blocks reused, everything held still answered (6 runs)', () => {
    const chunkArb = fc.record({
      txns: fc.array(fc.array(fc.record({ pg: fc.nat({ max: 3 }), page: fc.nat({ max: 5 }), cpl: fc.boolean() }), { maxLength: 12, size: 'max' }), { minLength: 300, maxLength: 600, size: 'max' }),
      keep: fc.nat({ max: 6000 }),
    });
    fc.assert(fc.property(fc.array(chunkArb, { minLength: 4, maxLength: 8 }), (chunks) => {
      const base = 5;
      const lastPg = [3, 0, 0, 0];
      const log = new WriterLog(base, base, lastPg);
      const all: RedoRecord[] = [];
      let txn = 0;
      let released = 0;
      for (const chunk of chunks) {
        for (const writes of chunk.txns) {
          const commitLsn = log.nextLsn + writes.length;
          const add = (pg: number, page: number | null, cpl: boolean, value: number): void => {
            const lsn = log.nextLsn;
            const r: RedoRecord = { lsn, epoch: 2, pg, prevPg: log.floor(pg, lsn), prevVol: log.prevVol, txn, commitLsn, cpl, page, value };
            log.append(r);
            all.push(r);
          };
          writes.forEach((w, i) => add(w.pg, w.pg * 10 + w.page, w.cpl, writeValue(txn, i)));
          add(writes.at(-1)?.pg ?? txn % 4, null, true, 0);
          txn++;
          released = Math.max(released, all.length - chunk.keep);
          log.releaseTo(released);
        }
        checkHeld(log, base, lastPg, all, released);
      }
    }), { seed: SEED + 4, numRuns: 6, endOnFailure: true });
  });
});

/** The log after releasing its first `released` records, against `all` it was given. */
function checkHeld(log: WriterLog, base: Lsn, lastPg: readonly Lsn[], all: readonly RedoRecord[], released: number): void {
  expect(log.released).toBe(base + released);
  expect(log.releasedCpl).toBe(all.slice(0, released).filter((r) => r.cpl).at(-1)?.lsn ?? base);
  const low = base + released;
  if (released > 0) expect(() => log.record(low)).toThrow(/not held/);
  const held = all.slice(released);
  const same = (a: RedoRecord, b: RedoRecord): boolean => a.lsn === b.lsn && a.pg === b.pg && a.prevPg === b.prevPg && a.prevVol === b.prevVol
    && a.txn === b.txn && a.commitLsn === b.commitLsn && a.cpl === b.cpl && a.page === b.page && a.value === b.value;
  const wrong = held.find((r) => !same(log.record(r.lsn), r) || log.pgAt(r.lsn - base - 1) !== r.pg);
  if (wrong !== undefined) expect(log.record(wrong.lsn)).toEqual(wrong);
  const byPg = [0, 1, 2, 3].map((pg) => all.filter((r) => r.pg === pg));
  const step = Math.max(1, Math.floor(held.length / 12));
  for (let point = low; point <= base + all.length; point += step) {
    for (let pg = 0; pg < 4; pg++) {
      const mine = byPg[pg]!;
      expect(log.floor(pg, point)).toBe(mine.filter((r) => r.lsn <= point).at(-1)?.lsn ?? (lastPg[pg] ?? 0));
      const last = mine.at(-1);
      if (last !== undefined && last.lsn > low) {
        expect(log.pgAboveUpTo(pg, point, last.lsn).map((r) => r.lsn)).toEqual(mine.filter((r) => r.lsn > point).map((r) => r.lsn));
      }
      // The release rule's premise: every released record commits at or below the point told.
      let told = point;
      for (const r of mine) if (r.lsn <= low && r.commitLsn > told) told = r.commitLsn;
      const above = mine.filter((r) => r.commitLsn > told);
      expect(log.firstCommitAbove(pg, told)).toBe(above.length === 0 ? Infinity : Math.min(...above.map((r) => r.commitLsn)));
    }
    for (const page of [0, 13, 35]) expect(log.pageAbove(page, point).map((r) => r.lsn)).toEqual(held.filter((r) => r.page === page && r.lsn > point).map((r) => r.lsn));
  }
  // Retransmission to a member below the released point gets the records held, no more.
  const last0 = byPg[0]!.at(-1);
  if (last0 !== undefined && last0.lsn > low) expect(log.pgAboveUpTo(0, 0, last0.lsn).map((r) => r.lsn)).toEqual(byPg[0]!.filter((r) => r.lsn > low).map((r) => r.lsn));
}
