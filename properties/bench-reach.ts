// aurora-harness bench --reach: how deep the search's histories get, blind and coverage-guided,
// over the same number of histories (properties/reach.ts).

import { UsageError, count, parse, positive } from './commands/common.js';
import { configFor } from './commands/explore.js';
import { SITUATIONS, measureReach, type Reach } from './reach.js';
import type { Config } from '../model/types.js';

export const HELP = `usage: aurora-harness bench --reach [--runs N] [--seed N] [--events N] [--layout L] [--json]

How deep histories get: the share of histories whose body (the generated events; the liveness
phase, which always recovers and settles, left out) reaches each of a few protocol situations
that the bugs long explorations found needed: a recovery completes; a segment coalesces; the
writer crashes or is failed over while sealing, and a later recovery completes; a recovery
completes while a membership change is in flight; a PG has three membership sets and a coalesced
member.
The blind generator's histories (explore) and the coverage-guided search's (explore --guided),
the same number of each, through the model alone.

  --runs N      histories of each (default 2000)
  --seed N      seed of both (default 1)
  --events N    raw events drawn per history (default 240, as long explorations draw)
  --layout L    uniform or fullTail (default fullTail)
  --json        print { seed, runs, events, layout, blind, guided } on stdout
  -h, --help    this text

exit codes: 0 the run completed, 2 bad input`;

const pct = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(2)}%`;

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parse([...argv], {
    reach: { type: 'boolean' }, json: { type: 'boolean' }, runs: { type: 'string' }, seed: { type: 'string' },
    events: { type: 'string' }, layout: { type: 'string' },
  });
  if (values.help === true) return (console.log(HELP), 0);
  const runs = positive('--runs', values.runs, 2000);
  const seed = count('--seed', values.seed, 1);
  const events = positive('--events', values.events, 240);
  const layout = (values.layout as string | undefined) ?? 'fullTail';
  if (layout !== 'uniform' && layout !== 'fullTail') throw new UsageError(`--layout: '${layout}' is not uniform or fullTail`);
  const config = configFor(layout as Config['layout']);
  const json = values.json === true;
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  log(`bench --reach: ${runs} histories of ${events} raw events each way, layout ${layout}, seed ${seed} (the model alone, the histories' bodies)`);
  const timed = (mode: 'blind' | 'guided'): { r: Reach; ms: number } => {
    const t = performance.now();
    const r = measureReach(config, mode, seed, runs, { maxEvents: events });
    return { r, ms: performance.now() - t };
  };
  const blind = timed('blind');
  const guided = timed('guided');
  if (json) {
    console.log(JSON.stringify({ seed, runs, events, layout, blind: blind.r, guided: guided.r }));
    return 0;
  }
  const rows = SITUATIONS.map((x) => [x.id, pct(blind.r.reached[x.id], runs), pct(guided.r.reached[x.id], runs),
    blind.r.reached[x.id] === 0 ? '-' : `${(guided.r.reached[x.id] / blind.r.reached[x.id]).toFixed(1)}x`]);
  rows.push(['writer active after a recovery (steps)', pct(blind.r.activeAfterRecovery, blind.r.steps), pct(guided.r.activeAfterRecovery, guided.r.steps), '']);
  const head = ['situation (share of histories)', 'blind', 'guided', 'guided/blind'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const x of SITUATIONS) console.log(`  ${x.id}: ${x.what}`);
  const g = guided.r.guide!;
  console.log(`guided: ${g.fresh} of ${g.histories} histories fresh, the rest grown from kept prefixes; ${g.corpus} kept, ${g.phases} phases reached`);
  console.log(`time: blind ${(blind.ms / 1000).toFixed(1)} s, guided ${(guided.ms / 1000).toFixed(1)} s (${Math.round(blind.r.steps / (blind.ms / 1000))} and ${Math.round(guided.r.steps / (guided.ms / 1000))} steps/s)`);
  return 0;
}
