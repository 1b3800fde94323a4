// aurora-harness bench: the issue-4 benchmark (properties/bench.ts), the same run as npm run bench.
// Loaded only when asked for: the benchmark module sets up a forced GC when it loads.

import { UsageError } from './common.js';

export const HELP = `usage: aurora-harness bench [--json] [--quick] [--full] [--only ID,ID] [--repeat N] [--forks N]
       aurora-harness bench --explore [--runs N] [--steady M] [--breakdown N] [--seed N]
                                      [--workers 1,2] [--rounds N] [--json]
       aurora-harness bench --shape [--txns N] [--repeat N | --instructions] [--quick] [--json]
       aurora-harness bench --reach [--runs N] [--seed N] [--events N] [--layout L] [--json]

A steady fault-free workload through the model and impl/ at several sizes, with two floors (the
same messages through the world's network queue and through plain arrays, no protocol logic);
records/s, ns/record, heap, page faults, messages per record, and the issue-4 targets (met or
MISS).

  --json        print one JSON object { measurements, ratios } on stdout (progress on stderr)
  --quick       small sizes (a smoke run of a few seconds)
  --full        the 13,108-PG run at 10^5 records (default 10^4)
  --only a,b    run only the named measurements: model-1e3, model-1e4, impl-1e4, impl-1e5,
                impl-1e6, floor-1e6, floor-bare-1e6, impl-1e5-pg1, impl-1e5-pg64, impl-pg13108,
                impl-1e5-pg64-local, impl-pg13108-local (with --quick: impl-pg512, impl-pg512-local),
                impl-memory-long (one engine through 3x10^6 records with a read every 1,000
                txns, untimed: heap after GC and array buffers at each 10^6; --quick: 3x10^4)
  --repeat N    measure every row N times, each after its own warm-up, and report the median
                run (default 3; 1 with --quick)
  --forks N     measure every row in N fresh processes, one after another, and report the
                median process (default 1: every row in this one), so no one process's JIT and
                allocator state decides a row
  --explore     instead, the exploration benchmark (issue 5): explore's histories/s on 1 and 2
                threads, each run a child process, rounds alternating, and the machine's own
                scaling; see aurora-harness bench --explore --help
  --shape       instead, the cost shape of a txn (impl and the model): what a record and what a
                PG touched cost, fitted from txns of 2, 4 and 8 records at 1 PG and of 4 records
                over 1, 2 and 3 PGs at 64 PGs; see aurora-harness bench --shape --help
  --reach       instead, how deep histories get: the share of histories reaching a few deep
                protocol situations, blind and coverage-guided (explore --guided); see
                aurora-harness bench --reach --help
  -h, --help    this text

A machine probe (SHA-256 of 16 MiB, in native code) is timed before each row and at the end; the
report says when it moved by more than 1.3x during the run. Each row counts the page faults its
timed run took (fresh memory touched), and the run times one fault.

Runs the compiled dist/ code when it is newer than the sources (npm run build), else the
TypeScript through tsx, which is slower; the first line says which.
exit codes: 0 the run completed (targets are reported, not asserted), 1 the run failed, 2 bad input`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--explore')) return guarded(async () => (await import('../bench-explore.js')).main(argv));
  if (argv.includes('--shape')) return guarded(async () => (await import('../bench-shape.js')).main(argv));
  if (argv.includes('--reach')) return guarded(async () => (await import('../bench-reach.js')).main(argv));
  if (argv.includes('--help') || argv.includes('-h')) return (console.log(HELP), 0);
  return guarded(async () => (await import('../bench.js')).main(argv));
}

/** A benchmark's run: bad input goes up (one line, exit 2), a failed run is its message and exit 1. */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    console.error((e as Error).message);
    return 1;
  }
}
