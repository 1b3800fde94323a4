// aurora-harness replay FILE: the file's events through model and impl in lockstep, every
// invariant on, without fast-check. Strict: it says so when the outcome differs from the recorded
// one (the violation, or the observations). --rewrite (or REWRITE=1) records the new outcome.

import { configOf, replay, rewrite } from '../shrinks.js';
import { counterexampleFile, parse } from './common.js';

export const HELP = `usage: aurora-harness replay FILE [--rewrite]

Replays a counterexample (shrinks/*.json): its events, then the liveness phase, through the model
and impl in lockstep with every invariant on. Compares the outcome with the one recorded in the
file: the violated invariant (or none) and the observations, step by step.

options:
  --rewrite       record the new outcome in the file (same as REWRITE=1); review the diff
  -h, --help      this text

exit codes: 0 the recorded outcome, 1 a different outcome, 2 bad input`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { rewrite: { type: 'boolean' } }, 1);
  if (values.help) return (console.log(HELP), 0);
  const { file, c } = counterexampleFile(positionals[0]);
  if (values.rewrite === true || process.env.REWRITE === '1') {
    rewrite(file);
    console.log(`${file}: outcome recorded anew; review the diff before committing it`);
    return 0;
  }
  const r = replay(c);
  const config = configOf(c);
  console.log(`${file}: ${c.title} (${c.events.length} events, ${config.layout}, ${config.pgCount} PGs)`);
  console.log(`  recorded: ${c.violation ? `violates ${c.violation}` : 'every invariant holds'}`);
  console.log(`  now:      ${r.violation ? `violates ${r.violation}: ${r.message}` : 'every invariant holds'}`);
  if (r.matches) {
    console.log('  outcome as recorded');
    return 0;
  }
  const first = r.actual.findIndex((line, i) => line !== c.expected[i]);
  const at = first < 0 ? Math.min(r.actual.length, c.expected.length) : first;
  if (at < Math.max(r.actual.length, c.expected.length)) {
    console.log(`  observations differ from line ${at}:`);
    console.log(`    recorded: ${c.expected[at] ?? '(nothing)'}`);
    console.log(`    now:      ${r.actual[at] ?? '(nothing)'}`);
  }
  console.log('  OUTCOME CHANGED (aurora-harness replay --rewrite records it, once understood)');
  return 1;
}
