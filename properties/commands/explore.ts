// aurora-harness explore: generated histories through model and impl in lockstep with every
// invariant on, for a number of histories or a time budget; a summary at the end, and the shrunk
// counterexample of a violation written to shrinks/ as data.

import { join } from 'node:path';
import { DEFAULT_CONFIG, type Config } from '../../model/types.js';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { explore, missedWitnesses, type ExploreOptions, type ExploreSummary } from '../exploration.js';
import { FORMAT, SHRINKS_DIR, formatCounterexample, observe } from '../shrinks.js';
import { UsageError, count, duration, keep, outputDir, parse, positive } from './common.js';
import { COMPILED } from '../paths.js';
import { FAULT_KINDS, type FaultKind } from '../history.js';
import type { GuideStats } from '../guided.js';
import { PROGRESS_EVERY_MS, clock, progress } from '../progress.js';

export const HELP = `usage: aurora-harness explore [options]

Runs generated histories (client work, crashes, partitions, message loss, duplication and
reordering, with a swarm fault mix per history) through the model and impl in lockstep, checks
every invariant after every step, and prints a summary. The first violation is shrunk, printed,
and written to shrinks/ as a replayable counterexample.

options:
  --seed N        seed of the whole exploration (default: 1)
  --runs N        histories per layout (default: until the budget ends)
  --budget T      wall-clock budget, e.g. 30s, 2m (default: 20s; with --runs, none)
  --layout L      uniform, fullTail or both (default: both)
  --events N      raw events drawn per history before the swarm filter (default: 80; 240 with a
                  --budget of 5m or more: long histories find the bugs long runs are for)
  --faults LIST   fault kinds the swarm may draw from, comma-separated (default: all):
                  drop, duplicate, crashNode, loseDisk, partition, partitionAz, crashWriter,
                  crashReplica, failover; 'none' for client work, delivery and time alone.
                  With a restricted list, witnesses not reached are reported, not failed.
                  The liveness phase after each history has fault events of its own: it
                  heals, restarts every node, and loses B2's disk once (its last drill)
  --workers N     run N worker threads; histories go out in small chunks, each on its own seed,
                  to whichever thread is idle (default: one per core, up to 4, with a budget;
                  1 with --runs)
  --shard I/N     run shard I of N (0 <= I < N): a disjoint slice of the seed space, so a CI
                  matrix of N jobs spreads one exploration (each job: same --seed, its own I)
  --guided        coverage-guided: keep histories that reach a protocol phase (writer status,
                  nodes down, epochs the segments disagree on, membership sets, coalesced or
                  blank members, truncation ranges, ...) no earlier one reached, and grow new
                  histories from their prefixes; one guide per thread. A violation is shrunk
                  by deleting events
  --out DIR       where to write a counterexample (default: shrinks/)
  --json          print the summary as one JSON object
  -h, --help      this text

progress goes to stderr: on a terminal, one line rewritten in place; elsewhere (a CI log, or
with --json) a line every 30 s, so a run shorter than that prints only its summary

environment: AURORA_HARNESS_POOL_INTERRUPT_BUDGET=N sets V8's interrupt budget for a pool of
worker threads (default 0: V8's own; a larger one JIT-compiles fewer, hotter functions per thread);
AURORA_HARNESS_INLINE_BUDGET=N caps the bytecode V8 inlines into one optimized function (default
80; 0: V8's default, 920): smaller compiles, less JIT time on every thread

exit codes: 0 all held, 1 a violation or a witness never reached (with every fault kind on),
2 bad input`;

export function configFor(layout: Config['layout']): Config {
  return layout === 'uniform' ? DEFAULT_CONFIG : { ...DEFAULT_CONFIG, pgCount: 3, layout, lal: 16 };
}

function merge(a: ExploreSummary | null, b: ExploreSummary): ExploreSummary {
  if (a === null) return b;
  return {
    seed: a.seed,
    histories: a.histories + b.histories,
    events: a.events + b.events,
    invariants: a.invariants.map((x, i) => {
      const y = b.invariants[i]!;
      return { ...x, checks: x.checks + y.checks, hits: x.hits + y.hits, violations: x.violations + y.violations };
    }),
    coverage: Object.fromEntries(Object.entries(a.coverage).map(([k, v]) => [k, v + (b.coverage as Record<string, number>)[k]!])) as ExploreSummary['coverage'],
    failure: a.failure ?? b.failure,
    ...(a.guide !== undefined || b.guide !== undefined ? { guide: addGuides([a.guide, b.guide]) } : {}),
  };
}

