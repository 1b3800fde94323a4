// Coverage-guided exploration: the phase key tells the protocol's phases apart, the guide keeps
// what reached a new phase and grows histories from it, it is deterministic, and a guided
// exploration's violation is shrunk to a history that still violates the same invariant.

import { describe, it, expect } from 'vitest';
import { Guide, abstractState } from './guided.js';
import { runHistory } from './run.js';
import { explore } from './exploration.js';
import { configFor } from './commands/explore.js';
import { mutantConfig, mutantNamed } from './mutants.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { initialState, step } from '../model/step.js';
import type { Event } from '../model/events.js';
import type { History } from './history.js';
import { measureReach, reachOf } from './reach.js';

const SEED = Number(process.env.SEED ?? 1);

/** The guide's first n histories, each run (model only) with its feedback. */
function drive(seed: number, n: number): { handed: History[]; guide: Guide } {
  const guide = new Guide(seed, { maxEvents: 60 });
  const handed: History[] = [];
  for (let i = 0; i < n; i++) {
    const h = guide.next();
    handed.push(h);
    runHistory(DEFAULT_CONFIG, h.events, { onStep: guide.observer });
    guide.learn();
  }
  return { handed, guide };
}

describe('coverage-guided exploration', () => {
  it('the phase key follows the writer through a crash and a recovery, and a membership change', () => {
    const keys: string[] = [];
    let s = initialState(DEFAULT_CONFIG);
    keys.push(abstractState(s));
    const run = (events: Event[]) => { for (const e of events) s = step(s, e).state; keys.push(abstractState(s)); };
    run([{ type: 'crashWriter' }]);
    run([{ type: 'recover' }]);
    run(Array.from({ length: 6 }, (): Event[] => [{ type: 'deliverAll' }, { type: 'tick' }]).flat());
    expect(keys.map((k) => k[0])).toEqual(['a', 'd', 'r', 'a']);
    // A node down long enough is replaced: while the PG is joint (two sets) the key says so.
    let t = initialState(DEFAULT_CONFIG);
    const before = abstractState(t);
    t = step(t, { type: 'crashNode', node: 0 }).state;
    const jointKeys: string[] = [];
    for (let i = 0; i < 40; i++) {
      t = step(step(t, { type: 'tick' }).state, { type: 'deliverAll' }).state;
      if (!t.control.pgs.some((m) => m.sets.length > 1)) continue;
      // The same state with each PG's first set alone must have another key.
      const single = { ...t, control: { ...t.control, pgs: t.control.pgs.map((m) => ({ ...m, sets: [m.sets[0]!] })) } };
      jointKeys.push(abstractState(t));
      expect(abstractState(t)).not.toBe(abstractState(single));
    }
    expect(jointKeys.length).toBeGreaterThan(0);
    for (const k of jointKeys) expect(k).not.toBe(before);
  });

  it('keeps histories that reached a new phase, and grows new ones from them past that point', () => {
    const { handed, guide } = drive(SEED, 40);
    const stats = guide.stats();
    expect(stats.histories).toBe(40);
    expect(stats.corpus).toBeGreaterThan(0);
    expect(stats.corpus).toBeLessThanOrEqual(40);
    expect(stats.fresh).toBeLessThan(40);
    // Replay the guide's choices: every grown history starts with its parent's events up to the
    // cut, and the cut is past the parent's first new phase (or its end).
    const again = new Guide(SEED, { maxEvents: 60 });
    let grown = 0;
    for (let i = 0; i < 40; i++) {
      const h = again.next();
      expect(h.events).toEqual(handed[i]!.events);
      const o = again.origin;
      if (o !== null) {
        grown++;
        expect(o.cut).toBeGreaterThanOrEqual(Math.min(o.novelAt + 1, o.parent.events.length));
        expect(h.events.slice(0, o.cut)).toEqual(o.parent.events.slice(0, o.cut));
      }
      runHistory(DEFAULT_CONFIG, h.events, { onStep: again.observer });
      again.learn();
    }
    expect(grown).toBe(40 - stats.fresh);
    expect(again.stats()).toEqual(stats);
  });

  it('is deterministic for a seed, and another seed draws other histories', () => {
    const a = drive(SEED, 25).handed.map((h) => JSON.stringify(h.events));
    const b = drive(SEED, 25).handed.map((h) => JSON.stringify(h.events));
    const c = drive(SEED + 1, 25).handed.map((h) => JSON.stringify(h.events));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('a guided exploration catches a catalogued bug and shrinks it to a history that still fails the same way', () => {
    const mutant = mutantNamed('vcl-prefix-off-by-one')!;
    const config = mutantConfig(mutant);
    const s = explore({ config, seed: SEED, runs: 200, budgetMs: Infinity, history: { maxEvents: 80 }, guided: { search: `test-${SEED}` } });
    expect(s.failure).not.toBeNull();
    expect(s.guide!.histories).toBeGreaterThanOrEqual(s.histories + 1);
    const { invariant, history } = s.failure!;
    expect(runHistory(config, history.events, { impl: true }).violation?.invariant).toBe(invariant);
    // Shrunk: deleting any one event loses the failure.
    for (let i = 0; i < history.events.length; i++) {
      const fewer = [...history.events.slice(0, i), ...history.events.slice(i + 1)];
      expect(runHistory(config, fewer, { impl: true }).violation?.invariant, `without event ${i}`).not.toBe(invariant);
    }
    // And the exploration without the bug holds on the same guide's histories.
    const ok = explore({ config: configFor(config.layout), seed: SEED, runs: 20, budgetMs: Infinity, history: { maxEvents: 80 }, guided: { search: `test-ok-${SEED}` } });
    expect(ok.failure).toBeNull();
    expect(ok.guide!.histories).toBe(20);
  });

  it('reach: a recovery interrupted while sealing and a later one completed are seen as such, and nothing deep in a calm history', () => {
    const settle = (k: number): Event[] => Array.from({ length: k }, (): Event[] => [{ type: 'deliverAll' }, { type: 'tick' }]).flat();
    // Step a crash and a recovery until the writer seals, then crash it there.
    const events: Event[] = [{ type: 'txn', mtrs: [[0]] }, ...settle(3), { type: 'crashWriter' }, { type: 'recover' }];
    let s = initialState(DEFAULT_CONFIG);
    for (const e of events) s = step(s, e).state;
    while (s.compute[s.control.writer]!.status !== 'sealing') {
      expect(events.length).toBeLessThan(40);
      const e: Event = { type: 'deliver', node: 0, k: 0 };
      events.push(e);
      s = step(s, e).state;
    }
    events.push({ type: 'crashWriter' });
    const interrupted = reachOf(DEFAULT_CONFIG, events);
    expect([...interrupted.reached].sort()).toEqual(['seal-interrupted']);
    const completed = reachOf(DEFAULT_CONFIG, [...events, { type: 'recover' }, ...settle(6)]);
    expect([...completed.reached].sort()).toEqual(['interrupted-then-completes', 'recovery-completes', 'seal-interrupted']);
    expect(completed.activeAfterRecovery).toBeGreaterThan(0);
    const calm = reachOf(DEFAULT_CONFIG, [{ type: 'txn', mtrs: [[0]] }, ...settle(6)]);
    expect(calm.reached.size).toBe(0);
    // measureReach counts the same per history, and a guided measure reports its guide.
    const m = measureReach(DEFAULT_CONFIG, 'guided', SEED, 10, { maxEvents: 40 });
    expect(m.histories).toBe(10);
    expect(m.guide!.histories).toBe(10);
  });
});
