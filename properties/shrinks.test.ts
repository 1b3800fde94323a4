// Every counterexample kept in shrinks/ is replayed strictly: the recorded violation (null for a
// fixed bug: every invariant holds) and exactly the recorded observations. REWRITE=1 regenerates.

import { describe, it, expect } from 'vitest';
import { basename } from 'node:path';
import { loadCounterexample, replay, rewrite, shrinkFiles } from './shrinks.js';

describe('shrunk counterexamples replay as regressions', () => {
  const files = shrinkFiles();
  it('there are counterexamples to replay', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    it(basename(file), () => {
      if (process.env.REWRITE === '1') rewrite(file);
      const c = loadCounterexample(file);
      const r = replay(c);
      expect(r.violation, `${c.title}: ${c.why} (${r.message ?? 'no violation'})`).toBe(c.violation ?? null);
      expect(r.actual, 'observations differ from the recorded ones (REWRITE=1 regenerates them; review the diff)').toEqual(c.expected);
    });
  }
});
