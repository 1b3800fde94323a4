// The exploration benchmark (issue 5's targets): how many histories per second `aurora-harness
// explore` checks, lockstep and every invariant on, on one thread and on several, and how well the
// machine itself scales the two kinds of work a history is made of.
//
// Each run is the real command in a child process (`explore --runs N --seed S --workers W --json`,
// start-up, module load and JIT warm-up of every thread included, as a user pays them). With
// --runs the summary does not depend on the thread count, so every run must print the same JSON:
// the benchmark fails (exit 1) if one does not, since then the runs did not do the same work.
// Rounds alternate the thread counts (1, 2, 1, 2, ...) so a noisy neighbour hits both alike; the
// table gives the median and the best round.
//
// Steady state: each round also runs every thread count on --runs N+M (M = --steady), and the M
// extra runs' histories over the extra wall (and CPU) time give the rate once start-up and JIT
// warm-up are paid: what a long exploration (a CI job's --budget) gets per thread. Each thread
// warms up on its own, so the cold run and the steady rate can scale very differently.
//
// Where a history's time goes (--breakdown N): in this process, on one thread, N histories per
// layout drawn from explore's generator, each run as the model alone, impl/ alone, the model with
// every invariant (no impl), and the whole lockstep run explore does; rounds repeat until the JIT
// is warm and the median of the warm rounds is reported. The model alone bounds how fast any
// exploration can go while it runs the reference model on every step.
//
// The machine's ceiling, measured in the same run: a pure-arithmetic loop and an allocation loop
// (short-lived objects, as a history's immutable model states are), each in 1 and then W worker
// threads at once; their throughput ratios say how far any JavaScript workload can scale here.

import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { COMPILED, ROOT } from './paths.js';
import { textTable } from './table.js';
import { UsageError, count, parse, positive } from './commands/common.js';
import { configFor, tuneInlining } from './commands/explore.js';
import { historyArb } from './history.js';
import { livenessPhase } from './drills.js';
import { runHistory } from './run.js';
import { initialState, step } from '../model/step.js';
import type { Event } from '../model/events.js';
import type { Config } from '../model/types.js';
import { ImplEngine } from '../impl/index.js';

export const HELP = `usage: aurora-harness bench --explore [options]   (or: npm run bench -- --explore [options])

Times \`aurora-harness explore --runs N --seed S --workers W --json\` as child processes, for each
thread count W, in alternating rounds; every run must print the same summary (the work does not
depend on W). Then a pure-arithmetic and an allocation loop in 1 and in W threads: the machine's
own scaling. Reports histories/s, events/s, histories/s per thread, the cores each run kept busy
(its CPU time, every thread of the process, over its wall time), CPU ms per history, and the
issue-5 targets, for the whole run and for the steady state (--steady), and where a history's
time goes (--breakdown).

  --runs N       histories per layout per run (default 500; explore runs 2 layouts)
  --seed N       the exploration's seed (default 1)
  --workers LIST thread counts to compare, comma-separated (default 1,2)
  --rounds N     rounds of every thread count, alternating (default 2)
  --steady M     also run --runs N+M each round; the M extra runs (2M histories) over the extra
                 time give the steady-state rate, warm-up excluded (default 1500; 0: skip)
  --breakdown N  where a history's time goes, in this process on one thread: N histories per
                 layout as the model alone, impl alone, model + invariants, and the lockstep run
                 (median of 3 warm rounds, after 1 warm-up round; default 200; 0: skip)
  --json         print one JSON object { explore, breakdown, machine, ratios } on stdout
                 (progress on stderr)
  -h, --help     this text`;

export interface ExploreRun {
  readonly id: string;
  readonly threads: number;
  readonly histories: number;
  readonly events: number;
  /** Wall time of every round, in round order (ms, child process start to exit). */
  readonly roundsMs: readonly number[];
  readonly medianMs: number;
  readonly bestMs: number;
  /** From the median round. */
  readonly historiesPerSec: number;
  readonly eventsPerSec: number;
  readonly historiesPerSecPerThread: number;
  /** CPU time (user + system, all threads of the process) of every round, in round order (ms). */
  readonly roundsCpuMs: readonly number[];
  /** Median CPU over median wall time: the cores a run kept busy (the JIT's threads too). */
  readonly coresUsed: number;
  /** Median CPU ms per history: the cost of a history, whatever the neighbours took. */
  readonly cpuMsPerHistory: number;
  /** The steady state (--steady M > 0), from the rounds' runs on --runs N+M; null when skipped. */
  readonly steady: SteadyRate | null;
}

