// docs/INVARIANTS.md must be what `npm run docs` writes now: the registry is the documentation.

import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { DOC_PATH, renderInvariants } from './docs.js';

it('docs/INVARIANTS.md is up to date with the invariant registry (run `npm run docs`)', () => {
  expect(readFileSync(DOC_PATH, 'utf8')).toBe(renderInvariants());
});
