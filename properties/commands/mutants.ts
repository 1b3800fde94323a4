// aurora-harness mutants: the mutant self-test. For each bug of the catalog (properties/mutants.ts)
// explore with that bug switched on until an invariant catches it or the budget ends, shrink the
// failing history, and write it to shrinks/mutants/<name>.json (replayed by npm test with the bug
// on). A mutant that survives means a guarantee the harness cannot defend: exit 1.

import { join } from 'node:path';
import { MUTANTS, mutantNamed, type Mutant } from '../mutants.js';
import { hunt, keptCounterexample, mutantCounterexample, formatCounterexample, type HuntResult } from '../mutation.js';
import { SHRINKS_DIR, loadCounterexample } from '../shrinks.js';
import { existsSync } from 'node:fs';
import { PROGRESS_EVERY_MS, clock, progress } from '../progress.js';
import { UsageError, count, duration, keep, outputDir, parse } from './common.js';

export const HELP = `usage: aurora-harness mutants [options]

The mutant self-test: for each named bug of the catalog (properties/mutants.ts), switched on by
configuration, explores generated histories (model and impl in lockstep, every invariant on) until
an invariant catches it or the budget ends. Reports, per mutant, whether it was caught, after how
many histories and milliseconds (shrinking not included), the shrunk counterexample's length in
events and the invariant that caught it; then the median and slowest time to catch and the median
shrunk length. Each shrunk counterexample is written to shrinks/mutants/<name>.json, recording the
bug and the violation a replay must reproduce (npm test replays them).

The historical mutants are bugs of this protocol that long explorations found and that were
fixed, brought back: they are hard to reach (minutes of search where the rest take milliseconds),
so they run only with --historical or when named in --only, each with the history length its
catalog entry gives, and their figures are reported apart from the catalog's targets. One that
survives its search still gets a file: its kept counterexample (the real bug's, in shrinks/) with
the bug on, unless a search's counterexample is there already.

options:
  --only A,B      only these mutants (names as in the catalog, historical ones too)
  --historical    the historical mutants as well (default: the catalog without them)
  --seed N        seed of every mutant's search (default: 1)
  --budget T      wall-clock budget of each mutant's search, e.g. 10s, 1m (default: 30s; 10m for a
                  historical mutant)
  --runs N        at most N histories per mutant (deterministic; default: until the budget ends)
  --guided        coverage-guided searches (as explore --guided); a guided catch is written
                  unless a search's file is there (npm test re-runs a search's window, and a
                  guided catch has none)
  --out DIR       where to write the counterexamples (default: shrinks/mutants/)
  --json          print { "mutants": [ { name, historical, caught, histories, ms, shrunkEvents,
                  invariant } ] }
  -h, --help      this text

progress goes to stderr: on a terminal, one line rewritten in place and each mutant's outcome as
it is found; elsewhere (a CI log, or with --json) a line every 30 s

exit codes: 0 every mutant caught, 1 a mutant survived, 2 bad input`;

export const MUTANTS_DIR = join(SHRINKS_DIR, 'mutants');

/** Each mutant's search budget unless --budget sets one: the historical ones take minutes. */
const BUDGET_MS = 30_000;
const HISTORICAL_BUDGET_MS = 10 * 60_000;

function selected(only: string | boolean | undefined, historical: boolean): readonly Mutant[] {
  if (only === undefined) return historical ? MUTANTS : MUTANTS.filter((m) => m.historical === undefined);
  if (typeof only !== 'string' || only.trim() === '') throw new UsageError(`--only: expected a comma-separated list of mutant names`);
  return only.split(',').map((name) => {
    const m = mutantNamed(name.trim());
    if (m === undefined) throw new UsageError(`--only: unknown mutant '${name.trim()}' (the catalog: properties/mutants.ts)`);
    return m;
  });
}