/** The M extra runs of --runs N+M over --runs N: start-up and JIT warm-up cancel out. */
export interface SteadyRate {
  /** Histories the longer run checked beyond the shorter one (2M: two layouts). */
  readonly histories: number;
  /** Wall time of every --runs N+M round (ms). */
  readonly roundsMs: readonly number[];
  readonly roundsCpuMs: readonly number[];
  /** Extra histories over (median long wall - median short wall). */
  readonly historiesPerSec: number;
  readonly historiesPerSecPerThread: number;
  /** (Median long CPU - median short CPU) per extra history. */
  readonly cpuMsPerHistory: number;
  /** Extra CPU over extra wall time. */
  readonly coresUsed: number;
}

export interface MachineRun {
  readonly id: 'spin' | 'alloc';
  readonly threads: number;
  /** Wall time for `threads` copies of the same loop at once. */
  readonly ms: number;
  /** Loops per second over all threads, relative to one thread alone (1 for threads = 1). */
  readonly scaling: number;
}

/** One part of a history's cost (see breakdown()). */
export interface BreakdownRow {
  readonly id: 'generate' | 'model' | 'impl' | 'model+invariants' | 'lockstep';
  readonly what: string;
  /** Median over the warm rounds, µs per history. */
  readonly usPerHistory: number;
  /** Of the lockstep run's µs per history. */
  readonly share: number;
  /** 10^6 / usPerHistory: histories/s on one core if this were all a history cost. */
  readonly historiesPerSecCeiling: number;
}

const BREAKDOWN_WARM_ROUNDS = 3;

/**
 * The same histories through each layer alone, one thread, after one warm-up round. Histories come
 * from explore's generator (fc.sample on the seed, one stream per layout, not fc.check's, so the
 * histories are alike in kind but not the ones an explore run checks) with the liveness phase.
 */
function breakdown(perLayout: number, seed: number): BreakdownRow[] {
  tuneInlining();
  const layouts: Config[] = [configFor('uniform'), configFor('fullTail')];
  const jobs: readonly (readonly [BreakdownRow['id'], string, (c: Config, events: readonly Event[], safety: readonly Event[]) => void])[] = [
    ['model', 'the reference model\'s steps alone (step(), immer), liveness phase included', (c, events) => {
      let s = initialState(c);
      for (const e of events) s = step(s, e).state;
    }],
    ['impl', 'impl/ alone on the same events', (c, events) => {
      const m = new ImplEngine(c);
      for (const e of events) m.apply(e);
    }],
    ['model+invariants', 'the model with every invariant checked after every step (and the drills), no impl', (c, _e, safety) => {
      runHistory(c, safety, {});
    }],
    ['lockstep', 'what explore runs per history: model, impl in lockstep, every invariant', (c, _e, safety) => {
      runHistory(c, safety, { impl: true });
    }],
  ];
  const samples = new Map<BreakdownRow['id'], number[]>();
  const add = (id: BreakdownRow['id'], ms: number): void => { samples.set(id, [...(samples.get(id) ?? []), (ms * 1000) / (perLayout * layouts.length)]); };
  for (let round = 0; round <= BREAKDOWN_WARM_ROUNDS; round++) {
    const t = performance.now();
    const histories = layouts.map((_, i) => fc.sample(historyArb(), { seed: seed + round * 7 + i, numRuns: perLayout }));
    const genMs = performance.now() - t;
    const full = histories.map((hs, i) => hs.map((h) => [...h.events, ...livenessPhase(layouts[i]!)]));
    const times = jobs.map(([, , f]) => {
      const t0 = performance.now();
      layouts.forEach((c, i) => histories[i]!.forEach((h, k) => f(c, full[i]![k]!, h.events)));
      return performance.now() - t0;
    });
    if (round === 0) continue; // warm-up
    add('generate', genMs);
    jobs.forEach(([id], j) => add(id, times[j]!));
  }
  const us = (id: BreakdownRow['id']): number => median(samples.get(id)!);
  const lockstep = us('lockstep');
  const rows: readonly (readonly [BreakdownRow['id'], string])[] = [['generate', 'fast-check drawing the histories (swarm mix, events)'], ...jobs.map(([id, what]) => [id, what] as const)];
  return rows.map(([id, what]) => ({
    id, what, usPerHistory: Math.round(us(id)), share: Math.round((us(id) / lockstep) * 100) / 100,
    historiesPerSecCeiling: Math.round(1e6 / us(id)),
  }));
}

