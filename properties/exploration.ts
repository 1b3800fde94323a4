// One exploration: generated histories through the model with every invariant on, for a number
// of histories or a time budget, shrinking the first violation. Shared by `npm run explore` and
// the tests; deterministic for a given seed and number of runs (a time budget cuts it short).

import fc from 'fast-check';
import type { EventType } from '../model/events.js';
import { EVENT_TYPES } from '../model/events.js';
import type { Config } from '../model/types.js';
import type { History, HistoryOptions } from './history.js';
import { historyArb } from './history.js';
import { runHistory, type RunResult } from './run.js';
import { Guide, searchGuided, shrinkGuided, type GuideStats } from './guided.js';
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
  /**
   * Coverage-guided (`guided.ts`): histories come from a guide instead of fast-check, and a
   * violation is shrunk by deleting events. Chunks given the same `search` continue one guide
   * (its corpus and coverage), seeded by the first chunk's seed: one per thread and layout.
   */
  readonly guided?: { readonly search: string };
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
  /** A guided exploration's guide, after this chunk (summed over guides when merged). */
  readonly guide?: GuideStats;
}

/** The guides of this thread, by search (see ExploreOptions.guided). */
const guides = new Map<string, Guide>();

export function explore(opts: ExploreOptions): ExploreSummary {
  const counts = new Map<string, number>(INVARIANTS.map((i) => [i.id, 0]));
  const coverage = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
  let histories = 0;
  let events = 0;
  // The first violation fixes the failure signature: while shrinking, a candidate counts as
  // failing only if it violates the same invariant, so the shrunk history shows the bug found
  // rather than some other one it wandered into.
  let target: string | null = null;
  // Whether a run held; counts it unless it is a shrink candidate.
  const record = (result: RunResult): boolean => {
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
  const holds = (history: History): boolean => record(runHistory(opts.config, history.events, { impl: true }));
  if (opts.guided !== undefined) return exploreGuided(opts, opts.guided.search, record, () => summary(null));
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
  return summary(failure);

  function summary(failure: Failure | null): ExploreSummary {
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
}

/**
 * The guided loop: the guide's histories through `record` (which counts them) until the runs or
 * the budget end or one fails; a failure is shrunk by deleting events, keeping its invariant.
 */
function exploreGuided(opts: ExploreOptions, search: string, record: (r: RunResult) => boolean, summary: () => ExploreSummary): ExploreSummary {
  let guide = guides.get(search);
  if (guide === undefined) {
    // A long-lived process (a test run) starts many explorations: keep the newest guides only.
    if (guides.size >= 8) guides.delete(guides.keys().next().value!);
    guides.set(search, guide = new Guide(opts.seed, opts.history));
  }
  const found = searchGuided(guide, opts.config, opts.runs, performance.now() + opts.budgetMs, record);
  const base = { ...summary(), guide: guide.stats() };
  if (found === null) return base;
  const history = shrinkGuided(opts.config, found.history, found.result.violation!.invariant, performance.now() + 120_000);
  const result = runHistory(opts.config, history.events, { impl: true });
  const v = result.violation!;
  const failure: Failure = { invariant: v.invariant, message: v.message, history, report: formatFailure(opts.config, history, result) };
  return { ...base, failure, invariants: base.invariants.map((i) => (i.id === v.invariant ? { ...i, violations: 1 } : i)) };
}

/** Witnesses never reached: an exploration that misses one has not tested what it claims. */
export function missedWitnesses(s: ExploreSummary): string[] {
  return s.invariants.filter((i) => i.tag === 'sometimes' && i.hits === 0).map((i) => i.id);
}
