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
// A line is fitted to each set by least squares, and the fit's worst residual is reported with it.
//
// What the fit says about the spread target: a txn of 4 records over 3 PGs costs c + 3p and one
// over 1 PG c + p (c the intercept at 64 PGs, p the cost of a PG), so 3 PGs within 1.5x of 1 PG
// needs p <= c / 3: a PG touched may cost at most a third of everything else in the txn.

import { availableParallelism, loadavg } from 'node:os';
import { parse, positive } from './commands/common.js';
import { COMPILED } from './paths.js';
import type { Engine } from '../model/engine.js';
import { ModelEngine } from '../model/engine.js';
import { WRITES_PER_MTR_MAX, type Event } from '../model/events.js';
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

  --json        print one JSON object { rows, fits } on stdout (progress on stderr)
  --quick       small sizes (a smoke run)
  --txns N      txns per impl row (default 20,000; --quick 1,000); the model runs N/50 (at least 40)
  --repeat N    rounds: each runs every row once on a fresh engine (after every row's warm-up),
                and each row's median run is reported (default 5; 1 with --quick)
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
  /** The median run's ns per txn (txn, deliverAll, tick, deliverAll). */
  readonly nsPerTxn: number;
  readonly nsPerRecord: number;
  /** Every run's ns per txn, in the order they ran. */
  readonly runsNsPerTxn: readonly number[];
}

/** A least-squares line through (x, ns per txn). */
export interface Line {
  readonly slope: number;
  readonly intercept: number;
  /** The largest distance of a row from the line, ns per txn. */
  readonly worstResidual: number;
}

