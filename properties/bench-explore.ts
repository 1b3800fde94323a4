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
// The machine's ceiling, measured in the same run: a pure-arithmetic loop and an allocation loop
// (short-lived objects, as a history's immutable model states are), each in 1 and then W worker
// threads at once; their throughput ratios say how far any JavaScript workload can scale here.

import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { COMPILED, ROOT } from './paths.js';
import { UsageError, count, parse, positive } from './commands/common.js';

export const HELP = `usage: aurora-harness bench --explore [options]   (or: npm run bench -- --explore [options])

Times \`aurora-harness explore --runs N --seed S --workers W --json\` as child processes, for each
thread count W, in alternating rounds; every run must print the same summary (the work does not
depend on W). Then a pure-arithmetic and an allocation loop in 1 and in W threads: the machine's
own scaling. Reports histories/s, events/s, histories/s per thread, the cores each run kept busy
(its CPU time, every thread of the process, over its wall time), CPU ms per history, and the
issue-5 targets.

  --runs N       histories per layout per run (default 500; explore runs 2 layouts)
  --seed N       the exploration's seed (default 1)
  --workers LIST thread counts to compare, comma-separated (default 1,2)
  --rounds N     rounds of every thread count, alternating (default 2)
  --json         print one JSON object { runs, machine, ratios } on stdout (progress on stderr)
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
}

export interface MachineRun {
  readonly id: 'spin' | 'alloc';
  readonly threads: number;
  /** Wall time for `threads` copies of the same loop at once. */
  readonly ms: number;
  /** Loops per second over all threads, relative to one thread alone (1 for threads = 1). */
  readonly scaling: number;
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
    workers: { type: 'string' }, rounds: { type: 'string' },
  });
  if (values.help === true) return (console.log(HELP), 0);
  const runs = positive('--runs', values.runs, 500);
  const seed = count('--seed', values.seed, 1);
  const rounds = positive('--rounds', values.rounds, 2);
  const workers = threadCounts(values.workers);
  const json = values.json === true;
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  // The machine's load before the run: a busy neighbour makes every figure below slower.
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  log(`bench --explore: node ${process.version}, ${availableParallelism()} cores (load average ${loadBefore} before the run), explore --runs ${runs} --seed ${seed} (2 layouts) with --workers ${workers.join(', ')}, ${rounds} rounds; the harness runs ${COMPILED ? 'compiled (dist/)' : 'its sources or dist/, whichever is fresh'}`);

  const times = new Map<number, number[]>(workers.map((w) => [w, []]));
  const cpu = new Map<number, number[]>(workers.map((w) => [w, []]));
  let reference: string | null = null;
  for (let round = 0; round < rounds; round++) {
    for (const w of workers) {
      const { json: out, ms, cpuMs } = exploreOnce(runs, seed, w);
      if (reference === null) reference = out;
      else if (out !== reference) {
        console.error(`bench --explore: explore --workers ${w} printed a different summary from the first run: the runs did not do the same work`);
        return 1;
      }
      times.get(w)!.push(Math.round(ms));
      cpu.get(w)!.push(Math.round(cpuMs));
      log(`  round ${round + 1}: ${w} thread${w === 1 ? '' : 's'}: ${(ms / 1000).toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s)`);
    }
  }
  const summary = JSON.parse(reference!) as { ok: boolean; histories: number; events: number };
  const results: ExploreRun[] = workers.map((w) => {
    const roundsMs = times.get(w)!;
    const roundsCpuMs = cpu.get(w)!;
    const med = median(roundsMs);
    const hps = summary.histories / (med / 1000);
    return {
      id: `explore-w${w}`, threads: w, histories: summary.histories, events: summary.events, roundsMs,
      medianMs: med, bestMs: Math.min(...roundsMs),
      historiesPerSec: Math.round(hps * 10) / 10, eventsPerSec: Math.round(summary.events / (med / 1000)),
      historiesPerSecPerThread: Math.round((hps / w) * 10) / 10,
      roundsCpuMs, coresUsed: Math.round((median(roundsCpuMs) / med) * 100) / 100,
      cpuMsPerHistory: Math.round((median(roundsCpuMs) / summary.histories) * 100) / 100,
    };
  });
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
    ...mach.filter((m) => m.threads > 1).map((m) => r(`(machine) ${m.id} loop, ${m.threads} threads / 1 thread`, m.scaling, '(ceiling, no target)', null)),
  ];
  if (json) {
    console.log(JSON.stringify({ node: process.version, cores: availableParallelism(), loadBefore, loadAfter: Math.round(loadavg()[0]! * 100) / 100, runs, seed, ok: summary.ok, explore: results, machine: mach, ratios }, null, 2));
  } else {
    const head = ['id', 'threads', 'histories', 'events', 'median s', 'best s', 'histories/s', 'events/s', 'histories/s/thread', 'cores used', 'CPU ms/history'];
    const rows = results.map((x) => [x.id, String(x.threads), String(x.histories), String(x.events), (x.medianMs / 1000).toFixed(2), (x.bestMs / 1000).toFixed(2),
      x.historiesPerSec.toFixed(1), String(x.eventsPerSec), x.historiesPerSecPerThread.toFixed(1), x.coresUsed.toFixed(2), x.cpuMsPerHistory.toFixed(2)]);
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
    console.log(`\n${[line(head), line(width.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n')}\n`);
    console.log(`machine: ${mach.map((m) => `${m.id} x${m.threads} ${m.ms} ms`).join(', ')}\n`);
    for (const x of ratios) console.log(`  ${x.met === null ? 'n/a ' : x.met ? 'met ' : 'MISS'}  ${x.name}: ${x.value ?? '-'} (target ${x.target})`);
  }
  return 0;
}
