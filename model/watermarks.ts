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

import type { WriterUp } from './state.js';
import type { Config, Lsn, Membership, NodeId, RedoRecord } from './types.js';
import { bug, membersOf, quorumsFor } from './types.js';
import { wins } from './quorum.js';

export interface Watermarks {
  readonly pgcl: readonly Lsn[];
  readonly vcl: Lsn;
  readonly vdl: Lsn;
  readonly allocated: Lsn;
}

/** During a membership change the write quorum is joint, so PGCL needs every set's quorum. */
export function pgCompleteLsn(config: Config, membership: Membership, scl: Readonly<Record<NodeId, Lsn>>): Lsn {
  const pair = quorumsFor(config, membership);
  const write = bug(config, 'pgcl-read-quorum') ? pair.read : pair.write;
  const members = membersOf(membership);
  const candidates = [...new Set(members.map((m) => scl[m] ?? -1))].sort((a, b) => b - a);
  for (const lsn of candidates) {
    if (lsn >= 0 && wins(write, members.filter((m) => (scl[m] ?? -1) >= lsn))) return lsn;
  }
  return -1;
}

export function volumeCompleteLsn(base: Lsn, records: readonly RedoRecord[], pgcl: readonly Lsn[]): Lsn {
  let vcl = base;
  for (const r of records) {
    if (r.lsn > pgcl[r.pg]!) break;
    vcl = r.lsn;
  }
  return vcl;
}

export function volumeDurableLsn(base: Lsn, records: readonly RedoRecord[], vcl: Lsn): Lsn {
  let vdl = base;
  for (const r of records) if (r.cpl && r.lsn <= vcl) vdl = r.lsn;
  return vdl;
}

export function watermarks(config: Config, pgs: readonly Membership[], w: WriterUp): Watermarks {
  const pgcl = pgs.map((m, pg) => Math.max(w.reached[pg] ?? -1, pgCompleteLsn(config, m, w.scl[pg] ?? {})));
  let vcl = volumeCompleteLsn(w.base, w.records, pgcl);
  if (bug(config, 'vcl-skips-gaps')) for (const r of w.records) if (r.lsn <= pgcl[r.pg]!) vcl = r.lsn;
  const vdl = bug(config, 'vdl-ignores-cpl') ? vcl : volumeDurableLsn(w.base, w.records, vcl);
  const allocated = w.records.length === 0 ? w.base : w.records[w.records.length - 1]!.lsn;
  return { pgcl, vcl, vdl, allocated };
}

/** The last LSN of a PG at or below a point: a segment covers a read point when its SCL reaches it. */
export function pgFloor(w: WriterUp, pg: number, point: Lsn): Lsn {
  let floor = w.plan.lastPg[pg] ?? 0;
  for (const r of w.records) if (r.pg === pg && r.lsn <= point) floor = r.lsn;
  return floor;
}
