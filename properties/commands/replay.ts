// aurora-harness replay FILE|DIR...: each file's events through model and impl in lockstep, every
// invariant on, without fast-check. Strict: it says so when the outcome differs from the recorded
// one (the violation, or the observations). --rewrite (or REWRITE=1) records the new outcome.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configOf, replay, rewrite, type Counterexample } from '../shrinks.js';
import { UsageError, counterexampleFile, parse } from './common.js';

export const HELP = `usage: aurora-harness replay FILE|DIR... [--rewrite]

Replays counterexamples (shrinks/*.json): each one's events, then the liveness phase, through the
model and impl in lockstep with every invariant on. Compares each outcome with the one recorded in
its file: the violated invariant (or none) and the observations, step by step. A directory
stands for the .json files in it and in its subdirectories (aurora-harness replay shrinks/ replays
every kept counterexample, the mutants' too, as npm test does).

options:
  --rewrite       record the new outcome in each file (same as REWRITE=1); review the diff
  -h, --help      this text

exit codes: 0 every outcome as recorded, 1 a different outcome, 2 bad input`;

/** The counterexample files named: a file as it is, a directory's .json files (sorted, subdirectories after). */
export function filesOf(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new UsageError('a counterexample FILE (or a directory of them) is required');
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) if (e.isFile() && e.name.endsWith('.json')) out.push(join(dir, e.name));
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      const before = out.length;
      walk(p);
      if (out.length === before) throw new UsageError(`${p}: no .json counterexample in it`);
    } else out.push(p);
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { rewrite: { type: 'boolean' } }, Infinity);
  if (values.help) return (console.log(HELP), 0);
  // Every file is read and checked before any is replayed or rewritten: bad input changes nothing.
  const loaded = filesOf(positionals).map((f) => counterexampleFile(f));
  const rewriting = values.rewrite === true || process.env.REWRITE === '1';
  let changed = 0;
  for (const { file, c } of loaded) {
    if (rewriting) {
      rewrite(file);
      console.log(`${file}: outcome recorded anew; review the diff before committing it`);
    } else if (!replayOne(file, c)) changed++;
  }
  if (loaded.length > 1 && !rewriting) {
    console.log(`\n${loaded.length} counterexamples replayed: ${loaded.length - changed} as recorded${changed > 0 ? `, ${changed} CHANGED` : ''}`);
  }
  return changed === 0 ? 0 : 1;
}

/** One counterexample replayed and its outcome printed: true when it is as recorded. */
function replayOne(file: string, c: Counterexample): boolean {
  const r = replay(c);
  const config = configOf(c);
  console.log(`${file}: ${c.title} (${c.events.length} events, ${config.layout}, ${config.pgCount} PGs)`);
  console.log(`  recorded: ${c.violation ? `violates ${c.violation}` : 'every invariant holds'}`);
  console.log(`  now:      ${r.violation ? `violates ${r.violation}: ${r.message}` : 'every invariant holds'}`);
  if (r.matches) {
    console.log('  outcome as recorded');
    return true;
  }
  const first = r.actual.findIndex((line, i) => line !== c.expected[i]);
  const at = first < 0 ? Math.min(r.actual.length, c.expected.length) : first;
  if (at < Math.max(r.actual.length, c.expected.length)) {
    console.log(`  observations differ from line ${at}:`);
    console.log(`    recorded: ${c.expected[at] ?? '(nothing)'}`);
    console.log(`    now:      ${r.actual[at] ?? '(nothing)'}`);
  }
  console.log('  OUTCOME CHANGED (aurora-harness replay --rewrite records it, once understood)');
  return false;
}
