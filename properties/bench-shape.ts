// The cost shape of a transaction (`bench --shape`): what one more record costs, and what one
// more PG touched costs, in impl/ and in the model, measured in one run, so the issue-4 targets
// that compare volumes (flat from 1 to 13,108 PGs) and engines (impl 100x the model) can be read
// against where the time goes.
//
// The bench's workload (one txn, then deliverAll, tick, deliverAll) with the txn's shape varied:
// - at 1 PG, txns of 1, 3 and 7 page writes (2, 4 and 8 records with the commit record): the
//   slope over records is the cost of a record; the intercept is what a txn costs besides its
//   records (its PG's quorum round and the txn's own work);
// - at 64 PGs, txns of 3 page writes (4 records) over 1, 2 and 3 PGs: the slope over PGs is the
//   cost of a PG touched (its six members' writes, persists and acks, the writer's watermarks of
//   it, its PGMRPL announcements and coalescing); the intercept is the txn without its PGs.
// A line is fitted to each set by least squares, and the fit's worst residual is reported with it:
// one fit per round (each round runs every row once, so its rows ran seconds apart), and each
// figure's median over the rounds.
//
// What the fit says about the spread target: a txn of 4 records over 3 PGs costs c + 3p and one
// over 1 PG c + p (c the intercept at 64 PGs, p the cost of a PG), so 3 PGs within 1.5x of 1 PG
// needs p <= c / 3: a PG touched may cost at most a third of everything else in the txn.

import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { UsageError, parse, positive } from './commands/common.js';
import { COMPILED } from './paths.js';
import { textTable } from './table.js';
import type { Engine } from '../model/engine.js';
import { ModelEngine } from '../model/engine.js';
import { MTRS_PER_TXN_MAX, WRITES_PER_MTR_MAX, type Event } from '../model/events.js';
import type { Config, Observation } from '../model/types.js';
import { DEFAULT_CONFIG } from '../model/types.js';
import { ImplEngine } from '../impl/index.js';

export const HELP = `usage: aurora-harness bench --shape [options]   (or: npm run bench -- --shape [options])

The cost shape of a txn, in impl/ and in the model: the bench's workload (a txn, then
deliverAll, tick, deliverAll) with txns of 1, 3 and 7 page writes at 1 PG (2, 4 and 8 records),
and of 3 page writes spread over 1, 2 and 3 PGs at 64 PGs. A line fitted to each set gives the
cost of a record and the cost of a PG touched (its quorum round: six members' writes, persists
and acks, the writer's watermarks, PGMRPL announcements, coalescing); the report says what the
spread target (3 PGs a txn within 1.5x of 1) asks of the cost of a PG, and how impl and the model
compare on each part.

  --json        print one JSON object { rows, fits, roundFits, modelOverImpl } on stdout (progress
                on stderr)
  --quick       small sizes (a smoke run; not with --instructions)
  --txns N      txns per impl row (default 20,000; --quick 1,000); the model runs N/50 (at least 40)
  --repeat N    rounds: each runs every row once on a fresh engine (after every row's warm-up),
                and each row's median run is reported (default 5; 1 with --quick)
  --instructions
                count instructions instead of timing (valgrind's cachegrind, node made
                deterministic): each row's marginal instructions per txn from n to 3n txns in a
                child process (n: --txns, default 10,000; the model n/50), which repeat to within about
                0.2% where timed rows move by tens of percent on a shared machine; needs valgrind
                and the compiled build; one child per core at a time, about 4 minutes on 2
                cores (node starts slowly under valgrind)
  -h, --help    this text

Nothing is asserted: exit 0 unless a txn is not accepted or not committed in its round (1), or
the options are bad (2).`;

const PAGES_PER_PG = 2;

interface ShapeSpec {
  readonly id: string;
  readonly engine: 'impl' | 'model';
  readonly pgs: number;
  /** Page writes per txn (records: writes + the commit record). */
  readonly writes: number;
  /** PGs each txn's writes are spread over. */
  readonly span: number;
}

