// Shrinking a plain list of events, for histories fast-check did not draw (a coverage-guided
// search's, grown from kept prefixes) and after fast-check's own shrink.

import type { Event } from '../model/events.js';
import type { Config } from '../model/types.js';
import { runHistory } from './run.js';

/**
 * Delete what is not needed (after fast-check's shrink, which works on the swarm and the raw
 * events, or alone): runs of 8, 4, 2 and then single events, from the end, keeping a deletion whenever
 * the same invariant still fails. Any list of events is a valid history, so every candidate runs.
 */
export function minimize(config: Config, events: readonly Event[], invariant: string, deadline: number, sizes: readonly number[] = [8, 4, 2, 1]): Event[] {
  let current = [...events];
  const fails = (es: readonly Event[]) => runHistory(config, es, { impl: true }).violation?.invariant === invariant;
  for (const size of sizes) {
    for (let i = current.length - size; i >= 0; i--) {
      if (performance.now() > deadline) return current;
      const candidate = [...current.slice(0, i), ...current.slice(i + size)];
      if (fails(candidate)) {
        current = candidate;
        i = Math.min(i, current.length - size + 1);
      }
    }
  }
  return current;
}

/**
 * The whole shrink of a history fast-check did not draw: passes that also delete runs of 32 and
 * 16 events (a guided history is as long as a fresh one, and nothing has shrunk it yet), repeated
 * until a pass deletes nothing or the deadline passes.
 */
export function minimizeFully(config: Config, events: readonly Event[], invariant: string, deadline: number): Event[] {
  let current = [...events];
  for (;;) {
    const next = minimize(config, current, invariant, deadline, [32, 16, 8, 4, 2, 1]);
    if (next.length === current.length || performance.now() > deadline) return next;
    current = next;
  }
}