/** Guides' figures summed (separate searches: the phases they reached may overlap). */
function addGuides(gs: readonly (GuideStats | undefined)[]): GuideStats {
  const sum = (k: keyof GuideStats) => gs.reduce((n, g) => n + (g?.[k] ?? 0), 0);
  return { histories: sum('histories'), fresh: sum('fresh'), phases: sum('phases'), corpus: sum('corpus') };
}

function printSummary(s: ExploreSummary, layouts: string[], written: string | null, ms: number, workers: number, allFaults: boolean): void {
  // After a violation the run stopped early: unreached witnesses say nothing then.
  const missed = s.failure === null ? missedWitnesses(s) : [];
  const secs = ms / 1000;
  const rate = secs > 0 ? `, ${Math.round(s.histories / secs)} histories/s (${Math.round(s.events / secs)} events/s) on ${workers} thread${workers === 1 ? '' : 's'}` : '';
  console.log(`histories ${s.histories}, events ${s.events}, layouts ${layouts.join('+')}, ${secs.toFixed(1)} s${rate}`);
  console.log('invariants (checks / violations):');
  for (const i of s.invariants.filter((x) => x.tag !== 'sometimes')) {
    console.log(`  ${i.violations > 0 ? 'FAIL' : 'ok  '} ${i.id.padEnd(24)} ${i.tag.padEnd(10)} ${String(i.checks).padStart(9)} / ${i.violations}`);
  }
  console.log('witnesses (hits):');
  for (const i of s.invariants.filter((x) => x.tag === 'sometimes')) {
    console.log(`  ${i.hits === 0 ? 'MISS' : 'ok  '} ${i.id.padEnd(24)} ${String(i.hits).padStart(9)}`);
  }
  console.log(`coverage: ${Object.entries(s.coverage).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s.guide !== undefined) {
    const g = s.guide;
    console.log(`guided: ${g.histories} histories (${g.fresh} fresh, ${g.histories - g.fresh} grown from kept prefixes), ${g.corpus} kept for reaching a new phase, ${g.phases} phases reached`);
  }
  if (s.failure !== null) console.log(`\n${s.failure.report}`);
  if (written !== null) console.log(`\ncounterexample written to ${written} (replay it: aurora-harness replay ${written})`);
  if (s.failure === null && missed.length > 0 && !allFaults) {
    console.log(`RESULT ok (with the fault kinds restricted, witnesses not reached: ${missed.join(', ')})`);
    return;
  }
  console.log(s.failure === null && missed.length === 0 ? 'RESULT ok' : `RESULT FAIL${s.failure ? ` (${s.failure.invariant})` : ''}${missed.length ? ` (witnesses never reached: ${missed.join(', ')})` : ''}`);
}

function writeCounterexample(dir: string, s: ExploreSummary, layout: Config['layout'], seed: number, guided: boolean): string | null {
  const f = s.failure!;
  const config = configFor(layout);
  const overrides = layout === 'uniform' ? {} : { pgCount: config.pgCount, layout: config.layout, lal: config.lal };
  const file = join(dir, `found-${f.invariant}-seed${seed}.json`);
  const text = formatCounterexample({
    format: FORMAT, title: `${f.invariant} violated`, why: f.message, invariant: f.invariant, violation: f.invariant,
    config: overrides, events: f.history.events, expected: observe(config, f.history.events),
    meta: { seed, layout, foundBy: guided ? 'aurora-harness explore --guided' : 'aurora-harness explore' },
  });
  return keep(file, text, 'explore');
}

/** Where chunks run: worker threads, or this thread when there is one. */
interface Runner {
  readonly size: number;
  run(thread: number, opts: Omit<ExploreOptions, 'onProgress'>): Promise<ExploreSummary>;
  close(): Promise<unknown>;
}

/** --workers 1: the chunks run here, in order, through the same scheme as a pool's. */
const inline: Runner = {
  size: 1,
  run: (_thread, opts) => Promise.resolve(explore(opts)),
  close: () => Promise.resolve(),
};

/**
 * V8's interrupt budget for a pool, set before its threads start (V8's flags are process-wide;
 * this thread only merges summaries once the pool runs). Each thread JIT-compiles the whole
 * harness for itself, and with every core running a thread the optimizing compiler's background
 * jobs compete with the threads: with V8's default, two threads ran 1,272 TurboFan compiles taking
 * 11.9 s of compile time in a 7 s run (--trace-opt). A larger budget optimizes fewer, hotter
 * functions. Measured (explore --seed 1 --workers 2, quiet machine): --runs 200 4.33 s vs 5.68 s
 * (median of 3); --runs 1000 13.9 s vs 14.2 s; --budget 20s 2,634 vs 2,640 histories. One thread
 * keeps V8's default, which is faster there (--runs 200: 6.2 s vs 7.5 s), its compiler running on
 * an otherwise idle core. Only this flag is set at run time: GC flags set so crashed V8.
 * Since the inlining cap below went to 80, compiles are cheap enough that 500,000 no longer
 * measures better, so V8's default is the default again (0, no flag set): explore --runs 500
 * --seed 1 --workers 2 in 7 alternating pairs, V8's default won 3 (wall 6.77/6.17/6.94/5.72/
 * 5.22/5.34/5.46 s vs 7.10/6.57/6.85/5.06/5.63/5.26/4.94 s: no difference this machine can
 * show); instructions (cachegrind --predictable, --runs 200, both threads counted) 26.73G vs
 * 27.37G, and 28.78G with 1,000,000.
 * AURORA_HARNESS_POOL_INTERRUPT_BUDGET=N sets it (0: V8's default).
 */
export const POOL_INTERRUPT_BUDGET = 0;

/**
 * V8's cap on the bytecode inlined into one optimized function, for every exploration (one thread
 * or a pool). A history runs many mid-sized functions (model handlers, checks), and with V8's
 * default (920) each optimized function inlines much of what it calls: long compiles, on every
 * thread, competing with the threads for the cores. Measured (explore --runs 500 --seed 1, set
 * here, 3 alternating rounds, load about 2.5 from other work): 1 thread wall 8.9/8.5/13.1 s vs
 * 10.5/10.5/12.8 s with V8's default, CPU 11.5/11.1/15.8 s vs 14.2/14.3/17.4 s; 2 threads wall
 * 7.4/8.3/7.4 s vs 7.4/8.4/8.1 s. Given on the command line instead, 2 threads: wall
 * median 6.3 s vs 6.7 s (5 rounds each). Lowered from 300 to 80 by instruction counts (cachegrind,
 * node --single-threaded --predictable, explore --seed 1 --json, every thread's work counted):
 * --runs 500 38.95G vs 41.61G (-6.4%: the optimizing compiler's share 10.1G -> 7.3G, the rest of
 * the run +0.5%); --runs 200 20.31G vs 22.56G (-10%); 40 measured the same as 80 at --runs 200.
 * AURORA_HARNESS_INLINE_BUDGET=N replaces it (0: V8's).
 */
export const INLINE_BUDGET = 80;

/** A non-negative integer from the environment, or the fallback when unset. */
function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`${name}: '${text}' is not a non-negative integer`);
  return Number(text);
}

/** Set once, before any exploration code is hot (V8 reads the cap when it compiles). */
export function tuneInlining(): void {
  const cap = envCount('AURORA_HARNESS_INLINE_BUDGET', INLINE_BUDGET);
  if (cap > 0) setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${cap}`);
}

