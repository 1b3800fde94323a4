// aurora-harness export-history FILE: the client operations of a counterexample as a Jepsen-style
// history, one JSON object per line: { process, type: invoke|ok|fail|info, f, key, value, index }.
// Transactions are process 0 (the writer's clients); reads at a replica are that replica's process.

import type { Observation } from '../../model/types.js';
import { ModelEngine } from '../../model/engine.js';
import { livenessPhase } from '../drills.js';
import { configOf } from '../shrinks.js';
import { counterexampleFile, parse } from './common.js';

export const HELP = `usage: aurora-harness export-history FILE

Prints the client operations of a counterexample (its events and the liveness phase) as JSON
lines for external consistency checkers: process, type (invoke, ok, fail, info), f (txn, read),
key (the pages), value (the writes or the values read), index.

exit codes: 0 printed, 2 bad input`;

interface Op { process: number | string; type: 'invoke' | 'ok' | 'fail' | 'info'; f: 'txn' | 'read'; key: number[]; value: unknown; index: number }

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, 1);
  if (values.help) return (console.log(HELP), 0);
  const { c } = counterexampleFile(positionals[0]);
  const config = configOf(c);
  const engine = new ModelEngine(config);
  const ops: Op[] = [];
  const open = new Map<string, Op>();
  let txns = 0;
  let reads = 0;
  const emit = (op: Omit<Op, 'index'>) => ops.push({ ...op, index: ops.length });
  for (const e of [...c.events, ...livenessPhase(config)]) {
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
