// The mutant self-test, part 2: a bounded, deterministic search catches every mutant. Each mutant
// is hunted from its catalog `testSeed` for at most TEST_HISTORIES histories (no wall clock, no
// shrinking): the same generator, runner and invariants as `aurora-harness mutants`, so a change
// that blinds an invariant to a catalogued bug fails here. (The CLI measures the time to catch
// from one common seed; the test seeds only keep this test cheap.)

import { describe, it, expect } from 'vitest';
import { MUTANTS, TEST_HISTORIES } from './mutants.js';
import { hunt } from './mutation.js';

describe(`every mutant is caught within ${TEST_HISTORIES} histories from its test seed`, () => {
  for (const m of MUTANTS) {
    it(`${m.name} (seed ${m.testSeed})`, () => {
      const r = hunt(m, { seed: m.testSeed, maxHistories: TEST_HISTORIES, budgetMs: Infinity, shrink: false });
      expect(r.caught, `${m.name} survived ${r.histories} histories from seed ${m.testSeed}`).toBe(true);
      if (m.where === 'impl') expect(['agreement', 'agreement-state']).toContain(r.invariant);
      else expect(['agreement', 'agreement-state']).not.toContain(r.invariant);
    });
  }
});