/** Worker threads that stay up for the whole exploration (both layouts): tsx loads once per thread. */
class Pool implements Runner {
  private readonly threads: Worker[];
  constructor(size: number) {
    const budget = envCount('AURORA_HARNESS_POOL_INTERRUPT_BUDGET', POOL_INTERRUPT_BUDGET);
    if (budget > 0) setFlagsFromString(`--interrupt-budget=${budget}`);
    this.threads = Array.from({ length: size }, () => new Worker(new URL(COMPILED ? './explore-worker.js' : './explore-worker.mjs', import.meta.url)));
  }
  get size(): number { return this.threads.length; }
  run(thread: number, opts: Omit<ExploreOptions, 'onProgress'>): Promise<ExploreSummary> {
    const worker = this.threads[thread]!;
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => { worker.off('message', done); reject(e); };
      const done = (s: ExploreSummary) => { worker.off('error', fail); resolve(s); };
      worker.once('message', done);
      worker.once('error', fail);
      worker.postMessage({ ...opts, runs: Number.isFinite(opts.runs) ? opts.runs : null, budgetMs: Number.isFinite(opts.budgetMs) ? opts.budgetMs : null });
    });
  }
  close(): Promise<unknown> { return Promise.all(this.threads.map((w) => w.terminate())); }
}

/** Chunk c of an exploration seeded s runs on seed s * 2^16 + c (kept in fast-check's 32-bit range). */
const chunkSeed = (seed: number, c: number) => ((seed * 0x10000 + c) | 0);

/**
 * One exploration cut into small chunks, each on its own seed; idle threads take the next chunk,
 * so one long history does not hold up the rest. With --runs the result depends only on the seed
 * and the runs, not on the number of threads (one included) or which ran what: summaries merge in
 * chunk order, and after a violation only earlier chunks finish.
 */
