// Guarantees about what one segment's log and the writer's view of it look like. Added with the
// mutant self-test (properties/mutants.ts): storage that persists a record twice, a writer whose
// view of a segment's SCL went back on a reordered ack, and a replica whose VDL went back on a
// reordered VDL update broke no other invariant.

import type { Invariant, StepView } from '../invariant.js';
import type { WriterUp } from '../../model/state.js';
import { STORAGE_NODES } from '../../model/types.js';
import { recordAnnulled } from '../../model/log.js';

/**
 * A segment's log is a set of LSNs in order: at most one record per LSN, ascending, and none that
 * its own truncation ranges annul. Checked on the segments that changed in the step.
 */
export const segmentLog: Invariant = {
  id: 'segment-log', tag: 'always',
  title: 'A segment holds each LSN at most once, in LSN order, and nothing its truncation ranges annul',
  why: 'SCL, gossip and recovery read a segment\'s log as a set of LSNs: a duplicate or annulled record makes them count what is not there.',
  check(v) {
    for (const n of STORAGE_NODES) {
      const before = v.prev.storage[n]!.durable.segments;
      const after = v.next.storage[n]!.durable.segments;
      if (before === after) continue;
      for (let pg = 0; pg < after.length; pg++) {
        const seg = after[pg]!;
        if (seg === before[pg]) continue;
        for (let i = 0; i < seg.records.length; i++) {
          const r = seg.records[i]!;
          if (i > 0 && r.lsn <= seg.records[i - 1]!.lsn) return `${n} PG ${pg} holds record ${r.lsn} after ${seg.records[i - 1]!.lsn} (twice, or out of order)`;
          if (recordAnnulled(seg.ranges, r)) return `${n} PG ${pg} holds record ${r.lsn} of epoch ${r.epoch}, annulled by its own truncation ranges`;
        }
      }
    }
    return null;
  },
};

/**
 * The writer's view of each segment's SCL (the highest reported in its epoch by the segment's
 * incarnation it has heard of) never goes back: a delayed acknowledgement reports an older SCL and
 * must not replace a newer one. It may only when the writer heard of a newer incarnation of that
 * segment (a reused spare, a new disk), whose SCL starts over. The incarnations heard of never go
 * back either. Part of `watermark-monotonic`.
 */
export function writerSclBackwards(a: WriterUp, b: WriterUp): string | null {
  for (const [pg, before] of a.incarnations.entries()) {
    const after = b.incarnations[pg];
    if (before === undefined || after === before) continue;
    for (const [node, inc] of Object.entries(before)) {
      const now = after?.[node];
      if (now === undefined || now < inc) return `the writer's incarnation of ${node} PG ${pg} went ${inc} -> ${now ?? 'none'} within epoch ${b.epoch}`;
    }
  }
  for (const [pg, before] of a.scl.entries()) {
    const after = b.scl[pg];
    if (before === undefined || after === before) continue;
    for (const [node, scl] of Object.entries(before)) {
      const now = after?.[node];
      const same = (a.incarnations[pg]?.[node] ?? 0) === (b.incarnations[pg]?.[node] ?? 0);
      if (same && now !== undefined && now < scl) return `the writer's SCL of ${node} PG ${pg} went ${scl} -> ${now} within epoch ${b.epoch}`;
    }
  }
  return null;
}

/**
 * A replica's VDL (its read point) never goes back within the writer epoch it follows: a delayed
 * VDL update is older news, not a new read point. Part of `replica-monotonic-reads`, which
 * otherwise judges only reads that completed.
 */
export function replicaVdlBackwards(v: StepView): string | null {
  if (v.prev.compute === v.next.compute) return null; // every node unchanged
  for (const [node, after] of Object.entries(v.next.compute)) {
    const before = v.prev.compute[node];
    if (after === before || before?.status !== 'replica' || after.status !== 'replica') continue;
    if (before.epoch === after.epoch && before.vdl !== null && after.vdl !== null && after.vdl < before.vdl) {
      return `${node} moved its VDL back from ${before.vdl} to ${after.vdl} within epoch ${after.epoch}`;
    }
  }
  return null;
}
