// aurora-harness export-history FILE | --seed N: the client operations of a history as a Jepsen-style
// history, one JSON object per line: { process, type: invoke|ok|fail|info, f, key, value, index }.
// Transactions are process 0 (the writer's clients); reads at a replica are that replica's process.

import type { Observation } from '../../model/types.js';
import { ModelEngine } from '../../model/engine.js';
import { livenessPhase } from '../drills.js';
import { configOf } from '../shrinks.js';
import { counterexampleFile, count, parse, UsageError, type Values } from './common.js';
import fc from 'fast-check';
import type { Event } from '../../model/events.js';
import type { Config } from '../../model/types.js';
import { historyArb } from '../history.js';
import { configFor, parseFaults } from './explore.js';

export const HELP = `usage: aurora-harness export-history FILE
       aurora-harness export-history --seed N [--index K] [--layout L] [--events N] [--faults LIST]

Prints the client operations of a history, then of the liveness phase, as JSON lines for
external consistency checkers: process, type (invoke, ok, fail, info), f (txn, read), key (the
pages), value (the writes or the values read), index.

The history is a counterexample FILE, or a generated one: the K-th history (from 0, default 0)
that the generator draws from seed N, for layout L (uniform or fullTail, default uniform), with
the explore command's --events and --faults knobs.

exit codes: 0 printed, 2 bad input`;

interface Op { process: number | string; type: 'invoke' | 'ok' | 'fail' | 'info'; f: 'txn' | 'read'; key: number[]; value: unknown; index: number }

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    seed: { type: 'string' }, index: { type: 'string' }, layout: { type: 'string' }, events: { type: 'string' }, faults: { type: 'string' },
  }, 1);
  if (values.help) return (console.log(HELP), 0);
  const { config, events } = source(values, positionals[0]);
  const engine = new ModelEngine(config);
  const ops: Op[] = [];
  const open = new Map<string, Op>();
  let txns = 0;
  let reads = 0;
  const emit = (op: Omit<Op, 'index'>) => ops.push({ ...op, index: ops.length });
  for (const e of [...events, ...livenessPhase(config)]) {
    if (e.type === 'txn') {
      const key = e.mtrs.flat();
      const op = { process: 0, type: 'invoke' as const, f: 'txn' as const, key, value: null };
      emit(op);
      open.set(`t${txns++}`, { ...op, index: 0 });
    } else if (e.type === 'read' || e.type === 'readReplica') {
      const process = e.type === 'read' ? 0 : `replica#${e.replica}`;
      emit({ process, type: 'invoke', f: 'read', key: [...e.pages], value: null });
      open.set(`r${reads++}`, { process, type: 'invoke', f: 'read', key: [...e.pages], value: null, index: 0 });
    }
    for (const o of engine.apply(e)) complete(o, open, emit);
  }
  for (const op of open.values()) emit({ ...op, type: 'info', value: null });
  for (const op of ops) console.log(JSON.stringify(op));
  return 0;
}

/** The events to export: a counterexample file's, or a generated history's. */
function source(values: Values, file: string | undefined): { config: Config; events: readonly Event[] } {
  const generated = ['seed', 'index', 'layout', 'events', 'faults'].filter((k) => values[k] !== undefined);
  if (file !== undefined) {
    if (generated.length > 0) throw new UsageError(`--${generated[0]} is for a generated history; give either FILE or --seed`);
    const { c } = counterexampleFile(file);
    return { config: configOf(c), events: c.events };
  }
  if (values.seed === undefined) {
    if (generated.length > 0) throw new UsageError(`--${generated[0]} needs --seed N (which generated history)`);
    throw new UsageError('a counterexample FILE or --seed N is required');
  }
  const seed = count('--seed', values.seed, 1);
  const index = count('--index', values.index, 0);
  if (index > 100_000) throw new UsageError(`--index: ${index} is more than 100000`);
  const layout = (values.layout as string | undefined) ?? 'uniform';
  if (layout !== 'uniform' && layout !== 'fullTail') throw new UsageError(`--layout: '${layout}' is not uniform or fullTail`);
  const history = { maxEvents: count('--events', values.events, 80), faults: parseFaults(values.faults) };
  const drawn = fc.sample(historyArb(history), { seed: seed | 0, numRuns: index + 1 })[index]!;
  return { config: configFor(layout), events: drawn.events };
}

function complete(o: Observation, open: Map<string, Op>, emit: (op: Omit<Op, 'index'>) => void): void {
  const done = (id: string, type: Op['type'], value: unknown) => {
    const op = open.get(id);
    if (op === undefined) return;
    open.delete(id);
    emit({ process: op.process, type, f: op.f, key: op.key, value });
  };
  if (o.kind === 'committed') done(`t${o.txn}`, 'ok', { commitLsn: o.commitLsn });
  else if (o.kind === 'refused') done(`t${o.txn}`, 'fail', { reason: o.reason });
  else if (o.kind === 'readOk') done(`r${o.read}`, 'ok', o.values.map((v) => [v.page, v.value]));
  else if (o.kind === 'readRefused') done(`r${o.read}`, 'fail', { reason: o.reason });
}
