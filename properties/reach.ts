// How deep histories get: the share of histories whose body (the generated events, the liveness
// phase left out: it always recovers and settles) reaches each of a few protocol situations the
// protocol bugs found by long explorations needed. It measures the search, not the protocol: the
// blind generator's and the coverage-guided search's histories side by side (`bench --reach`).

import fc from 'fast-check';
import type { Config } from '../model/types.js';
import type { State } from '../model/state.js';
import { initialState, step } from '../model/step.js';
import { historyArb, type History, type HistoryOptions } from './history.js';
import { Guide, type GuideStats } from './guided.js';
import type { StepView } from './invariant.js';

export const SITUATIONS = [
  { id: 'recovery-completes', what: 'a recovery completes (the writer goes from sealing to active)' },
  { id: 'coalesced', what: 'some segment has coalesced (a GC point)' },
  { id: 'seal-interrupted', what: 'the writer crashes or is failed over while sealing' },
  { id: 'interrupted-then-completes', what: 'after that, a recovery completes' },
  { id: 'joint-at-recovery', what: 'a recovery completes while a PG\'s membership is joint (a change in flight)' },
  { id: 'stacked-over-coalesced', what: 'a PG has three membership sets and a member that coalesced' },
] as const;
export type Situation = (typeof SITUATIONS)[number]['id'];

export interface Reach {
  readonly histories: number;
  /** Histories that reached each situation. */
  readonly reached: Readonly<Record<Situation, number>>;
  /** Steps at which a writer that completed a recovery in this history is active, over all steps. */
  readonly activeAfterRecovery: number;
  readonly steps: number;
  /** The guide's figures, for a guided search. */
  readonly guide?: GuideStats;
}

const statusOf = (s: State): string | undefined => s.compute[s.control.writer]?.status;

/** What one history's body reaches; `onStep` sees every step (a guide's observer). */
export function reachOf(config: Config, events: History['events'], onStep?: (v: Pick<StepView, 'next' | 'index'>) => void): { reached: Set<Situation>; activeAfterRecovery: number } {
  const reached = new Set<Situation>();
  let activeAfterRecovery = 0;
  let s = initialState(config);
  events.forEach((event, index) => {
    const r = step(s, event);
    const next = r.state;
    onStep?.({ next, index });
    const before = statusOf(s);
    const after = statusOf(next);
    if (before === 'sealing' && after === 'active') {
      reached.add('recovery-completes');
      if (next.control.pgs.some((m) => m.sets.length > 1)) reached.add('joint-at-recovery');
      if (reached.has('seal-interrupted')) reached.add('interrupted-then-completes');
    }
    if (before === 'sealing' && (event.type === 'crashWriter' || (event.type === 'failover' && next.control.writer !== s.control.writer))) reached.add('seal-interrupted');
    next.control.pgs.forEach((m, pg) => {
      const coalesced = (n: string) => (next.storage[n]?.durable.segments[pg]?.gcPoint ?? 0) > 0;
      if (m.sets.flat().some(coalesced)) reached.add('coalesced');
      if (m.sets.length >= 3 && m.sets.flat().some(coalesced)) reached.add('stacked-over-coalesced');
    });
    if (after === 'active' && reached.has('recovery-completes')) activeAfterRecovery++;
    s = next;
  });
  return { reached, activeAfterRecovery };
}

/** The reach of n histories: the blind generator's (fast-check, seeded) or a guide's. */
export function measureReach(config: Config, mode: 'blind' | 'guided', seed: number, n: number, history: HistoryOptions): Reach {
  const reached = Object.fromEntries(SITUATIONS.map((x) => [x.id, 0])) as Record<Situation, number>;
  let activeAfterRecovery = 0;
  let steps = 0;
  const guide = mode === 'guided' ? new Guide(seed, history) : null;
  const blind = guide === null ? fc.sample(historyArb(history), { seed, numRuns: n }) : [];
  for (let i = 0; i < n; i++) {
    const h = guide?.next() ?? blind[i]!;
    const r = reachOf(config, h.events, guide?.observer);
    guide?.learn();
    for (const x of r.reached) reached[x]++;
    activeAfterRecovery += r.activeAfterRecovery;
    steps += h.events.length;
  }
  return { histories: n, reached, activeAfterRecovery, steps, ...(guide !== null ? { guide: guide.stats() } : {}) };
}