export interface ShapeRow {
  readonly id: string;
  readonly engine: 'impl' | 'model';
  readonly pgs: number;
  readonly recordsPerTxn: number;
  readonly pgsPerTxn: number;
  readonly txns: number;
  /** What perTxn counts: ns (timed), or instructions (--instructions: cachegrind, marginal). */
  readonly unit: 'ns' | 'instructions';
  /** Per txn (txn, deliverAll, tick, deliverAll): the median run's ns, or the marginal instructions. */
  readonly perTxn: number;
  readonly perRecord: number;
  /** Every run's ns per txn, in the order they ran (--instructions: the one count). */
  readonly runsPerTxn: readonly number[];
}

/** A least-squares line through (x, the rows' cost per txn). */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
  /** The largest distance of a row from the line, in the rows' unit per txn. */
  readonly worstResidual: number;
}

export interface ShapeFit {
  readonly engine: 'impl' | 'model';
  /** At 1 PG, over records per txn: the slope is the cost of a record. */
  readonly records: Line;
  /** At 64 PGs, over PGs per txn (4 records each): the slope is the cost of a PG touched. */
  readonly pgs: Line;
  /** ns or instructions (the rows' unit). */
  readonly unit: 'ns' | 'instructions';
  /** A record (at 1 PG), a PG touched (at 64 PGs). */
  readonly perRecord: number;
  readonly perPg: number;
  /** A txn besides its records at 1 PG (its PG's round included); a 4-record txn besides its PGs at 64 PGs. */
  readonly txnAt1Pg: number;
  readonly txnAt64Pgs: number;
  /** Per txn at 64 PGs, 4 records over 3 PGs against over 1 PG (the rows, not the fit). */
  readonly spread3Over1: number;
  /** Per txn, 4 records over 1 PG, at 64 PGs against at 1 PG (the rows): the volume's own cost. */
  readonly volume64Over1: number;
  /** The cost of a PG touched that keeps 3 PGs within 1.5x of 1 at 64 PGs: txnAt64Pgs / 3. */
  readonly perPgForSpreadTarget: number;
}

function specs(): ShapeSpec[] {
  const out: ShapeSpec[] = [];
  for (const engine of ['impl', 'model'] as const) {
    for (const writes of [1, 3, 7]) out.push({ id: `${engine}-pg1-w${writes}`, engine, pgs: 1, writes, span: 1 });
    for (const span of [1, 2, 3]) out.push({ id: `${engine}-pg64-span${span}`, engine, pgs: 64, writes: 3, span });
  }
  return out;
}

function config(pgs: number): Config {
  return { ...DEFAULT_CONFIG, pgCount: pgs, pagesPerPg: PAGES_PER_PG, replicas: 0, lal: 1_000_000 };
}

/**
 * Txn i: `writes` pages, write j in PG (i * span + j mod span) mod pgs, the PG's two pages taken in
 * turn, in MTRs of at most 3 writes. The commit record goes to the last write's PG, so the txn
 * touches exactly `span` PGs (span <= pgs), and consecutive txns move on to the next PGs.
 */
function txnEvent(spec: ShapeSpec, i: number): Event {
  const pages: number[] = [];
  for (let j = 0; j < spec.writes; j++) {
    const pg = (i * spec.span + (j % spec.span)) % spec.pgs;
    pages.push(pg * PAGES_PER_PG + ((Math.floor(j / spec.span) + i) % PAGES_PER_PG));
  }
  const mtrs: number[][] = [];
  for (let k = 0; k < pages.length; k += 3) mtrs.push(pages.slice(k, k + 3));
  return { type: 'txn', mtrs };
}

/** The PGs txn i touches, checked against the spec once per row (a shape wrong by construction would fit a wrong line). */
function checkShape(spec: ShapeSpec): void {
  // (MTRs of 3 writes: within the engines' limits, so no write is cut and every txn has writes + 1 records.)
  if (Math.ceil(spec.writes / 3) > MTRS_PER_TXN_MAX || 3 > WRITES_PER_MTR_MAX || spec.span > spec.pgs) throw new Error(`bench --shape: ${spec.id} is not a valid shape`);
  for (let i = 0; i < 3; i++) {
    const e = txnEvent(spec, i);
    const pgs = new Set(e.type === 'txn' ? e.mtrs.flat().map((p) => Math.floor(p / PAGES_PER_PG)) : []);
    if (pgs.size !== spec.span) throw new Error(`bench --shape: ${spec.id}: txn ${i} touches ${pgs.size} PGs, not ${spec.span}`);
  }
}

