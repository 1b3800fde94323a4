// The generator's swarm filter: which raw events a history keeps, and where the faults' ends go.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Event } from '../model/events.js';
import { FAULT_KINDS, applySwarm, endOf, eventArb, historyArb, type FaultKind, type RawEvent, type Swarm } from './history.js';

const SEED = Number(process.env.SEED ?? 11);

const ALL_ON: Swarm = { every: Object.fromEntries(FAULT_KINDS.map((k) => [k, 1])) as Record<FaultKind, number>, slow: null, settle: 1 };
const crash = (node: number): Event => ({ type: 'crashNode', node });
const TXN: Event = { type: 'txn', mtrs: [[0]] };
const TICK: Event = { type: 'tick' };
const SETTLE: Event = { type: 'deliverAll' };

describe('applySwarm', () => {
  it('puts a fault\'s end after the given number of kept events, and at once for 0', () => {
    const c = crash(4);
    expect(applySwarm(ALL_ON, [[c, 2], [TXN, null], [TICK, null], [SETTLE, null]]))
      .toEqual([c, TXN, TICK, { type: 'restartNode', node: 4 }, SETTLE]);
    expect(applySwarm(ALL_ON, [[c, 0], [TXN, null]])).toEqual([c, { type: 'restartNode', node: 4 }, TXN]);
  });

  it('appends the ends still due after the last event, in their faults\' order', () => {
    const p: Event = { type: 'partitionAz', az: 1 };
    const r: Event = { type: 'crashReplica', replica: 2 };
    expect(applySwarm(ALL_ON, [[p, 9], [r, 5], [TXN, null]]))
      .toEqual([p, r, TXN, { type: 'heal' }, { type: 'restartReplica', replica: 2 }]);
  });

  it('gives no end to a fault the swarm leaves out, nor to one that has none', () => {
    const thinned: Swarm = { ...ALL_ON, every: { ...ALL_ON.every, crashNode: 2, loseDisk: 1 } };
    const lose: Event = { type: 'loseDisk', node: 3 };
    // The first crash is thinned out with its end; the second is kept with it; a disk loss has no end.
    expect(applySwarm(thinned, [[crash(1), 0], [crash(2), 0], [lose, 0], [TXN, null]]))
      .toEqual([crash(2), { type: 'restartNode', node: 2 }, lose, TXN]);
    const off: Swarm = { ...ALL_ON, every: { ...ALL_ON.every, crashNode: 0 } };
    expect(applySwarm(off, [[crash(1), 0], [TXN, null]])).toEqual([TXN]);
  });

  it('keeps every settle-th deliverAll, and takes plain events as events without ends', () => {
    const sparse: Swarm = { ...ALL_ON, settle: 3 };
    expect(applySwarm(sparse, [SETTLE, TXN, SETTLE, SETTLE, TICK, SETTLE, SETTLE, SETTLE])).toEqual([TXN, SETTLE, TICK, SETTLE]);
    expect(applySwarm(ALL_ON, [crash(5), TXN])).toEqual([crash(5), TXN]);
  });

  it('inserts each end after exactly its count of kept events, or last, and changes nothing else', () => {
    const swarmArb = fc.record({
      every: fc.record(Object.fromEntries(FAULT_KINDS.map((k) => [k, fc.nat({ max: 3 })])) as Record<FaultKind, fc.Arbitrary<number>>),
      slow: fc.option(fc.nat({ max: 8 }), { nil: null }),
      settle: fc.integer({ min: 1, max: 6 }),
    });
    const rawArb = fc.array(fc.tuple(eventArb, fc.option(fc.nat({ max: 6 }), { nil: null })), { maxLength: 60 });
    fc.assert(fc.property(swarmArb, rawArb, (swarm, raw) => {
      const out = applySwarm(swarm, raw);
      // Kept raw events are the very objects drawn; ends are new ones.
      const after = new Map<Event, number | null>(raw.map(([e, d]) => [e, d]));
      const kept = out.filter((e) => after.has(e));
      expect(kept).toEqual(applySwarm(swarm, raw.map(([e]): RawEvent => [e, null])));
      // The reference placement: the end of the i-th kept event (1-based) goes after kept event
      // i + d, or after the last one.
      const expected: Event[] = [];
      const ends = kept.map((e, i) => {
        const d = after.get(e) ?? null;
        const end = d === null ? null : endOf(e);
        return end === null ? null : { at: Math.min(i + 1 + d!, kept.length), end };
      });
      kept.forEach((e, i) => {
        expected.push(e);
        for (const x of ends) if (x !== null && x.at === i + 1) expected.push(x.end);
      });
      expect(out).toEqual(expected);
    }), { seed: SEED, numRuns: 300 });
  });
});

describe('historyArb', () => {
  it('draws settling and sparse histories, and faults with and without ends', () => {
    const hs = fc.sample(historyArb({ maxEvents: 240 }), { seed: SEED, numRuns: 200 });
    const settles = new Set(hs.map((h) => h.swarm.settle));
    expect([...settles].sort()).toEqual([1, 6]);
    // A restart right after its crash occurs only when an end of 0 was drawn (a drawn restart of
    // the same node directly after is rarer still); at least one history has one.
    expect(hs.some((h) => h.events.some((e, i) => e.type === 'crashNode' && h.events[i + 1]?.type === 'restartNode' && (h.events[i + 1] as { node: number }).node === e.node))).toBe(true);
    const settled = hs.filter((h) => h.swarm.settle === 1);
    const sparse = hs.filter((h) => h.swarm.settle !== 1);
    const share = (xs: typeof hs): number => xs.reduce((n, h) => n + h.events.filter((e) => e.type === 'deliverAll').length, 0) / xs.reduce((n, h) => n + h.events.length, 0);
    expect(share(settled)).toBeGreaterThan(3 * share(sparse));
  });
});
