// aurora-harness: the command-line tool. One file per command in properties/commands/.
// Exit codes: 0 all held, 1 a violation (or a changed outcome), 2 bad input (one line, no trace).

import { UsageError } from './commands/common.js';
import * as explore from './commands/explore.js';
import * as replay from './commands/replay.js';
import * as show from './commands/show.js';
import * as exportHistory from './commands/export-history.js';
import * as mutants from './commands/mutants.js';
import * as bench from './commands/bench.js';

const COMMANDS: Record<string, { run(argv: string[]): Promise<number>; HELP: string }> = {
  explore, replay, show, 'export-history': exportHistory, mutants, bench,
};

const HELP = `usage: aurora-harness COMMAND [options]   (aurora-harness COMMAND --help for each)

commands:
  explore          generated histories, model and impl in lockstep, every invariant; a summary
  replay FILE|DIR  replay counterexamples (a directory: every one in it, e.g. shrinks/) against their recorded outcomes
  show FILE        a counterexample as a timeline (--html OUT for a self-contained page)
  export-history   a counterexample's client operations as a Jepsen-style history (JSON lines)
  mutants          the mutant self-test: each catalogued bug switched on, explored until caught
  bench            the throughput benchmark: model and impl records/s, cost per record, heap

exit codes: 0 all held, 1 a violation or a changed outcome, 2 bad input`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`aurora-harness: unknown command '${name}' (see --help)`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`aurora-harness ${name}: ${e.message} (see aurora-harness ${name} --help)`);
      return 2;
    }
    throw e;
  }
}
