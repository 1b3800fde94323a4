// Every model state is deeply frozen. The model's purity rests on it: immer never walks into a
// frozen value, so a part left unfrozen (a message list a sender forgot to freeze, a copy kept
// writable) could be changed after the fact by whoever still holds it, and no check would throw.
// Seeds are fixed by default; SEED=n and RUNS=n override them.

import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { Config } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { initialState, step } from '../model/step.js';
import { historyArb } from './history.js';
import { livenessPhase } from './drills.js';

const SEED = Number(process.env.SEED ?? 20261127);
const RUNS = Number(process.env.RUNS ?? 40);

const CONFIGS: readonly { name: string; config: Config }[] = [
  { name: 'uniform 4/6, 2 PGs', config: DEFAULT_CONFIG },
  { name: 'full/tail, 3 PGs', config: { ...DEFAULT_CONFIG, pgCount: 3, layout: 'fullTail', lal: 16 } },
];

/** The path of the first object or array reachable from `x` that is not frozen (null: none). */
function unfrozen(x: unknown, path: string, seen: WeakSet<object>): string | null {
  if (typeof x !== 'object' || x === null || seen.has(x)) return null;
  if (!Object.isFrozen(x)) return path;
  // A frozen value never changes, so what lies under it needs walking once.
  seen.add(x);
  for (const k of Object.keys(x)) {
    const found = unfrozen((x as Record<string, unknown>)[k], `${path}.${k}`, seen);
    if (found !== null) return found;
  }
  return null;
}

describe('every model state is deeply frozen', () => {
  for (const [n, { name, config }] of CONFIGS.entries()) {
    it(`${name}: ${RUNS} histories and their liveness phase (seed ${SEED + n})`, () => {
      fc.assert(
        fc.property(historyArb(), (history) => {
          const seen = new WeakSet<object>();
          let state = initialState(config);
          const events = [...history.events, ...livenessPhase(config)];
          let found = unfrozen(state, 'state', seen);
          for (let i = 0; found === null && i < events.length; i++) {
            state = step(state, events[i]!).state;
            found = unfrozen(state, 'state', seen);
            if (found !== null) throw new Error(`after event ${i} (${events[i]!.type}): ${found} is not frozen`);
          }
          if (found !== null) throw new Error(`the initial state: ${found} is not frozen`);
        }),
        { seed: SEED + n, numRuns: RUNS },
      );
    });
  }
});