/** What wrote a counterexample file: a search (its meta has the seed), a guided search, or neither (a kept counterexample, or no file). */
function writtenBy(file: string): 'search' | 'guided' | null {
  if (!existsSync(file)) return null;
  try {
    const meta = loadCounterexample(file).meta as { seed?: unknown; guidedSeed?: unknown } | undefined;
    return typeof meta?.seed === 'number' ? 'search' : typeof meta?.guidedSeed === 'number' ? 'guided' : null;
  } catch {
    return null;
  }
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function printTable(results: readonly HuntResult[]): void {
  const rows = results.map((r) => [
    r.mutant.name, r.mutant.family, r.mutant.where, r.caught ? 'yes' : 'NO', String(r.histories), String(r.ms),
    r.shrunkEvents === null ? '-' : String(r.shrunkEvents), r.invariant ?? '-',
  ]);
  const head = ['mutant', 'family', 'where', 'caught', 'histories', 'ms', 'shrunk', 'invariant'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([4, 5, 6]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

function printSummary(all: readonly HuntResult[]): void {
  const results = all.filter((r) => r.mutant.historical === undefined);
  const old = all.filter((r) => r.mutant.historical !== undefined);
  const caught = results.filter((r) => r.caught);
  const times = caught.map((r) => r.ms);
  const lengths = caught.map((r) => r.shrunkEvents!);
  const med = median(times);
  const max = times.length === 0 ? null : Math.max(...times);
  const medLen = median(lengths);
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log('');
  if (results.length > 0) {
    console.log(`caught ${caught.length} of ${results.length} (${mark(caught.length === results.length)}: every mutant caught)`);
    console.log(`time to catch: median ${med ?? '-'} ms (${mark(med !== null && med <= 1000)}: <= 1 s), slowest ${max ?? '-'} ms (${mark(max !== null && max <= 30_000)}: <= 30 s)`);
    console.log(`shrunk counterexample: median ${medLen ?? '-'} events (${mark(medLen !== null && medLen <= 10)}: <= 10)`);
  }
  if (old.length > 0) {
    const hit = old.filter((r) => r.caught);
    console.log(`historical: caught ${hit.length} of ${old.length}; histories to catch: ${old.map((r) => `${r.mutant.name} ${r.caught ? r.histories : `none in ${r.histories}`}`).join(', ')}`);
  }
  const survivors = all.filter((r) => !r.caught).map((r) => r.mutant.name);
  console.log(survivors.length === 0 ? 'RESULT ok' : `RESULT FAIL (survived: ${survivors.join(', ')})`);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    only: { type: 'string' }, historical: { type: 'boolean' }, seed: { type: 'string' }, budget: { type: 'string' },
    runs: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, guided: { type: 'boolean' },
  });
  const guided = values.guided === true;
  if (values.help) return (console.log(HELP), 0);
  const mutants = selected(values.only, values.historical === true);
  const seed = count('--seed', values.seed, 1);
  const runs = values.runs === undefined ? Infinity : count('--runs', values.runs, 0);
  if (runs < 1) throw new UsageError('--runs: at least 1 history per mutant');
  const given = duration(values.budget);
  const budgetOf = (m: Mutant): number => given ?? (Number.isFinite(runs) ? Infinity : m.historical === undefined ? BUDGET_MS : HISTORICAL_BUDGET_MS);
  const budgets = [...new Set(mutants.map(budgetOf))].map((b) => (Number.isFinite(b) ? `${b / 1000}s` : 'none'));
  const out = outputDir('--out', (values.out as string | undefined) ?? MUTANTS_DIR);
  const json = values.json === true;
  const tty = process.stderr.isTTY === true;
  // On a terminal, one line rewritten in place and each mutant's outcome kept; elsewhere (a CI
  // log, or with --json) a line on stderr every PROGRESS_EVERY_MS.
  const shown = progress({ tty: tty && !json, everyMs: PROGRESS_EVERY_MS, now: () => performance.now(), write: (s) => process.stderr.write(s) });
  const start = performance.now();
  const results: HuntResult[] = [];
  if (!json) console.log(`SEED=${seed} mutants=${mutants.length} budget=${budgets.join('/')} runs=${runs} per mutant${guided ? ' guided' : ''}`);
  for (const [i, m] of mutants.entries()) {
    const tag = `[${i + 1}/${mutants.length}] ${m.name}`;
    const caught = results.filter((r) => r.caught).length;
    const report = (n: number): void => shown.update(`mutants: ${tag}: ${n} histories, ${clock(performance.now() - start)}; ${caught} of ${i} caught so far`);
    report(0);
    const r = hunt(m, { seed, maxHistories: runs, budgetMs: budgetOf(m), history: m.search, guided, onProgress: (n) => { if (n % 5 === 0) report(n); } });
    if (tty && !json) process.stderr.write(`\r\x1b[K${tag}: ${r.caught ? `caught by ${r.invariant} after ${r.histories} histories; shrunk to ${r.shrunkEvents} events` : 'SURVIVED'}\n`);
    const file = join(out, `${m.name}.json`);
    const by = writtenBy(file);
    // A guided catch does not replace a search's file: npm test re-runs a search's window, and a
    // guided search has none to re-run (mutants-search.test.ts).
    if (r.caught && (!guided || by !== 'search')) {
      keep(file, formatCounterexample(mutantCounterexample(r, seed)), 'mutants');
    } else if (!r.caught && m.historical !== undefined && by === null) {
      // Not caught: its kept counterexample with the bug on stands in, unless a search caught it before.
      const kept = keptCounterexample(m, { seed, histories: r.histories });
      if (kept !== null) keep(file, formatCounterexample(kept), 'mutants');
    }
    results.push(r);
  }
  shown.done();
  if (json) {
    console.log(JSON.stringify({
      guided,
      mutants: results.map((r) => ({ name: r.mutant.name, historical: r.mutant.historical !== undefined, caught: r.caught, histories: r.histories, ms: r.ms, shrunkEvents: r.shrunkEvents, invariant: r.invariant })),
    }));
  } else {
    printTable(results);
    printSummary(results);
  }
  return results.every((r) => r.caught) ? 0 : 1;
}
