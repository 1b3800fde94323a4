// The mutant catalog: realistic bugs, each switched on by configuration (`Config.bugs`, never by
// editing code), each standing for a mistake a storage engineer could make. `aurora-harness
// mutants` explores with each one on until an invariant catches it; `npm test` replays every
// mutant's shrunk counterexample (shrinks/mutants/) and re-runs a bounded, deterministic search.
//
// Where a bug lives decides what must catch it:
//   'model+impl'  the same mistake in the specification and the implementation (a one-line guard in
//                 each, or in the shared vocabulary): an invariant must catch it on the model's own
//                 run, since lockstep cannot (both agree on the wrong behaviour);
//   'impl'        only the implementation is wrong: lockstep disagreement (`agreement`,
//                 `agreement-state`) must catch it.

import type { BugName, Config } from '../model/types.js';
import { BUG_NAMES, DEFAULT_CONFIG } from '../model/types.js';
import type { HistoryOptions } from './history.js';

export const FAMILIES = [
  'quorum', 'watermark', 'commit', 'read-routing', 'replica', 'recovery', 'fencing', 'gossip-hydration',
  'membership', 'gc', 'lal', 'duplicate-reorder', 'release',
] as const;
export type Family = (typeof FAMILIES)[number];

export interface Mutant {
  readonly name: BugName;
  readonly family: Family;
  readonly where: 'model+impl' | 'impl';
  /** The real-world mistake it stands for, in one line. */
  readonly mistake: string;
  /** Overrides of DEFAULT_CONFIG the bug needs to matter (a layout, say); `bugs` is added. */
  readonly config?: Partial<Config>;
  /**
   * A historical mutant: a bug of this protocol that an exploration found and that was fixed,
   * reintroduced. `kept` is its original counterexample in shrinks/ (which holds on the fixed
   * protocol and must violate its recorded invariant again with this bug on: mutants.test.ts),
   * `foundBy` what found it, `fixedIn` the commit that fixed it.
   */
  readonly historical?: { readonly kept: string; readonly foundBy: string; readonly fixedIn: string };
  /** The generator's options for this mutant's search (default: explore's, 80 raw events). */
  readonly search?: HistoryOptions;
}

/** Histories npm test's bounded search may run per mutant (mutants-search.test.ts). */
export const TEST_HISTORIES = 3;

const FULL_TAIL: Partial<Config> = { pgCount: 3, layout: 'fullTail', lal: 16 };
/** The historical mutants' searches: the long histories that found the real bugs. */
const LONG: HistoryOptions = { maxEvents: 240 };