const DELIVER_ALL: Event = { type: 'deliverAll' };
const TICK: Event = { type: 'tick' };

/** One txn and its round; fails unless it is accepted with its records and committed in the round. */
function runTxn(engine: Engine, spec: ShapeSpec, i: number): void {
  const accepted = engine.apply(txnEvent(spec, i));
  const a = accepted[0];
  if (accepted.length !== 1 || a === undefined || a.kind !== 'accepted' || a.commitLsn - a.firstLsn !== spec.writes) {
    throw new Error(`bench --shape: ${spec.id}: txn ${i} not accepted with ${spec.writes + 1} records: ${JSON.stringify(accepted)}`);
  }
  let committed = 0;
  const take = (obs: readonly Observation[]): void => {
    for (const o of obs) {
      if (o.kind !== 'committed' || o.txn !== i) throw new Error(`bench --shape: ${spec.id}: unexpected observation during txn ${i}: ${JSON.stringify(o)}`);
      committed++;
    }
  };
  take(engine.apply(DELIVER_ALL));
  take(engine.apply(TICK));
  take(engine.apply(DELIVER_ALL));
  if (committed !== 1) throw new Error(`bench --shape: ${spec.id}: txn ${i} was not committed in its round`);
}

function newEngine(spec: ShapeSpec): Engine {
  return spec.engine === 'model' ? new ModelEngine(config(spec.pgs)) : new ImplEngine(config(spec.pgs));
}

/** ns for `txns` txns on a fresh engine (its construction included, as in the bench's rows). */
function timeRun(spec: ShapeSpec, txns: number): number {
  const t0 = process.hrtime.bigint();
  const engine = newEngine(spec);
  for (let i = 0; i < txns; i++) runTxn(engine, spec, i);
  return Number(process.hrtime.bigint() - t0);
}

/** Warm-up engines per row (discarded): the bench's WARM_UP_ENGINES, for the same reason. */
const WARM_UP_ENGINES = 3;

/**
 * Every row's warm-up first (all shapes: the code is then compiled for all of them, as it is for
 * the last row measured), then the rows in rounds, each round every row once, so neither the JIT's
 * progress nor a slow spell of the machine lands on one row alone; each row's median run is kept.
 */
function measureAll(todo: readonly ShapeSpec[], txnsOf: (s: ShapeSpec) => number, repeat: number, log: (s: string) => void): ShapeRow[] {
  for (const spec of todo) {
    checkShape(spec);
    for (let k = 0; k < WARM_UP_ENGINES; k++) timeRun(spec, Math.min(txnsOf(spec), 2_000));
  }
  const runs = todo.map((): number[] => []);
  for (let k = 0; k < repeat; k++) {
    todo.forEach((spec, i) => runs[i]!.push(Math.round(timeRun(spec, txnsOf(spec)) / txnsOf(spec))));
    log(`  round ${k + 1} of ${repeat}: ${todo.map((s, i) => `${s.id} ${fmt(runs[i]![k]!)}`).join(', ')} ns/txn`);
  }
  return todo.map((spec, i) => rowOf(spec, txnsOf(spec), 'ns', [...runs[i]!].sort((a, b) => a - b)[Math.floor(repeat / 2)]!, runs[i]!));
}

function rowOf(spec: ShapeSpec, txns: number, unit: ShapeRow['unit'], perTxn: number, runsPerTxn: readonly number[]): ShapeRow {
  return {
    id: spec.id, engine: spec.engine, pgs: spec.pgs, recordsPerTxn: spec.writes + 1, pgsPerTxn: spec.span, txns, unit,
    perTxn, perRecord: Math.round(perTxn / (spec.writes + 1)), runsPerTxn,
  };
}

/**
 * --instructions: each row's txns counted in instructions by cachegrind, in a child process (this
 * module, compiled, with --shape-child ID TXNS: a fresh engine, no warm-up, untimed), at n and 3n
 * txns; the difference over 2n is the row's marginal instructions per txn: start-up, module load
 * and compilation cancel out, and the count repeats to within about 0.2% (node's flags below make V8
 * deterministic), where a timed row on this machine moves by tens of percent.
 */
