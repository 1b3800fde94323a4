// impl/ against the model in lockstep: every generated history (safety phase drawn with a swarm
// fault mix, then the fixed liveness phase) runs through ModelEngine and ImplEngine side by side;
// every step must yield deep-equal observations, and the final canonical snapshots must match.
// A divergence fails with the first diverging step, its event, both observation lists and the
// differing snapshot keys; fast-check shrinks the history first.
// Seeds are fixed by default; SEED=n and RUNS=n override them.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Event } from '../model/events.js';
import type { Config } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { historyArb } from './history.js';
import { livenessPhase } from './drills.js';
import { formatDivergence, runLockstep } from './lockstep.js';
import { thrownWhere } from './guarantees/agreement.js';

const SEED = Number(process.env.SEED ?? 4242);
const RUNS = Number(process.env.RUNS ?? 150);
/** Histories that, after settling, crash the writer and settle again (recovery over a coalesced log): RUNS / 30. */
const RERUNS = Math.max(1, Math.round(RUNS / 15));

const CONFIGS: readonly { name: string; config: Config }[] = [
  { name: 'uniform 4/6, 2 PGs', config: DEFAULT_CONFIG },
  { name: 'full/tail, 3 PGs', config: { ...DEFAULT_CONFIG, pgCount: 3, layout: 'fullTail', lal: 16 } },
];

function check(config: Config, safety: readonly Event[], tail: readonly Event[]): void {
  const events = [...safety, ...tail];
  const d = runLockstep(config, events);
  if (d !== null) throw new Error(formatDivergence(config, events, d, safety.length));
}

// The main lockstep runs inside properties/model.test.ts (the `agreement` invariants, one pass per
// history with every other invariant). Here: histories that settle, crash the writer and settle
// again, so recovery plans over a coalesced log and seals with a GC base, which short histories
// rarely reach.
describe('impl matches the model step for step, through a second recovery over a coalesced log', () => {
  for (const [n, { name, config }] of CONFIGS.entries()) {
    const liveness = livenessPhase(config);
    const again: Event[] = [...liveness, { type: 'crashWriter' }, ...liveness];
    it(`${name}: ${RERUNS} histories, settled, then a writer crash and a second recovery (seed ${SEED + 10 + n})`, () => {
      fc.assert(fc.property(historyArb(), (h) => check(config, h.events, again)), { seed: SEED + 10 + n, numRuns: RERUNS });
    });
  }
});

describe('an impl assertion, as a counterexample file stores it', () => {
  it('reads the same from the sources and from dist/, in any checkout: message and functions, no paths', () => {
    const fromSource = 'ImplAssertionError: a complete read has every page\n    at assert (/work/main/impl/assert.ts:12:20)\n    at finish (/work/main/impl/reads.ts:155:3)\n    at takeReadResp (/work/main/impl/reads.ts:148:3)\n    at dispatch (/work/main/impl/engine.ts:60:7)';
    const fromDist = 'ImplAssertionError: a complete read has every page\n    at assert (file:///home/ci/repo/dist/impl/assert.js:11:15)\n    at finish (file:///home/ci/repo/dist/impl/reads.js:128:5)\n    at takeReadResp (file:///home/ci/repo/dist/impl/reads.js:121:5)';
    expect(thrownWhere(fromSource)).toBe('ImplAssertionError: a complete read has every page (in assert <- finish <- takeReadResp)');
    expect(thrownWhere(fromDist)).toBe(thrownWhere(fromSource));
    expect(thrownWhere('RangeError: no frames')).toBe('RangeError: no frames');
  });
});
