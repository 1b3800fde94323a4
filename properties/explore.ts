// `npm run explore`: a longer exploration than `npm test`, with a summary at the end.
//
//   npm run explore -- [--seed N] [--runs N | --budget 30s] [--layout uniform|fullTail|both] [--json]
//
// Exit code 0 when every invariant held and every witness was reached, 1 on a violation or a
// missed witness, 2 on bad input.

import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, type Config } from '../model/types.js';
import { explore, missedWitnesses, type ExploreSummary } from './exploration.js';

const HELP = `usage: npm run explore -- [options]

Runs generated histories (client work, crashes, partitions, message loss, duplication and
reordering, with a swarm fault mix per history) through the reference model, checks every
invariant after every step, and prints a summary. The first violation is shrunk and printed.

options:
  --seed N        seed of the whole exploration (default: 1)
  --runs N        histories per layout (default: until the budget ends)
  --budget T      wall-clock budget for the whole exploration, e.g. 30s, 2m (default: 20s)
  --layout L      uniform, fullTail or both (default: both)
  --events N      raw events drawn per history before the swarm filter (default: 80)
  --json          print the summary as one JSON object
  -h, --help      this text

exit codes: 0 all held, 1 a violation or a witness never reached, 2 bad input`;

class UsageError extends Error {}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--budget: '${text}' is not a duration like 30s or 2m`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

function parseCount(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag}: '${text}' is not a non-negative integer`);
  return Number(text);
}

interface Cli { seed: number; runs: number; budgetMs: number; layouts: Config['layout'][]; events: number; json: boolean }

function parse(argv: string[]): Cli | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        seed: { type: 'string' }, runs: { type: 'string' }, budget: { type: 'string' },
        layout: { type: 'string' }, events: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const layout = values.layout ?? 'both';
  if (!['uniform', 'fullTail', 'both'].includes(layout)) throw new UsageError(`--layout: '${layout}' is not uniform, fullTail or both`);
  const runs = values.runs === undefined ? Infinity : parseCount('--runs', values.runs);
  return {
    seed: values.seed === undefined ? 1 : parseCount('--seed', values.seed),
    runs,
    budgetMs: values.budget === undefined ? (Number.isFinite(runs) ? Infinity : 20_000) : parseDuration(values.budget),
    layouts: layout === 'both' ? ['uniform', 'fullTail'] : [layout as Config['layout']],
    events: values.events === undefined ? 80 : parseCount('--events', values.events),
    json: values.json ?? false,
  };
}

function configFor(layout: Config['layout']): Config {
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
  };
}

function printSummary(s: ExploreSummary, layouts: string[]): void {
  const missed = missedWitnesses(s);
  console.log(`histories ${s.histories}, events ${s.events}, layouts ${layouts.join('+')}`);
  console.log('invariants (checks / violations):');
  for (const i of s.invariants.filter((x) => x.tag !== 'sometimes')) {
    console.log(`  ${i.violations > 0 ? 'FAIL' : 'ok  '} ${i.id.padEnd(24)} ${i.tag.padEnd(10)} ${String(i.checks).padStart(9)} / ${i.violations}`);
  }
  console.log('witnesses (hits):');
  for (const i of s.invariants.filter((x) => x.tag === 'sometimes')) {
    console.log(`  ${i.hits === 0 ? 'MISS' : 'ok  '} ${i.id.padEnd(24)} ${String(i.hits).padStart(9)}`);
  }
  console.log(`coverage: ${Object.entries(s.coverage).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s.failure !== null) console.log(`\n${s.failure.report}`);
  console.log(s.failure === null && missed.length === 0 ? 'RESULT ok' : `RESULT FAIL${s.failure ? ` (${s.failure.invariant})` : ''}${missed.length ? ` (witnesses never reached: ${missed.join(', ')})` : ''}`);
}

function main(): number {
  const cli = parse(process.argv.slice(2));
  if (cli === 'help') {
    console.log(HELP);
    return 0;
  }
  const start = performance.now();
  const progress = process.stderr.isTTY && !cli.json;
  if (!cli.json) {
    console.log(`SEED=${cli.seed} runs=${cli.runs} budget=${Number.isFinite(cli.budgetMs) ? `${cli.budgetMs / 1000}s` : 'none'} layouts=${cli.layouts.join(',')} events=${cli.events} (each history draws its own fault mix)`);
  }
  let total: ExploreSummary | null = null;
  for (const [i, layout] of cli.layouts.entries()) {
    const remaining = cli.budgetMs - (performance.now() - start);
    const share = Number.isFinite(cli.budgetMs) ? remaining / (cli.layouts.length - i) : Infinity;
    const s = explore({
      config: configFor(layout), seed: cli.seed + i, runs: cli.runs, budgetMs: share,
      history: { maxEvents: cli.events },
      onProgress: progress ? (n) => { if (n % 25 === 0) process.stderr.write(`\r${layout}: ${n} histories`); } : undefined,
    });
    if (progress) process.stderr.write('\r\x1b[K');
    total = merge(total, s);
    if (s.failure !== null) break;
  }
  const summary = total!;
  const ok = summary.failure === null && missedWitnesses(summary).length === 0;
  if (cli.json) console.log(JSON.stringify({ ok, ...summary, failure: summary.failure && { invariant: summary.failure.invariant, message: summary.failure.message, events: summary.failure.history.events } }));
  else printSummary(summary, cli.layouts);
  return ok ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`explore: ${e.message} (see --help)`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
