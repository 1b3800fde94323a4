// Agreement: impl/ emits the same observations as the model for every event of every history
// (and its writer releases its log as far: the release observes nothing),
// and ends in the same canonical state. Checked when the runner runs impl in lockstep.

import type { Invariant } from '../invariant.js';
import { deepEqual } from '../equal.js';
import { describeObservation } from '../../model/describe.js';
import { snapshotOfModel } from '../../impl/index.js';
import { snapshotDiff } from '../lockstep.js';
import { writerOf } from '../views.js';

export const agreement: Invariant = {
  id: 'agreement', tag: 'always',
  title: 'impl emits exactly the model\'s observations, step by step (and releases its writer\'s log as far)',
  why: 'The optimized implementation is only trustworthy as far as it behaves like the specification.',
  check(v) {
    if (v.impl === null) return null;
    if (v.impl.thrown !== null) return `impl threw: ${thrownWhere(v.impl.thrown)}`;
    if (!deepEqual(v.observations, v.impl.observations)) {
      const list = (os: typeof v.observations) => (os.length === 0 ? '(nothing)' : os.map(describeObservation).join('; '));
      return `model: ${list(v.observations)}\n  impl:  ${list(v.impl.observations)}`;
    }
    // The release observes nothing: a release too early or too late shows only here, step by step.
    const released = writerOf(v.next)?.w.released ?? null;
    if (released !== v.impl.released) return `writer's log released to ${released ?? '(no writer)'} in the model, ${v.impl.released ?? '(no writer)'} in impl`;
    return null;
  },
};

/**
 * An error's first line and the functions of its first three stack frames, without file paths:
 * the message is stored in counterexample files, and the same failure must read the same whether
 * impl ran from its sources or from dist/, in whichever checkout.
 */
export function thrownWhere(stack: string): string {
  const [first = '', ...frames] = stack.split('\n');
  const names = frames.map((l) => /^\s*at (?:async )?([^\s(]+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined).slice(0, 3);
  return names.length === 0 ? first : `${first} (in ${names.join(' <- ')})`;
}

export const agreementState: Invariant = {
  id: 'agreement-state', tag: 'eventually',
  title: 'impl ends every history in the model\'s canonical state',
  why: 'Equal observations could hide diverging state that a longer history would expose.',
  check(v) {
    if (v.implSnapshot === null) return null;
    const keys = snapshotDiff(snapshotOfModel(v.final), v.implSnapshot);
    return keys.length === 0 ? null : `snapshots differ: ${keys.slice(0, 6).join('; ')}`;
  },
};