export interface ShapeFit {
  readonly engine: 'impl' | 'model';
  /** At 1 PG, over records per txn: the slope is the cost of a record. */
  readonly records: Line;
  /** At 64 PGs, over PGs per txn (4 records each): the slope is the cost of a PG touched. */
  readonly pgs: Line;
  /** ns: a record (at 1 PG), a PG touched (at 64 PGs). */
  readonly perRecordNs: number;
  readonly perPgNs: number;
  /** ns: a txn besides its records at 1 PG (its PG's round included); a 4-record txn besides its PGs at 64 PGs. */
  readonly txnAt1PgNs: number;
  readonly txnAt64PgsNs: number;
  /** ns per txn at 64 PGs, 4 records over 3 PGs against over 1 PG (the rows, not the fit). */
  readonly spread3Over1: number;
  /** ns per txn, 4 records over 1 PG, at 64 PGs against at 1 PG (the rows): the volume's own cost. */
  readonly volume64Over1: number;
  /** The cost of a PG touched that keeps 3 PGs within 1.5x of 1 at 64 PGs: txnAt64PgsNs / 3. */
  readonly perPgForSpreadTargetNs: number;
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
  if (spec.writes > WRITES_PER_MTR_MAX * 8 || spec.span > spec.pgs) throw new Error(`bench --shape: ${spec.id} is not a valid shape`);
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
  return todo.map((spec, i) => {
    const nsPerTxn = [...runs[i]!].sort((a, b) => a - b)[Math.floor(repeat / 2)]!;
    return {
      id: spec.id, engine: spec.engine, pgs: spec.pgs, recordsPerTxn: spec.writes + 1, pgsPerTxn: spec.span, txns: txnsOf(spec),
      nsPerTxn, nsPerRecord: Math.round(nsPerTxn / (spec.writes + 1)), runsNsPerTxn: runs[i]!,
    };
  });
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

export function fitShape(engine: 'impl' | 'model', rows: readonly ShapeRow[]): ShapeFit {
  const mine = rows.filter((r) => r.engine === engine);
  const records = fitLine(mine.filter((r) => r.pgs === 1).map((r) => [r.recordsPerTxn, r.nsPerTxn] as const));
  const big = mine.filter((r) => r.pgs === 64);
  const pgs = fitLine(big.map((r) => [r.pgsPerTxn, r.nsPerTxn] as const));
  const at = (span: number): number => big.find((r) => r.pgsPerTxn === span)!.nsPerTxn;
  const small = mine.find((r) => r.pgs === 1 && r.recordsPerTxn === 4)!.nsPerTxn;
  return {
    engine, records, pgs,
    perRecordNs: records.slope, perPgNs: pgs.slope, txnAt1PgNs: records.intercept, txnAt64PgsNs: pgs.intercept,
    spread3Over1: Math.round((at(3) / at(1)) * 100) / 100,
    volume64Over1: Math.round((at(1) / small) * 100) / 100,
    perPgForSpreadTargetNs: Math.round(pgs.intercept / 3),
  };
}

function table(rows: readonly ShapeRow[]): string {
  const head = ['id', 'engine', 'pgs', 'records/txn', 'PGs/txn', 'txns', 'ns/txn', 'ns/record', 'runs ns/txn'];
  const cells = rows.map((r) => [r.id, r.engine, String(r.pgs), String(r.recordsPerTxn), String(r.pgsPerTxn), r.txns.toLocaleString('en'),
    r.nsPerTxn.toLocaleString('en'), r.nsPerRecord.toLocaleString('en'), r.runsNsPerTxn.map((x) => x.toLocaleString('en')).join(' / ')]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i < 2 ? x.padEnd(width[i]!) : x.padStart(width[i]!))).join('  ');
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const fmt = (n: number): string => n.toLocaleString('en');

function describeFit(f: ShapeFit): string[] {
  const over = f.perPgForSpreadTargetNs > 0 ? ` (${Math.round((f.perPgNs / f.perPgForSpreadTargetNs) * 10) / 10}x that)` : '';
  return [
    `  ${f.engine}: a record ${fmt(f.perRecordNs)} ns (1 PG); a PG touched ${fmt(f.perPgNs)} ns (64 PGs); a txn besides its records ${fmt(f.txnAt1PgNs)} ns at 1 PG, a 4-record txn besides its PGs ${fmt(f.txnAt64PgsNs)} ns at 64 PGs (worst residuals ${fmt(f.records.worstResidual)} and ${fmt(f.pgs.worstResidual)} ns/txn)`,
    `    the spread target's two parts: the same txn (4 records, 1 PG) costs ${f.volume64Over1}x at 64 PGs what it costs at 1 PG; at 64 PGs, over 3 PGs it costs ${f.spread3Over1}x what it costs over 1`,
    `    within 1.5x over 3 PGs needs a PG touched at most a third of the rest of the txn: ${fmt(f.perPgForSpreadTargetNs)} ns; it costs ${fmt(f.perPgNs)} ns${over}`,
  ];
}

/** Bad input throws UsageError (the caller prints one line, exit 2). */
export function main(argv: readonly string[]): number {
  const { values } = parse([...argv], { shape: { type: 'boolean' }, json: { type: 'boolean' }, quick: { type: 'boolean' }, txns: { type: 'string' }, repeat: { type: 'string' } });
  if (values.help === true) return (console.log(HELP), 0);
  const json = values.json === true;
  const quick = values.quick === true;
  const txns = positive('--txns', values.txns, quick ? 1_000 : 20_000);
  const modelTxns = Math.max(40, Math.floor(txns / 50));
  const repeat = positive('--repeat', values.repeat, quick ? 1 : 5);
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  log(`bench --shape: node ${process.version}, ${availableParallelism()} cores (load average ${Math.round(loadavg()[0]! * 100) / 100} before the run), impl ${fmt(txns)} txns a row, the model ${fmt(modelTxns)}, median of ${repeat} run${repeat === 1 ? '' : 's'}; ${COMPILED ? 'compiled (dist/)' : 'TypeScript through tsx'}`);
  // impl's rows, then the model's (each engine's rounds on their own: the model's steps would
  // otherwise run between impl's, and its garbage with them).
  const txnsOf = (s: ShapeSpec): number => (s.engine === 'model' ? modelTxns : txns);
  const rows = [...measureAll(specs().filter((s) => s.engine === 'impl'), txnsOf, repeat, log), ...measureAll(specs().filter((s) => s.engine === 'model'), txnsOf, repeat, log)];
  const fits = [fitShape('impl', rows), fitShape('model', rows)];
  const [impl, model] = fits as [ShapeFit, ShapeFit];
  const ratio = (m: number, i: number): number | null => (i > 0 ? Math.round((m / i) * 10) / 10 : null);
  const vsModel = {
    perRecord: ratio(model.perRecordNs, impl.perRecordNs), perPg: ratio(model.perPgNs, impl.perPgNs),
    txnAt1Pg: ratio(model.txnAt1PgNs, impl.txnAt1PgNs), txnAt64Pgs: ratio(model.txnAt64PgsNs, impl.txnAt64PgsNs),
  };
  if (json) {
    console.log(JSON.stringify({ rows, fits, modelOverImpl: vsModel }, null, 2));
    return 0;
  }
  console.log(`\n${table(rows)}\n`);
  console.log('fit (ns per txn = intercept + slope x records at 1 PG, and + slope x PGs touched at 64 PGs):');
  for (const f of fits) for (const line of describeFit(f)) console.log(line);
  console.log(`  the model over impl: a record ${vsModel.perRecord ?? '-'}x, a PG touched ${vsModel.perPg ?? '-'}x, a txn besides its records at 1 PG ${vsModel.txnAt1Pg ?? '-'}x, a txn besides its PGs at 64 PGs ${vsModel.txnAt64Pgs ?? '-'}x`);
  return 0;
}