export const MUTANTS: readonly Mutant[] = [
  { name: 'write-quorum-3of6', family: 'quorum', where: 'model+impl',
    mistake: 'Write quorum lowered to 3/6 to cut commit latency: a read quorum no longer meets every write quorum' },
  { name: 'fulltail-read-without-full', family: 'quorum', where: 'model+impl', config: FULL_TAIL,
    mistake: 'Full/tail read quorum counts 3/6 without requiring a full segment: recovery may read only tail segments' },
  { name: 'joint-write-newest-set-only', family: 'membership', where: 'model+impl',
    mistake: 'During a membership change, writes need a quorum of the new set only, not of the old and the new' },
  { name: 'membership-epoch-unchecked', family: 'membership', where: 'model+impl',
    mistake: 'Storage does not refuse requests of an older membership epoch (an old configuration keeps writing)' },
  { name: 'scl-highest-held', family: 'watermark', where: 'model+impl',
    mistake: 'A segment reports as its SCL the highest LSN it holds, not the end of its complete backlink chain' },
  { name: 'pgcl-read-quorum', family: 'watermark', where: 'model+impl',
    mistake: 'PGCL is computed over the read quorum (3/6) instead of the write quorum (4/6)' },
  { name: 'vcl-skips-gaps', family: 'watermark', where: 'model+impl',
    mistake: 'VCL advances past a record of another PG that has not reached its write quorum yet' },
  { name: 'vdl-ignores-cpl', family: 'watermark', where: 'model+impl',
    mistake: 'VDL is set to VCL instead of the last consistency point (MTR end) at or below it' },
  { name: 'vcl-prefix-off-by-one', family: 'watermark', where: 'impl',
    mistake: 'Off-by-one in the incremental VCL: a record exactly at its PG\'s PGCL is not counted complete yet' },
  { name: 'commit-on-own-pg', family: 'commit', where: 'model+impl',
    mistake: 'A commit is acknowledged once its commit record\'s PG is durable, without waiting for VDL' },
  { name: 'read-any-page-server', family: 'read-routing', where: 'model+impl',
    mistake: 'A read goes to any page server of the PG, not one whose SCL covers the read point' },
  { name: 'hedge-timer-late', family: 'read-routing', where: 'impl',
    mistake: 'Off-by-one in the hedge timer: an unanswered read is hedged one tick later than hedgeTicks' },
  { name: 'replica-applies-on-arrival', family: 'replica', where: 'model+impl',
    mistake: 'A replica applies redo to its cached pages when it arrives, not once the VDL it knows covers it' },
  { name: 'replica-applies-across-gap', family: 'replica', where: 'impl',
    mistake: 'A replica applies what it buffered up to the new VDL even when a lost stream message left a gap' },
  { name: 'recovery-below-read-quorum', family: 'recovery', where: 'model+impl',
    mistake: 'Recovery plans as soon as two segments of each PG answered, below the read quorum' },
  { name: 'truncation-to-highest-seen', family: 'recovery', where: 'model+impl',
    mistake: 'Recovery truncates only up to the highest LSN its read quorum returned, not VDL + LAL' },
  { name: 'storage-takes-stale-epoch', family: 'fencing', where: 'model+impl',
    mistake: 'Storage checks the volume epoch on recovery and seal requests but not on writes' },
  { name: 'writer-ignores-rejection', family: 'fencing', where: 'impl',
    mistake: 'A writer told by storage that a newer epoch exists keeps going instead of stepping down' },
  { name: 'gossip-sends-above-own-scl', family: 'gossip-hydration', where: 'impl',
    mistake: 'A gossip responder sends only the records above its own SCL, not everything the asking segment is missing' },
  { name: 'writer-keeps-spare-scl', family: 'membership', where: 'model+impl',
    mistake: 'The writer is not told when a spare becomes a replacement, and counts the SCL its node reported as an earlier member' },
  { name: 'gc-base-keeps-pgmrpl', family: 'gc', where: 'model+impl', config: FULL_TAIL,
    mistake: 'A segment adopting a peer\'s coalesced base (seal, gossip) keeps its own lower PGMRPL' },
  { name: 'pgmrpl-ignores-replicas', family: 'gc', where: 'model+impl',
    mistake: 'The writer announces its own lowest read point as PGMRPL, forgetting the replicas\' read points' },
  { name: 'lal-checks-first-lsn', family: 'lal', where: 'model+impl',
    mistake: 'The allocation limit is checked against a transaction\'s first LSN instead of its commit LSN' },
  { name: 'segment-persists-duplicate', family: 'duplicate-reorder', where: 'model+impl',
    mistake: 'Storage persists a record it already holds when a write is retransmitted or duplicated' },
  { name: 'read-response-counted-twice', family: 'duplicate-reorder', where: 'impl',
    mistake: 'A duplicated read response counts again towards the pages a read still waits for' },
  { name: 'scl-ignores-late-predecessor', family: 'duplicate-reorder', where: 'impl',
    mistake: 'The incremental SCL does not wake the records that waited for a late (reordered) predecessor' },
  { name: 'release-ignores-pgmrpl', family: 'release', where: 'model+impl',
    mistake: 'The writer drops a record from its log once every member holds it, without waiting for a PGMRPL at or above its commit' },
  // Historical: bugs of this protocol that long explorations found, reintroduced. Their fixes are
  // in the code; each one's original counterexample is kept in shrinks/ and holds on the fixed
  // protocol. As mutants they keep the invariants that caught them honest, and they measure the
  // search on bugs known to be hard to reach (the rest of the catalog is caught in milliseconds).
  { name: 'replica-restart-keeps-queue', family: 'replica', where: 'model+impl', config: FULL_TAIL, search: LONG,
    mistake: 'A restarted replica takes messages sent to its earlier process, as if its connections outlived it',
    historical: { kept: 'replica-restart-stale-vdl.json', foundBy: 'explore --seed 93 --layout fullTail --events 240, after about 30 minutes', fixedIn: 'c93a8a9' } },
  { name: 'hydration-waits-gc-point', family: 'membership', where: 'model+impl', config: FULL_TAIL, search: LONG,
    mistake: 'A replacement is called whole only once it reaches every whole old member\'s GC point, a volume LSN that no record of the PG may reach',
    historical: { kept: 'stacked-change-behind-gc-point.json', foundBy: 'explore --seed 81 --layout fullTail --events 240, within 25 minutes', fixedIn: '01bc216' } },
  { name: 'change-completes-without-read-quorum', family: 'membership', where: 'model+impl', search: LONG,
    mistake: 'A membership change completes once its replacements caught up with the old members that are up, however few those are',
    historical: { kept: 'replacement-hydrated-from-too-few.json', foundBy: 'explore --seed 20261127 --events 160, after about 107,000 histories', fixedIn: '21e9054' } },
  { name: 'recovery-honours-every-range', family: 'recovery', where: 'model+impl', config: FULL_TAIL, search: LONG,
    mistake: 'Recovery honours every truncation range it reads, even one left on a segment by a recovery interrupted before a later one that never saw it went active',
    historical: { kept: 'interrupted-recovery-range.json', foundBy: 'explore --seed 103 --layout fullTail --events 320, after 31,132 histories (about 10 minutes)', fixedIn: 'cd5d68f' } },
];

const BY_NAME = new Map(MUTANTS.map((m) => [m.name, m] as const));

export function mutantNamed(name: string): Mutant | undefined {
  return BY_NAME.get(name as BugName);
}

/** The configuration a mutant runs under: its overrides, and its bug on. */
export function mutantConfig(m: Mutant): Config {
  return { ...DEFAULT_CONFIG, ...(m.config ?? {}), bugs: [m.name] };
}

/** Every bug name has exactly one catalog entry (checked by the tests). */
export function catalogProblems(): string[] {
  const out: string[] = [];
  for (const name of BUG_NAMES) if (!BY_NAME.has(name)) out.push(`bug ${name} has no catalog entry`);
  if (BY_NAME.size !== MUTANTS.length) out.push('a mutant is listed twice');
  for (const f of FAMILIES) if (!MUTANTS.some((m) => m.family === f)) out.push(`family ${f} has no mutant`);
  return out;
}
