// One exploration: generated histories through the model with every invariant on, for a number
// of histories or a time budget, shrinking the first violation. Shared by `npm run explore` and
// the tests; deterministic for a given seed and number of runs (a time budget cuts it short).

import fc from 'fast-check';
import type { EventType } from '../model/events.js';
import { EVENT_TYPES } from '../model/events.js';
import type { Config } from '../model/types.js';
import type { History, HistoryOptions } from './history.js';
import { historyArb } from './history.js';
import { runHistory } from './run.js';
import { INVARIANTS } from './invariants.js';
import type { Tag } from './invariant.js';
import { formatFailure } from './report.js';

export interface ExploreOptions {
  readonly config: Config;
  readonly seed: number;
  /** Histories to run (Infinity: until the budget ends). */
  readonly runs: number;
  /** Wall-clock budget in milliseconds (Infinity: none). Only the harness reads the clock. */
  readonly budgetMs: number;
  readonly history?: HistoryOptions;
  /** Called after each history that held. */
  readonly onProgress?: (histories: number) => void;
}

export interface InvariantSummary {
  readonly id: string;
  readonly tag: Tag;
  readonly title: string;
  /** always/eventually: times checked; sometimes: times hit. */
  readonly checks: number;
  readonly hits: number;
  readonly violations: number;
}

export interface Failure {
  readonly invariant: string;
  readonly message: string;
  readonly history: History;
  /** The readable report of the shrunk counterexample. */
  readonly report: string;
}

export interface ExploreSummary {
  readonly seed: number;
  readonly histories: number;
  readonly events: number;
  readonly invariants: readonly InvariantSummary[];
  readonly coverage: Readonly<Record<EventType, number>>;
  readonly failure: Failure | null;
}

export function explore(opts: ExploreOptions): ExploreSummary {
  const counts = new Map<string, number>(INVARIANTS.map((i) => [i.id, 0]));
  const coverage = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
  let histories = 0;
  let events = 0;
  // The first violation fixes the failure signature: while shrinking, a candidate counts as
  // failing only if it violates the same invariant, so the shrunk history shows the bug found
  // rather than some other one it wandered into.
  let target: string | null = null;
  const holds = (history: History): boolean => {
    const result = runHistory(opts.config, history.events, { impl: true });
    if (result.violation !== null) {
      target ??= result.violation.invariant;
      return result.violation.invariant !== target;
    }
    if (target !== null) return true; // a shrink candidate, not a new history
    histories++;
    events += result.events.length;
    for (const e of result.events) coverage[e.type]++;
    for (const [id, c] of result.counts) counts.set(id, counts.get(id)! + c);
    opts.onProgress?.(histories);
    return true;
  };
  const details = fc.check(fc.property(historyArb(opts.history), holds), {
    seed: opts.seed,
    numRuns: Number.isFinite(opts.runs) ? opts.runs : 2 ** 31 - 1,
    ...(Number.isFinite(opts.budgetMs) ? { interruptAfterTimeLimit: opts.budgetMs, markInterruptAsFailure: false } : {}),
  });
  let failure: Failure | null = null;
  if (details.failed && details.counterexample !== null) {
    // The time budget may have cut shrinking short: finish it from where it stopped.
    const resumed = fc.check(fc.property(historyArb(opts.history), holds), {
      seed: opts.seed, path: details.counterexamplePath ?? undefined, numRuns: 1, interruptAfterTimeLimit: 120_000,
    });
    const [history] = resumed.failed && resumed.counterexample !== null ? resumed.counterexample : details.counterexample;
    const result = runHistory(opts.config, history.events, { impl: true });
    if (result.violation !== null) {
      failure = {
        invariant: result.violation.invariant, message: result.violation.message,
        history, report: formatFailure(opts.config, history, result),
      };
    }
  } else if (details.failed && !(details.interrupted && details.numRuns === 0)) {
    throw details.errorInstance ?? new Error('exploration failed without a counterexample');
  }
  // (fast-check reports a run its time limit interrupted before any history completed as failed,
  // whatever markInterruptAsFailure says: a pool's last chunk, handed the budget's last
  // milliseconds, is that, and it ran nothing, found nothing.)
  return {
    seed: opts.seed,
    histories,
    events,
    invariants: INVARIANTS.map((i) => {
      const n = counts.get(i.id)!;
      const violations = failure?.invariant === i.id ? 1 : 0;
      return { id: i.id, tag: i.tag, title: i.title, checks: i.tag === 'sometimes' ? 0 : n, hits: i.tag === 'sometimes' ? n : 0, violations };
    }),
    coverage,
    failure,
  };
}

/** Witnesses never reached: an exploration that misses one has not tested what it claims. */
export function missedWitnesses(s: ExploreSummary): string[] {
  return s.invariants.filter((i) => i.tag === 'sometimes' && i.hits === 0).map((i) => i.id);
}
