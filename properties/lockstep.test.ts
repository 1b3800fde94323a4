// impl/ against the model in lockstep: every generated history (safety phase drawn with a swarm
// fault mix, then the fixed liveness phase) runs through ModelEngine and ImplEngine side by side;
// every step must yield deep-equal observations, and the final canonical snapshots must match.
// A divergence fails with the first diverging step, its event, both observation lists and the
// differing snapshot keys; fast-check shrinks the history first.
// Seeds are fixed by default; SEED=n and RUNS=n override them.

import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Event } from '../model/events.js';
import type { Config } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { historyArb } from './history.js';
import { livenessPhase } from './drills.js';
import { formatDivergence, runLockstep } from './lockstep.js';

const SEED = Number(process.env.SEED ?? 4242);
const RUNS = Number(process.env.RUNS ?? 150);
/** Histories that, after settling, crash the writer and settle again (recovery over a coalesced log): RUNS / 30. */
const RERUNS = Math.max(1, Math.round(RUNS / 30));

const CONFIGS: readonly { name: string; config: Config }[] = [
  { name: 'uniform 4/6, 2 PGs', config: DEFAULT_CONFIG },
  { name: 'full/tail, 3 PGs', config: { ...DEFAULT_CONFIG, pgCount: 3, layout: 'fullTail', lal: 16 } },
];

function check(config: Config, safety: readonly Event[], tail: readonly Event[]): void {
  const events = [...safety, ...tail];
  const d = runLockstep(config, events);
  if (d !== null) throw new Error(formatDivergence(config, events, d, safety.length));
}

describe('impl matches the model step for step', () => {
  for (const [n, { name, config }] of CONFIGS.entries()) {
    const liveness = livenessPhase(config);
    it(`${name}: ${RUNS} histories (seed ${SEED + n})`, () => {
      fc.assert(fc.property(historyArb(), (h) => check(config, h.events, liveness)), { seed: SEED + n, numRuns: RUNS });
    });
    // The liveness phase leaves segments coalesced below the PGMRPL; a writer crash then makes
    // recovery plan from GC points and seal with a base, which short histories rarely reach.
    const again: Event[] = [...liveness, { type: 'crashWriter' }, ...liveness];
    it(`${name}: ${RERUNS} histories, settled, then a writer crash and a second recovery (seed ${SEED + 10 + n})`, () => {
      fc.assert(fc.property(historyArb(), (h) => check(config, h.events, again)), { seed: SEED + 10 + n, numRuns: RERUNS });
    });
  }
});
