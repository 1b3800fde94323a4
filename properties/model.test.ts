// The model against every invariant, over generated histories with swarm fault mixes, with impl/
// in lockstep (the `agreement` invariants): one pass per history serves both.
// Seeds are fixed by default; SEED=n and RUNS=n override them.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Config } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { historyArb } from './history.js';
import { runHistory } from './run.js';
import { formatFailure } from './report.js';
import { INVARIANTS } from './invariants.js';

const SEED = Number(process.env.SEED ?? 20261126);
const RUNS = Number(process.env.RUNS ?? 150);

const CONFIGS: readonly { name: string; config: Config }[] = [
  { name: 'uniform 4/6, 2 PGs', config: DEFAULT_CONFIG },
  { name: 'full/tail, 3 PGs', config: { ...DEFAULT_CONFIG, pgCount: 3, layout: 'fullTail', lal: 16 } },
];

const totals = new Map<string, number>(INVARIANTS.map((i) => [i.id, 0]));

describe('the model keeps every guarantee, and impl agrees with it step by step', () => {
  for (const [n, { name, config }] of CONFIGS.entries()) {
    it(`${name}: ${RUNS} histories (seed ${SEED + n})`, () => {
      fc.assert(
        fc.property(historyArb(), (history) => {
          const result = runHistory(config, history.events, { impl: true });
          if (result.violation !== null) throw new Error(formatFailure(config, history, result));
          for (const [id, c] of result.counts) totals.set(id, totals.get(id)! + c);
        }),
        { seed: SEED + n, numRuns: RUNS },
      );
    });
  }

  describe('every sometimes-witness was reached', () => {
    for (const inv of INVARIANTS.filter((i) => i.tag === 'sometimes')) {
      it(inv.id, () => {
        expect(totals.get(inv.id), `witness ${inv.id} (${inv.title}) never reached`).toBeGreaterThan(0);
      });
    }
  });
});