async function countAll(todo: readonly ShapeSpec[], txnsOf: (s: ShapeSpec) => number, log: (s: string) => void): Promise<ShapeRow[]> {
  for (const spec of todo) checkShape(spec);
  // Every count is a child process of its own, so they run side by side, one per core (a count
  // does not depend on what else runs).
  const jobs = todo.flatMap((spec) => [{ spec, txns: txnsOf(spec) }, { spec, txns: 3 * txnsOf(spec) }]);
  let done = 0;
  const counts = await pool(jobs.map((j) => async () => {
    const count = await instructionsOf(j.spec, j.txns);
    log(`  counted ${j.spec.id} at ${fmt(j.txns)} txns (${++done} of ${jobs.length})`);
    return count;
  }), availableParallelism());
  return todo.map((spec, i) => {
    const n = txnsOf(spec);
    const perTxn = Math.round((counts[2 * i + 1]! - counts[2 * i]!) / (2 * n));
    log(`  ${spec.id}: ${fmt(perTxn)} instructions a txn (marginal over ${fmt(n)} to ${fmt(3 * n)} txns)`);
    return rowOf(spec, 3 * n, 'instructions', perTxn, [perTxn]);
  });
}

/** Runs the tasks, at most `width` at a time; their results in the tasks' order. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const k = next++;
      out[k] = await tasks[k]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, tasks.length)) }, worker));
  return out;
}

const CACHEGRIND = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'];
const DETERMINISTIC_NODE = ['--single-threaded', '--predictable', '--hash-seed=1', '--random-seed=1'];

function instructionsOf(spec: ShapeSpec, txns: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', [...CACHEGRIND, process.execPath, ...DETERMINISTIC_NODE, fileURLToPath(import.meta.url), '--shape-child', spec.id, String(txns)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new Error(`bench --shape --instructions: cachegrind on ${spec.id} (${txns} txns) failed: ${e.message}`)));
    child.on('close', (code) => {
      const count = code === 0 ? instructionsIn(stderr) : null;
      if (count === null) reject(new Error(`bench --shape --instructions: cachegrind on ${spec.id} (${txns} txns) failed: ${stderr.slice(-400)}`));
      else resolve(count);
    });
  });
}

/** The total of cachegrind's summary line ("==1== I   refs:      1,234,567"), null if there is none. */
export function instructionsIn(stderr: string): number | null {
  const m = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  return m === null ? null : Number(m[1]!.replace(/,/g, ''));
}

/** --instructions needs valgrind, and the compiled build (cachegrind runs plain node on this file). */
function checkInstructions(): void {
  if (!COMPILED) throw new UsageError('--instructions runs the compiled build under cachegrind: npm run build first');
  const v = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new UsageError('--instructions needs valgrind (cachegrind) on the PATH');
}

/** Least squares through the points. */
export function fitLine(points: readonly (readonly [number, number])[]): Line {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  if (sxx === 0) throw new Error('bench --shape: a line through points with one x');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const worstResidual = Math.max(...points.map(([x, y]) => Math.abs(y - (intercept + slope * x))));
  return { slope: Math.round(slope), intercept: Math.round(intercept), worstResidual: Math.round(worstResidual) };
}

/** The engine's fit through one round's runs (`round`: each row's run of that round). */
export function fitShape(engine: 'impl' | 'model', rows: readonly ShapeRow[], round: number): ShapeFit {
  const mine = rows.filter((r) => r.engine === engine);
  const ns = (r: ShapeRow): number => r.runsPerTxn[round]!;
  const records = fitLine(mine.filter((r) => r.pgs === 1).map((r) => [r.recordsPerTxn, ns(r)] as const));
  const big = mine.filter((r) => r.pgs === 64);
  const pgs = fitLine(big.map((r) => [r.pgsPerTxn, ns(r)] as const));
  const at = (span: number): number => ns(big.find((r) => r.pgsPerTxn === span)!);
  const small = ns(mine.find((r) => r.pgs === 1 && r.recordsPerTxn === 4)!);
  return {
    engine, unit: mine[0]!.unit, records, pgs,
    perRecord: records.slope, perPg: pgs.slope, txnAt1Pg: records.intercept, txnAt64Pgs: pgs.intercept,
    spread3Over1: Math.round((at(3) / at(1)) * 100) / 100,
    volume64Over1: Math.round((at(1) / small) * 100) / 100,
    perPgForSpreadTarget: Math.round(pgs.intercept / 3),
  };
}