async function inChunks(opts: Omit<ExploreOptions, 'onProgress'>, pool: Runner, onProgress?: (histories: number) => void): Promise<ExploreSummary> {
  const finite = Number.isFinite(opts.runs);
  const size = finite ? Math.max(1, Math.min(25, Math.ceil(opts.runs / 8))) : 10;
  const chunks = finite ? Math.ceil(opts.runs / size) : Infinity;
  const deadline = Number.isFinite(opts.budgetMs) ? performance.now() + opts.budgetMs : Infinity;
  const results: ExploreSummary[] = [];
  let next = 0;
  let failedAt = Infinity;
  let done = 0;
  const guides: GuideStats[] = [];
  const lane = async (thread: number): Promise<void> => {
    for (;;) {
      const c = next;
      const left = deadline - performance.now();
      if (c >= chunks || c > failedAt || left <= 0) return;
      next++;
      const runs = finite ? Math.min(size, opts.runs - c * size) : size;
      // A guided exploration keeps one guide per thread (its corpus grows over the thread's chunks),
      // seeded by the thread's first chunk: with one thread, the same histories for the same runs.
      const guided = opts.guided === undefined ? {} : { guided: { search: `${opts.guided.search}/${opts.seed}/${thread}` } };
      const s = await pool.run(thread, { ...opts, ...guided, seed: chunkSeed(opts.seed, c), runs, budgetMs: Number.isFinite(left) ? left : Infinity });
      results[c] = s;
      if (s.guide !== undefined) guides[thread] = s.guide;
      done += s.histories;
      onProgress?.(done);
      if (s.failure !== null) failedAt = Math.min(failedAt, c);
    }
  };
  await Promise.all(Array.from({ length: pool.size }, (_, t) => lane(t)));
  const kept = results.filter((s, c) => s !== undefined && c <= failedAt);
  const merged = kept.reduce<ExploreSummary | null>((a, b) => merge(a, b), null) ?? await pool.run(0, { ...opts, runs: 0 });
  const { guide: _, ...rest } = merged;
  return {
    ...rest, seed: opts.seed, failure: Number.isFinite(failedAt) ? results[failedAt]!.failure : null,
    ...(opts.guided === undefined ? {} : { guide: addGuides(guides) }),
  };
}

/** Explorations run in this process: a guided one's searches are named by it, so none continues another's guide. */
let explorations = 0;

/** --faults: a comma-separated list of fault kinds, or 'none' (absent: every kind). */
export function parseFaults(text: string | boolean | undefined): readonly FaultKind[] {
  if (text === undefined) return FAULT_KINDS;
  if (typeof text !== 'string') throw new UsageError('--faults: expected a comma-separated list of fault kinds');
  const names = text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.length === 0) throw new UsageError(`--faults: expected a comma-separated list of fault kinds (${FAULT_KINDS.join(', ')}) or 'none'`);
  const unknown = names.filter((x) => !(FAULT_KINDS as readonly string[]).includes(x));
  if (unknown.length > 0) throw new UsageError(`--faults: unknown fault kind '${unknown[0]}' (kinds: ${FAULT_KINDS.join(', ')}, or 'none')`);
  return FAULT_KINDS.filter((k) => names.includes(k));
}

export function parseShard(text: string | boolean | undefined): { index: number; of: number } {
  if (text === undefined) return { index: 0, of: 1 };
  const m = typeof text === 'string' ? /^(\d+)\/(\d+)$/.exec(text) : null;
  if (m === null) throw new UsageError(`--shard: '${String(text)}' is not I/N, like 0/4`);
  const index = Number(m[1]);
  const of = Number(m[2]);
  if (of < 1 || index >= of) throw new UsageError(`--shard: ${index}/${of} needs 0 <= I < N`);
  return { index, of };
}

/**
 * Raw events per history when --events is not given: 80 for short runs (the 20-second default,
 * --runs), 240 from a 5-minute budget. Every protocol bug the long explorations found came from
 * histories of 160-320 events, and in 8-9-minute searches for the historical mutants 240-event
 * histories caught two that 80-event ones did not catch in more histories
 * (docs/mutants-historical-results.txt); in 90-second runs neither length found more.
 */
