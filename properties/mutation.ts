// Hunting one mutant: generated histories (the same generator and runner as `explore`, impl in
// lockstep, every invariant on) under the mutant's configuration, until an invariant fails or the
// search runs out of histories or time; then the failing history is shrunk.
//
// The search and the shrink are separate fast-check runs: the first stops at the first failure
// (so the time to catch is measured without shrinking), the second replays that run by its path
// and shrinks it. With a number of histories and no time limit, both are deterministic.

import fc from 'fast-check';
import type { Config } from '../model/types.js';
import type { History, HistoryOptions } from './history.js';
import { historyArb } from './history.js';
import { runHistory } from './run.js';
import { mutantConfig, type Mutant } from './mutants.js';
import { FORMAT, SHRINKS_DIR, configOf, formatCounterexample, loadCounterexample, observe, type Counterexample } from './shrinks.js';
import { join } from 'node:path';
import { minimize } from './minimize.js';
import { Guide, searchGuided, shrinkGuided, type GuideStats } from './guided.js';

export interface HuntOptions {
  readonly seed: number;
  /** Histories to try at most (Infinity: until the budget ends). */
  readonly maxHistories: number;
  /** Wall-clock budget of the search in milliseconds (Infinity: none). */
  readonly budgetMs: number;
  /** Shrink the failing history (default true), within about this many milliseconds (default 60 s). */
  readonly shrink?: boolean;
  readonly shrinkBudgetMs?: number;
  readonly history?: HistoryOptions;
  /** Start the search at this run of the seed's sequence (default 0: the first). */
  readonly from?: number;
  /** Called after each history that held. */
  readonly onProgress?: (histories: number) => void;
  /** Coverage-guided search (guided.ts) instead of fast-check's; `from` does not apply. */
  readonly guided?: boolean;
}

export interface HuntResult {
  readonly mutant: Mutant;
  readonly config: Config;
  readonly caught: boolean;
  /** Histories run until the first violation (that one included), or in all when it survived. */
  readonly histories: number;
  /** Milliseconds until the first violation (or of the whole search when it survived). */
  readonly ms: number;
  /** The invariant violated by the (shrunk) counterexample, and how. */
  readonly invariant: string | null;
  readonly message: string | null;
  /** The (shrunk) failing history, and its length in events (the liveness phase not counted). */
  readonly history: History | null;
  readonly shrunkEvents: number | null;
  readonly shrinkMs: number;
  /** Found by a coverage-guided search (no fast-check path: a search window cannot re-run it). */
  readonly guided?: GuideStats;
}

export function hunt(mutant: Mutant, opts: HuntOptions): HuntResult {
  if (opts.guided === true) return huntGuided(mutant, opts);
  const config = mutantConfig(mutant);
  const arb = historyArb(opts.history);
  let histories = 0;
  let caughtAt: number | null = null;
  const start = performance.now();
  const search = fc.check(fc.property(arb, (h) => {
    histories++;
    if (runHistory(config, h.events, { impl: true }).violation === null) {
      opts.onProgress?.(histories);
      return true;
    }
    caughtAt = performance.now();
    return false;
  }), {
    seed: opts.seed, endOnFailure: true, ...((opts.from ?? 0) > 0 ? { path: String(opts.from) } : {}),
    numRuns: Number.isFinite(opts.maxHistories) ? opts.maxHistories : 2 ** 31 - 1,
    ...(Number.isFinite(opts.budgetMs) ? { interruptAfterTimeLimit: opts.budgetMs, markInterruptAsFailure: false } : {}),
  });
  const ms = Math.round((caughtAt ?? performance.now()) - start);
  const base = { mutant, config, histories, ms, shrinkMs: 0 };
  // (A time limit that interrupts the search before any history completes is reported as failed
  // with no counterexample, whatever markInterruptAsFailure says: nothing ran, nothing caught.)
  if (!search.failed || (search.interrupted && search.numRuns === 0 && search.counterexample === null)) {
    return { ...base, caught: false, invariant: null, message: null, history: null, shrunkEvents: null };
  }
  if (search.counterexample === null) throw search.errorInstance ?? new Error(`mutant ${mutant.name}: the search failed without a counterexample`);
  let [history] = search.counterexample;
  const shrinkStart = performance.now();
  if (opts.shrink !== false) {
    const shrunk = fc.check(fc.property(arb, (h) => runHistory(config, h.events, { impl: true }).violation === null), {
      seed: opts.seed, path: search.counterexamplePath ?? undefined, numRuns: 1, interruptAfterTimeLimit: (opts.shrinkBudgetMs ?? 60_000) / 2,
    });
    if (shrunk.failed && shrunk.counterexample !== null) [history] = shrunk.counterexample;
  }
  if (opts.shrink !== false) {
    const caughtBy = runHistory(config, history.events, { impl: true }).violation?.invariant;
    const deadline = performance.now() + (opts.shrinkBudgetMs ?? 60_000) / 2;
    if (caughtBy !== undefined) history = { ...history, events: minimize(config, history.events, caughtBy, deadline) };
  }
  const violation = runHistory(config, history.events, { impl: true }).violation;
  return {
    ...base, caught: true, invariant: violation?.invariant ?? null, message: violation?.message ?? null,
    history, shrunkEvents: history.events.length, shrinkMs: Math.round(performance.now() - shrinkStart),
  };
}