/**
 * Each figure of the fits, its median over them (of an even number, the upper middle one); the
 * lines (and their residuals) are those of the fit whose PG cost is the median one.
 */
export function medianFit(fits: readonly ShapeFit[]): ShapeFit {
  const med = (pick: (f: ShapeFit) => number): number => [...fits.map(pick)].sort((a, b) => a - b)[Math.floor(fits.length / 2)]!;
  const mid = [...fits].sort((a, b) => a.perPg - b.perPg)[Math.floor(fits.length / 2)]!;
  return {
    engine: fits[0]!.engine, unit: fits[0]!.unit, records: mid.records, pgs: mid.pgs,
    perRecord: med((f) => f.perRecord), perPg: med((f) => f.perPg), txnAt1Pg: med((f) => f.txnAt1Pg), txnAt64Pgs: med((f) => f.txnAt64Pgs),
    spread3Over1: med((f) => f.spread3Over1), volume64Over1: med((f) => f.volume64Over1), perPgForSpreadTarget: med((f) => f.perPgForSpreadTarget),
  };
}

function table(rows: readonly ShapeRow[]): string {
  const u = rows[0]!.unit === 'ns' ? 'ns' : 'instr';
  const head = ['id', 'engine', 'pgs', 'records/txn', 'PGs/txn', 'txns', `${u}/txn`, `${u}/record`, ...(u === 'ns' ? ['runs ns/txn'] : [])];
  const cells = rows.map((r) => [r.id, r.engine, String(r.pgs), String(r.recordsPerTxn), String(r.pgsPerTxn), r.txns.toLocaleString('en'),
    r.perTxn.toLocaleString('en'), r.perRecord.toLocaleString('en'), ...(u === 'ns' ? [r.runsPerTxn.map((x) => x.toLocaleString('en')).join(' / ')] : [])]);
  return textTable(head, cells, 2);
}

const fmt = (n: number): string => n.toLocaleString('en');

function describeFit(f: ShapeFit): string[] {
  const u = f.unit === 'ns' ? 'ns' : 'instructions';
  const over = f.perPgForSpreadTarget > 0 ? ` (${Math.round((f.perPg / f.perPgForSpreadTarget) * 10) / 10}x that)` : '';
  return [
    `  ${f.engine}: a record ${fmt(f.perRecord)} ${u} (1 PG); a PG touched ${fmt(f.perPg)} ${u} (64 PGs); a txn besides its records ${fmt(f.txnAt1Pg)} ${u} at 1 PG, a 4-record txn besides its PGs ${fmt(f.txnAt64Pgs)} ${u} at 64 PGs (worst residuals ${fmt(f.records.worstResidual)} and ${fmt(f.pgs.worstResidual)} ${u} a txn)`,
    `    the spread target's two parts: the same txn (4 records, 1 PG) costs ${f.volume64Over1}x at 64 PGs what it costs at 1 PG; at 64 PGs, over 3 PGs it costs ${f.spread3Over1}x what it costs over 1`,
    `    within 1.5x over 3 PGs needs a PG touched at most a third of the rest of the txn: ${fmt(f.perPgForSpreadTarget)} ${u}; it costs ${fmt(f.perPg)} ${u}${over}`,
  ];
}