export function defaultEvents(budgetMs: number): number {
  return Number.isFinite(budgetMs) && budgetMs >= 5 * 60_000 ? 240 : 80;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    seed: { type: 'string' }, runs: { type: 'string' }, budget: { type: 'string' }, layout: { type: 'string' },
    events: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, shard: { type: 'string' }, workers: { type: 'string' },
    faults: { type: 'string' }, guided: { type: 'boolean' },
  });
  // A time budget is best spent on every core; a fixed number of runs stays in one thread.
  const workers = count('--workers', values.workers, values.runs === undefined ? Math.min(4, availableParallelism()) : 1);
  if (workers < 1 || workers > 64) throw new UsageError(`--workers: ${workers} is not between 1 and 64`);
  if (values.help) return (console.log(HELP), 0);
  const layout = (values.layout as string | undefined) ?? 'both';
  if (!['uniform', 'fullTail', 'both'].includes(layout)) throw new UsageError(`--layout: '${layout}' is not uniform, fullTail or both`);
  const runs = values.runs === undefined ? Infinity : positive('--runs', values.runs, 1);
  const shard = parseShard(values.shard);
  // Shards take seeds seed*N + I, and each layout seed*layouts + i of that, so neither two shards
  // nor two layouts of one exploration share a history.
  const userSeed = count('--seed', values.seed, 1);
  const seed = userSeed * shard.of + shard.index;
  const budgetMs = duration(values.budget) ?? (Number.isFinite(runs) ? Infinity : 20_000);
  const layouts: Config['layout'][] = layout === 'both' ? ['uniform', 'fullTail'] : [layout as Config['layout']];
  const events = count('--events', values.events, defaultEvents(budgetMs));
  const faults = parseFaults(values.faults);
  const allFaults = faults.length === FAULT_KINDS.length;
  const json = values.json === true;
  const guided = values.guided === true;
  const out = outputDir('--out', (values.out as string | undefined) ?? SHRINKS_DIR);
  tuneInlining();
  const start = performance.now();
  // On a terminal with the text summary, one line rewritten in place; otherwise (a CI log, or
  // beside --json on stdout) a line on stderr every PROGRESS_EVERY_MS.
  const shown = progress({ tty: process.stderr.isTTY === true && !json, everyMs: PROGRESS_EVERY_MS, now: () => performance.now(), write: (s) => process.stderr.write(s) });
  if (!json) {
    console.log(`SEED=${userSeed}${shard.of > 1 ? ` (shard ${shard.index}/${shard.of})` : ''} workers=${workers} runs=${runs} budget=${Number.isFinite(budgetMs) ? `${budgetMs / 1000}s` : 'none'} layouts=${layouts.join(',')} events=${events} faults=${allFaults ? 'all' : faults.length === 0 ? 'none' : faults.join(',')}${guided ? ' guided' : ''} (each history draws its own fault mix and slow node)`);
  }
  let total: ExploreSummary | null = null;
  let written: string | null = null;
  const pool: Runner = workers > 1 ? new Pool(workers) : inline;
  const of = Number.isFinite(budgetMs) ? ` of ${clock(budgetMs)}` : '';
  const goal = Number.isFinite(runs) ? ` of ${runs * layouts.length}` : '';
  let before = 0;
  const report = (l: string) => (n: number) =>
    shown.update(`explore: ${before + n}${goal} histories (${l}), ${clock(performance.now() - start)}${of}`);
  for (const [i, l] of layouts.entries()) {
    const remaining = budgetMs - (performance.now() - start);
    const share = Number.isFinite(budgetMs) ? Math.max(1, remaining / (layouts.length - i)) : Infinity;
    const opts = {
      config: configFor(l), seed: seed * layouts.length + i, runs, budgetMs: share, history: { maxEvents: events, faults },
      ...(guided ? { guided: { search: String(++explorations) } } : {}),
    };
    const s = await inChunks(opts, pool, report(l));
    total = merge(total, s);
    before = total.histories;
    if (s.failure !== null) {
      written = writeCounterexample(out, s, l, seed * layouts.length + i, guided);
      break;
    }
  }
  shown.done();
  await pool.close();
  const summary = total!;
  // A restricted fault list may make some witnesses unreachable: they are reported, not failed.
  const ok = summary.failure === null && (!allFaults || missedWitnesses(summary).length === 0);
  if (json) {
    console.log(JSON.stringify({
      ok, seed: userSeed, ...(shard.of > 1 ? { shard: `${shard.index}/${shard.of}` } : {}), faults: allFaults ? 'all' : faults, maxEvents: events, histories: summary.histories, events: summary.events,
      invariants: summary.invariants.map(({ id, tag, checks, violations, hits }) => ({ id, tag, checks, violations, hits })),
      coverage: summary.coverage,
      ...(summary.guide !== undefined ? { guide: summary.guide } : {}),
      failure: summary.failure && { invariant: summary.failure.invariant, message: summary.failure.message, events: summary.failure.history.events, file: written },
    }));
  } else {
    printSummary(summary, layouts, written, performance.now() - start, workers, allFaults);
  }
  return ok ? 0 : 1;
}