/** hunt() with a guide: its histories until one fails; the failure is shrunk by deleting events. */
function huntGuided(mutant: Mutant, opts: HuntOptions): HuntResult {
  const config = mutantConfig(mutant);
  const guide = new Guide(opts.seed, opts.history);
  const start = performance.now();
  let histories = 0;
  const found = searchGuided(guide, config, opts.maxHistories, start + opts.budgetMs, (r) => {
    histories++;
    if (r.violation !== null) return false;
    opts.onProgress?.(histories);
    return true;
  });
  const ms = Math.round(performance.now() - start);
  const base = { mutant, config, histories, ms, shrinkMs: 0, guided: guide.stats() };
  if (found === null) return { ...base, caught: false, invariant: null, message: null, history: null, shrunkEvents: null };
  const shrinkStart = performance.now();
  const history = opts.shrink === false ? found.history
    : shrinkGuided(config, found.history, found.result.violation!.invariant, shrinkStart + (opts.shrinkBudgetMs ?? 60_000));
  const violation = runHistory(config, history.events, { impl: true }).violation;
  return {
    ...base, caught: true, invariant: violation?.invariant ?? null, message: violation?.message ?? null,
    history, shrunkEvents: history.events.length, shrinkMs: Math.round(performance.now() - shrinkStart),
  };
}

/** The shrunk counterexample as a file of shrinks/mutants/: it records the bug and the violation. */
export function mutantCounterexample(r: HuntResult, seed: number): Counterexample {
  if (r.history === null || r.invariant === null) throw new Error(`mutant ${r.mutant.name} was not caught`);
  const { name, family, where, mistake } = r.mutant;
  return {
    format: FORMAT,
    title: `mutant ${name}: ${mistake}`,
    why: `Caught by ${r.invariant} (${where === 'impl' ? 'impl only: lockstep disagreement' : 'model and impl: an invariant on the model\'s run'}): ${r.message}`,
    invariant: r.invariant,
    violation: r.invariant,
    config: { ...(r.mutant.config ?? {}), bugs: [name] },
    events: r.history.events,
    expected: observe(r.config, r.history.events),
    // A guided catch has no fast-check path: its seed is the guide's, kept apart from `seed` so
    // that mutants-search.test.ts does not take it for a window to re-run.
    meta: r.guided === undefined
      ? { seed, family, where, histories: r.histories, foundBy: 'aurora-harness mutants' }
      : { guidedSeed: seed, family, where, histories: r.histories, foundBy: 'aurora-harness mutants --guided' },
  };
}

/**
 * A historical mutant no search has caught (yet): its kept counterexample (shrinks/, found by an
 * exploration of the real bug) with the bug switched on, as its file of shrinks/mutants/. Its meta
 * has no seed, so mutants-search.test.ts has no window to re-run; mutants.test.ts replays it like
 * any other. Null when the kept file does not fail with the bug on (then nothing is written, and
 * mutants.test.ts says so).
 */
export function keptCounterexample(m: Mutant, searched: { seed: number; histories: number }): Counterexample | null {
  if (m.historical === undefined) return null;
  const kept = loadCounterexample(join(SHRINKS_DIR, m.historical.kept));
  const config = { ...configOf(kept), bugs: [m.name] };
  const violation = runHistory(config, kept.events, { impl: true }).violation;
  if (violation === null) return null;
  return {
    format: FORMAT,
    title: `mutant ${m.name}: ${m.mistake}`,
    why: `No search from a seed has caught it (the last: seed ${searched.seed}, ${searched.histories} histories). This is its kept counterexample, shrinks/${m.historical.kept}, with the bug on; caught by ${violation.invariant}: ${violation.message}`,
    invariant: violation.invariant,
    violation: violation.invariant,
    config: { ...(kept.config ?? {}), bugs: [m.name] },
    events: kept.events,
    expected: observe(config, kept.events),
    meta: { family: m.family, where: m.where, kept: m.historical.kept, searched, foundBy: 'its kept counterexample' },
  };
}

export { formatCounterexample };