interface Ratio { readonly name: string; readonly value: number | null; readonly target: string; readonly met: boolean | null }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Loaded into the explore child (node --import) to report its CPU time on exit, on stderr's last
 * line: process.cpuUsage() counts every thread of the process (workers, JIT, GC).
 */
const CPU_MARK = '@@aurora-harness-cpu ';
const REPORT_CPU = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\n${CPU_MARK}'+(u.user+u.system)+'\\n')})`;

/** One explore run as a child process: its summary (as printed), wall and CPU time. */
function exploreOnce(runs: number, seed: number, workers: number): { json: string; ms: number; cpuMs: number } {
  const args = ['--import', REPORT_CPU, join(ROOT, 'bin', 'aurora-harness.mjs'), 'explore', '--runs', String(runs), '--seed', String(seed), '--workers', String(workers), '--json'];
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  if (r.error !== undefined) throw new Error(`bench --explore: could not run explore: ${r.error.message}`);
  // Exit 1 is a violation (the summary says so); anything else is not a summary.
  if (r.status !== 0 && r.status !== 1) throw new Error(`bench --explore: explore --workers ${workers} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  const mark = r.stderr.split('\n').find((l) => l.startsWith(CPU_MARK));
  if (mark === undefined) throw new Error(`bench --explore: explore --workers ${workers} did not report its CPU time`);
  return { json: r.stdout.trim(), ms, cpuMs: Number(mark.slice(CPU_MARK.length)) / 1000 };
}

// The machine loops run as eval'd CommonJS in worker threads, each on its own isolate.
const SPIN = `let x = 0; for (let i = 0; i < 2e8; i++) x = (x * 31 + i) | 0; require('node:worker_threads').parentPort.postMessage(x);`;
const ALLOC = `let keep = []; let x = 0;
for (let i = 0; i < 2e7; i++) { const o = { a: i, b: [i, i + 1], c: { d: i } }; if (i % 100 === 0) keep.push(o); if (keep.length > 20000) keep = []; x += o.b[1]; }
require('node:worker_threads').parentPort.postMessage(x);`;

async function loops(code: string, threads: number): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', () => { void w.terminate(); resolve(); });
    w.once('error', reject);
  })));
  return performance.now() - t;
}

async function machine(threads: number): Promise<MachineRun[]> {
  const out: MachineRun[] = [];
  for (const [id, code] of [['spin', SPIN], ['alloc', ALLOC]] as const) {
    const one = await loops(code, 1);
    out.push({ id, threads: 1, ms: Math.round(one), scaling: 1 });
    if (threads > 1) {
      const many = await loops(code, threads);
      out.push({ id, threads, ms: Math.round(many), scaling: Math.round(((threads * one) / many) * 100) / 100 });
    }
  }
  return out;
}

/** Thread counts, 1 to 64, comma-separated; sorted, each once. */
function threadCounts(text: string | boolean | undefined): number[] {
  if (text === undefined) return [1, 2];
  const xs = typeof text === 'string' ? text.split(',').map((x) => x.trim()) : [''];
  if (xs.some((x) => !/^\d+$/.test(x) || Number(x) < 1 || Number(x) > 64)) {
    throw new UsageError(`--workers: '${String(text)}' is not a comma-separated list of thread counts from 1 to 64`);
  }
  return [...new Set(xs.map(Number))].sort((a, b) => a - b);
}

/** Bad input throws UsageError (the caller prints one line, exit 2). */
export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parse([...argv], {
    explore: { type: 'boolean' }, json: { type: 'boolean' }, runs: { type: 'string' }, seed: { type: 'string' },
    workers: { type: 'string' }, rounds: { type: 'string' }, steady: { type: 'string' }, breakdown: { type: 'string' },
  });
  if (values.help === true) return (console.log(HELP), 0);
  const runs = positive('--runs', values.runs, 500);
  const seed = count('--seed', values.seed, 1);
  const rounds = positive('--rounds', values.rounds, 2);
  const steady = count('--steady', values.steady, 1500);
  const perLayout = count('--breakdown', values.breakdown, 200);
  const workers = threadCounts(values.workers);
  const json = values.json === true;
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  // The machine's load before the run: a busy neighbour makes every figure below slower.
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  log(`bench --explore: node ${process.version}, ${availableParallelism()} cores (load average ${loadBefore} before the run), explore --runs ${runs} --seed ${seed} (2 layouts) with --workers ${workers.join(', ')}, ${rounds} rounds${steady > 0 ? ` (and --runs ${runs + steady} for the steady state)` : ''}; the harness runs ${COMPILED ? 'compiled (dist/)' : 'its sources or dist/, whichever is fresh'}`);

  // Per size (runs N, and N+M for the steady state): each thread count's rounds, and the summary
  // every run of that size must print.
  const sizes = steady > 0 ? [runs, runs + steady] : [runs];
  const times = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const reference = new Map<number, string>();
  for (let round = 0; round < rounds; round++) {
    for (const n of sizes) {
      for (const w of workers) {
        const { json: out, ms, cpuMs } = exploreOnce(n, seed, w);
        const ref = reference.get(n);
        if (ref === undefined) reference.set(n, out);
        else if (out !== ref) {
          console.error(`bench --explore: explore --runs ${n} --workers ${w} printed a different summary from the first run: the runs did not do the same work`);
          return 1;
        }
        const key = `${n}/${w}`;
        times.set(key, [...(times.get(key) ?? []), Math.round(ms)]);
        cpu.set(key, [...(cpu.get(key) ?? []), Math.round(cpuMs)]);
        log(`  round ${round + 1}: --runs ${n}, ${w} thread${w === 1 ? '' : 's'}: ${(ms / 1000).toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s)`);
      }
    }
  }
  const histories = (n: number): number => (JSON.parse(reference.get(n)!) as { histories: number }).histories;
  const summary = JSON.parse(reference.get(runs)!) as { ok: boolean; histories: number; events: number };
  const results: ExploreRun[] = workers.map((w) => {
    const roundsMs = times.get(`${runs}/${w}`)!;
    const roundsCpuMs = cpu.get(`${runs}/${w}`)!;
    const med = median(roundsMs);
    const hps = summary.histories / (med / 1000);
    let rate: SteadyRate | null = null;
    if (steady > 0) {
      const longMs = times.get(`${runs + steady}/${w}`)!;
      const longCpuMs = cpu.get(`${runs + steady}/${w}`)!;
      const extra = histories(runs + steady) - summary.histories;
      // A noisy round can make the difference tiny or negative: then there is no rate to report.
      const dMs = median(longMs) - med;
      const dCpu = median(longCpuMs) - median(roundsCpuMs);
      const perSec = dMs > 0 ? extra / (dMs / 1000) : 0;
      rate = {
        histories: extra, roundsMs: longMs, roundsCpuMs: longCpuMs,
        historiesPerSec: Math.round(perSec * 10) / 10, historiesPerSecPerThread: Math.round((perSec / w) * 10) / 10,
        cpuMsPerHistory: Math.round((dCpu / extra) * 100) / 100, coresUsed: dMs > 0 ? Math.round((dCpu / dMs) * 100) / 100 : 0,
      };
    }
    return {
      id: `explore-w${w}`, threads: w, histories: summary.histories, events: summary.events, roundsMs,
      medianMs: med, bestMs: Math.min(...roundsMs),
      historiesPerSec: Math.round(hps * 10) / 10, eventsPerSec: Math.round(summary.events / (med / 1000)),
      historiesPerSecPerThread: Math.round((hps / w) * 10) / 10,
      roundsCpuMs, coresUsed: Math.round((median(roundsCpuMs) / med) * 100) / 100,
      cpuMsPerHistory: Math.round((median(roundsCpuMs) / summary.histories) * 100) / 100,
      steady: rate,
    };
  });
  let parts: BreakdownRow[] = [];
  if (perLayout > 0) {
    log(`  breakdown: ${perLayout} histories per layout, ${BREAKDOWN_WARM_ROUNDS + 1} rounds, in this process ...`);
    parts = breakdown(perLayout, seed);
  }
  const top = Math.max(...workers);
  log(`  machine loops in 1 and ${top} threads ...`);
  const mach = await machine(top);

  const one = results.find((r) => r.threads === 1);
  const two = results.find((r) => r.threads === 2);
  const r = (name: string, value: number | null, target: string, ok: ((v: number) => boolean) | null): Ratio =>
    ({ name, value: value === null ? null : Math.round(value * 100) / 100, target, met: value === null || ok === null ? null : ok(value) });
  const ratios: Ratio[] = [
    r('explore histories/s on 1 thread (per core)', one?.historiesPerSec ?? null, '>= 1,000', (v) => v >= 1000),
    r('explore events per history', summary.events / summary.histories, '(about 100)', null),
    r('explore histories/s, 2 threads / 1 thread (median rounds)', one && two ? two.historiesPerSec / one.historiesPerSec : null, '>= 1.8', (v) => v >= 1.8),
    r('explore histories/s, 2 threads / 1 thread (best rounds)', one && two ? one.bestMs / two.bestMs : null, '>= 1.8', (v) => v >= 1.8),
    r('(info) CPU ms per history, 2 threads / 1 thread (1: threads cost nothing extra)', one && two ? two.cpuMsPerHistory / one.cpuMsPerHistory : null, '(no target)', null),
    ...(steady > 0 ? [
      r('steady state: explore histories/s on 1 thread (warm-up excluded)', one?.steady?.historiesPerSec ?? null, '>= 1,000', (v) => v >= 1000),
      r('steady state: explore histories/s, 2 threads / 1 thread', one?.steady && two?.steady && one.steady.historiesPerSec > 0 ? two.steady.historiesPerSec / one.steady.historiesPerSec : null, '>= 1.8', (v) => v >= 1.8),
      r('(info) steady state: CPU ms per history, 2 threads / 1 thread', one?.steady && two?.steady ? two.steady.cpuMsPerHistory / one.steady.cpuMsPerHistory : null, '(no target)', null),
    ] : []),
    ...(parts.length > 0 ? [r('(info) the reference model alone, one core: histories/s if invariants and impl cost nothing', parts.find((p) => p.id === 'model')!.historiesPerSecCeiling, '(ceiling, no target)', null)] : []),
    ...mach.filter((m) => m.threads > 1).map((m) => r(`(machine) ${m.id} loop, ${m.threads} threads / 1 thread`, m.scaling, '(ceiling, no target)', null)),
  ];
  if (json) {
    console.log(JSON.stringify({ node: process.version, cores: availableParallelism(), loadBefore, loadAfter: Math.round(loadavg()[0]! * 100) / 100, runs, steady, seed, ok: summary.ok, explore: results, breakdown: perLayout > 0 ? { historiesPerLayout: perLayout, warmRounds: BREAKDOWN_WARM_ROUNDS, rows: parts } : null, machine: mach, ratios }, null, 2));
  } else {
    const head = ['id', 'threads', 'histories', 'events', 'median s', 'best s', 'histories/s', 'events/s', 'histories/s/thread', 'cores used', 'CPU ms/history'];
    const rows = results.map((x) => [x.id, String(x.threads), String(x.histories), String(x.events), (x.medianMs / 1000).toFixed(2), (x.bestMs / 1000).toFixed(2),
      x.historiesPerSec.toFixed(1), String(x.eventsPerSec), x.historiesPerSecPerThread.toFixed(1), x.coresUsed.toFixed(2), x.cpuMsPerHistory.toFixed(2)]);
    const steadyRows = results.filter((x) => x.steady !== null).map((x) => [`${x.id}-steady`, String(x.threads), String(x.steady!.histories), '',
      ((median(x.steady!.roundsMs) - x.medianMs) / 1000).toFixed(2), '', x.steady!.historiesPerSec.toFixed(1), '', x.steady!.historiesPerSecPerThread.toFixed(1),
      x.steady!.coresUsed.toFixed(2), x.steady!.cpuMsPerHistory.toFixed(2)]);
    const all = [...rows, ...steadyRows];
    console.log(`\n${textTable(head, all, 1)}\n`);
    if (steadyRows.length > 0) console.log(`(-steady rows: the ${steady} extra runs of --runs ${runs + steady}, median extra wall time in 'median s'; warm-up excluded)\n`);
    if (parts.length > 0) {
      console.log(`where a history's time goes (this process, one thread, ${perLayout} histories per layout, median of ${BREAKDOWN_WARM_ROUNDS} warm rounds):`);
      for (const p of parts) console.log(`  ${p.id.padEnd(16)} ${String(p.usPerHistory).padStart(6)} µs/history  ${p.share.toFixed(2).padStart(5)} of lockstep  (${p.what})`);
      console.log('');
    }
    console.log(`machine: ${mach.map((m) => `${m.id} x${m.threads} ${m.ms} ms`).join(', ')}\n`);
    for (const x of ratios) console.log(`  ${x.met === null ? 'n/a ' : x.met ? 'met ' : 'MISS'}  ${x.name}: ${x.value ?? '-'} (target ${x.target})`);
  }
  return 0;
}
