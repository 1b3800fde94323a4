// The writer's watermarks, recomputed from scratch from what it knows (the model is the dumb twin;
// impl/ advances them incrementally).
//
//   SCL   per segment: reported in every acknowledgement (the writer keeps the highest per epoch).
//   PGCL  per PG: the highest LSN such that a write quorum of the PG's segments report SCL >= it
//         (reported at some point in this epoch: once reached, it stays reached).
//   VCL   the highest LSN such that every allocated record at or below it has reached a write
//         quorum of its PG, i.e. lies at or below its PG's PGCL. Not min(PGCL): with PG1 complete
//         to 103 (its next record, 105, not yet on a quorum) and PG2 complete to 104, VCL is 104.
//   VDL   the highest consistency point (CPL: the end of an MTR, or the base recovery left) at or
//         below VCL.
//
// The writer's records are in LSN order, so "the first record above its PG's PGCL" and "the last
// CPL at or below VCL" are found by binary search, over the log and over each PG's part of it
// (`recordsByPg`, a pure function of the log, memoized per log value).

import type { WriterUp } from './state.js';
import type { Config, Lsn, Membership, NodeId, Quorum, RedoRecord } from './types.js';
import { bug, membersOf, quorumsFor } from './types.js';
import { wins } from './quorum.js';
import { firstAbove } from './log.js';

export interface Watermarks {
  readonly pgcl: readonly Lsn[];
  readonly vcl: Lsn;
  readonly vdl: Lsn;
  readonly allocated: Lsn;
}

/** During a membership change the write quorum is joint, so PGCL needs every set's quorum. */
export function pgCompleteLsn(config: Config, membership: Membership, scl: Readonly<Record<NodeId, Lsn>>): Lsn {
  // A PG's SCLs are one frozen value, replaced whole when one moves: its last answer is kept.
  const last = bySclMemo.get(scl);
  if (last !== undefined && last.config === config && last.membership === membership) return last.pgcl;
  const pgcl = pgclOfVector(config, membership, scl);
  if (Object.isFrozen(scl)) bySclMemo.set(scl, { config, membership, pgcl });
  return pgcl;
}

const bySclMemo = new WeakMap<object, { config: Config; membership: Membership; pgcl: Lsn }>();

function pgclOfVector(config: Config, membership: Membership, scl: Readonly<Record<NodeId, Lsn>>): Lsn {
  const members = membersOf(membership);
  const reported = members.map((m) => scl[m] ?? -1);
  const pair = quorumsFor(config, membership);
  return highestWinning(bug(config, 'pgcl-read-quorum') ? pair.read : pair.write, members, reported);
}

/** The highest reported SCL that a write quorum of members has reached (-1: none). */
function highestWinning(write: Quorum, members: readonly NodeId[], reported: readonly Lsn[]): Lsn {
  const candidates = [...new Set(reported)].sort((a, b) => b - a);
  for (const lsn of candidates) {
    if (lsn >= 0 && wins(write, members.filter((_, i) => reported[i]! >= lsn))) return lsn;
  }
  return -1;
}

const byPgMemo = new WeakMap<readonly RedoRecord[], readonly (readonly RedoRecord[])[]>();

/** Per PG, its records, in the log's (LSN) order. Memoized per frozen log: a log is a value. */
export function recordsByPg(records: readonly RedoRecord[]): readonly (readonly RedoRecord[])[] {
  const known = byPgMemo.get(records);
  if (known !== undefined) return known;
  const out: RedoRecord[][] = [];
  for (const r of records) (out[r.pg] ??= []).push(r);
  if (Object.isFrozen(records)) byPgMemo.set(records, out);
  return out;
}

/** The records of `pg` above `lsn`, LSN order. */
export function pgRecordsAbove(records: readonly RedoRecord[], pg: number, lsn: Lsn): RedoRecord[] {
  const mine = recordsByPg(records)[pg] ?? [];
  return mine.slice(firstAbove(mine, lsn));
}

/** VCL: the LSN of the record just before the first one above its PG's PGCL (the base: none before it). */
export function volumeCompleteLsn(base: Lsn, records: readonly RedoRecord[], pgcl: readonly Lsn[]): Lsn {
  let stop: Lsn = Infinity;
  recordsByPg(records).forEach((mine, pg) => {
    const limit = pgcl[pg];
    if (mine === undefined || limit === undefined) return;
    const i = firstAbove(mine, limit);
    if (i < mine.length) stop = Math.min(stop, mine[i]!.lsn);
  });
  const end = stop === Infinity ? records.length : firstAbove(records, stop - 1);
  return end === 0 ? base : records[end - 1]!.lsn;
}

/** VDL: the last CPL at or below VCL (the base: none). */
export function volumeDurableLsn(base: Lsn, records: readonly RedoRecord[], vcl: Lsn): Lsn {
  for (let i = firstAbove(records, vcl) - 1; i >= 0; i--) if (records[i]!.cpl) return records[i]!.lsn;
  return base;
}

const memo = new WeakMap<readonly RedoRecord[], WatermarkInputs & { readonly marks: Watermarks }>();

interface WatermarkInputs {
  readonly config: Config;
  readonly pgs: readonly Membership[];
  readonly released: Lsn;
  readonly scl: WriterUp['scl'];
  readonly reached: WriterUp['reached'];
}

/**
 * A pure function of the writer's log, SCLs, reached PGCLs and base (and the memberships):
 * memoized on those frozen values, so a step that asks again with nothing changed gets the same
 * answer without recomputing it.
 */
export function watermarks(config: Config, pgs: readonly Membership[], w: WriterUp): Watermarks {
  const records = w.records;
  const reached = w.reached;
  const scl = w.scl;
  const released = w.released;
  const known = memo.get(records);
  if (known !== undefined && known.config === config && known.pgs === pgs && known.released === released && known.scl === scl && known.reached === reached) {
    return known.marks;
  }
  const pgcl = pgs.map((m, pg) => Math.max(reached[pg] ?? -1, pgCompleteLsn(config, m, scl[pg] ?? {})));
  // The released prefix lies under every PGCL reached: the walks start after it.
  let vcl = volumeCompleteLsn(released, records, pgcl);
  if (bug(config, 'vcl-skips-gaps')) for (const r of records) if (r.lsn <= pgcl[r.pg]!) vcl = r.lsn;
  const vdl = bug(config, 'vdl-ignores-cpl') ? vcl : volumeDurableLsn(w.releasedCpl, records, vcl);
  const allocated = records.length === 0 ? released : records[records.length - 1]!.lsn;
  const marks = { pgcl, vcl, vdl, allocated };
  if (Object.isFrozen(records) && Object.isFrozen(scl) && Object.isFrozen(reached)) memo.set(records, { config, pgs, released, scl, reached, marks });
  return marks;
}

/**
 * The last LSN of a PG at or below a point: a segment covers a read point when its SCL reaches it.
 * Asked at or above the released point (the VDL, a read point in use, the next LSN), where the
 * PG's last released LSN is the answer when the log holds none of the PG's at or below the point
 * (properties' writer-release invariant checks no read in use is below it).
 */
export function pgFloor(w: WriterUp, pg: number, point: Lsn): Lsn {
  const mine = recordsByPg(w.records)[pg] ?? [];
  const i = firstAbove(mine, point);
  return i > 0 ? mine[i - 1]!.lsn : (w.releasedLastPg[pg] ?? 0);
}