/** Bad input throws UsageError (the caller prints one line, exit 2). */
export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parse([...argv], {
    shape: { type: 'boolean' }, json: { type: 'boolean' }, quick: { type: 'boolean' }, instructions: { type: 'boolean' }, txns: { type: 'string' }, repeat: { type: 'string' },
  });
  if (values.help === true) return (console.log(HELP), 0);
  const json = values.json === true;
  const quick = values.quick === true;
  const counted = values.instructions === true;
  if (counted && values.repeat !== undefined) throw new UsageError('--repeat: an instruction count does not vary; --instructions runs each row once');
  if (counted && quick) throw new UsageError('--quick: with --instructions small counts are mostly the JIT compiling (on the one thread cachegrind runs); leave it out');
  const txns = positive('--txns', values.txns, counted ? 10_000 : quick ? 1_000 : 20_000);
  const modelTxns = Math.max(40, Math.floor(txns / 50));
  const repeat = counted ? 1 : positive('--repeat', values.repeat, quick ? 1 : 5);
  if (counted) checkInstructions();
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  const what = counted ? `instructions counted by cachegrind, marginal over n to 3n txns: impl n = ${fmt(txns)}, the model ${fmt(modelTxns)}` : `impl ${fmt(txns)} txns a row, the model ${fmt(modelTxns)}, median of ${repeat} run${repeat === 1 ? '' : 's'}`;
  log(`bench --shape: node ${process.version}, ${availableParallelism()} cores (load average ${Math.round(loadavg()[0]! * 100) / 100} before the run), ${what}; ${COMPILED ? 'compiled (dist/)' : 'TypeScript through tsx'}`);
  // impl's rows, then the model's (each engine's rounds on their own: the model's steps would
  // otherwise run between impl's, and its garbage with them).
  const txnsOf = (s: ShapeSpec): number => (s.engine === 'model' ? modelTxns : txns);
  const rows = counted
    ? await countAll(specs(), txnsOf, log)
    : [...measureAll(specs().filter((s) => s.engine === 'impl'), txnsOf, repeat, log), ...measureAll(specs().filter((s) => s.engine === 'model'), txnsOf, repeat, log)];
  // A fit per round (rows measured minutes apart can sit in different speeds of the machine, which
  // drifts: see docs/PERFORMANCE.md, rounds a few seconds apart less so), then each figure's median over rounds.
  const roundFits = (['impl', 'model'] as const).map((e) => Array.from({ length: repeat }, (_, k) => fitShape(e, rows, k)));
  const fits = roundFits.map(medianFit);
  const [impl, model] = fits as [ShapeFit, ShapeFit];
  const ratio = (m: number, i: number): number | null => (i > 0 ? Math.round((m / i) * 10) / 10 : null);
  const vsModel = {
    perRecord: ratio(model.perRecord, impl.perRecord), perPg: ratio(model.perPg, impl.perPg),
    txnAt1Pg: ratio(model.txnAt1Pg, impl.txnAt1Pg), txnAt64Pgs: ratio(model.txnAt64Pgs, impl.txnAt64Pgs),
  };
  if (json) {
    console.log(JSON.stringify({ rows, fits, roundFits, modelOverImpl: vsModel }, null, 2));
    return 0;
  }
  console.log(`\n${table(rows)}\n`);
  console.log(`fit (${counted ? 'instructions' : 'ns'} per txn = intercept + slope x records at 1 PG, and + slope x PGs touched at 64 PGs):`);
  fits.forEach((f, i) => {
    for (const line of describeFit(f)) console.log(line);
    const range = (pick: (x: ShapeFit) => number): string => { const xs = roundFits[i]!.map(pick); return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`; };
    if (repeat > 1) console.log(`    over the ${repeat} rounds: a record ${range((x) => x.perRecord)} ns, a PG touched ${range((x) => x.perPg)} ns, 3 PGs over 1 ${range((x) => x.spread3Over1)}x`);
  });
  console.log(`  the model over impl: a record ${vsModel.perRecord ?? '-'}x, a PG touched ${vsModel.perPg ?? '-'}x, a txn besides its records at 1 PG ${vsModel.txnAt1Pg ?? '-'}x, a txn besides its PGs at 64 PGs ${vsModel.txnAt64Pgs ?? '-'}x`);
  return 0;
}

/** --shape-child ID TXNS (the child of --instructions): the row's txns on a fresh engine, once. */
function child(id: string | undefined, txns: number): void {
  const spec = specs().find((s) => s.id === id);
  if (spec === undefined || !Number.isSafeInteger(txns) || txns < 1) throw new Error(`bench --shape-child: no row ${id ?? ''} or a bad txn count`);
  const engine = newEngine(spec);
  for (let i = 0; i < txns; i++) runTxn(engine, spec, i);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--shape-child') child(process.argv[3], Number(process.argv[4]));
