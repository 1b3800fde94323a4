// Guarantees about recovery's quorums, restated with the design's rules (spec.ts). Added with the
// mutant self-test: a recovery that planned from too few segments was caught only when the
// segments it skipped happened to hold an acknowledged commit, which the generator rarely arranges.

import type { Invariant, StepView } from '../invariant.js';
import type { WriterUp } from '../../model/state.js';
import { membersOf, type NodeId } from '../../model/types.js';
import { specReadQuorum, specWriteQuorum } from '../spec.js';
import { writerOf } from '../views.js';

/**
 * The segment acknowledged, in this epoch, an SCL reaching the PG's last LSN at or below the
 * recovered VDL. (Only segments sealed into the epoch acknowledge in it; the writer's `sealed`
 * flag is not used, because a later ack of -1 in the same step may clear it.)
 */
function caughtUpInEpoch(w: WriterUp, pg: number, node: string): boolean {
  return (w.scl[pg]?.[node] ?? -1) >= (w.plan.lastPg[pg] ?? 0);
}

/**
 * The writer had such an ack from an incarnation of the segment older than one it heard of later
 * in this step (a lost disk's new segment asking for a seal), which made it forget that SCL: it
 * counted when the writer went active, and is gone by the step's end. The ack was taken before the
 * step (the writer's state then shows it) or in it (the acks a step delivers are those queued to
 * the writer before it). shrinks/sealed-then-disk-lost*.json.
 */
function caughtUpThenReset(v: StepView, node: NodeId, before: WriterUp | null, w: WriterUp, pg: number, n: NodeId): boolean {
  const heard = w.incarnations[pg]?.[n] ?? 0;
  if (before !== null && caughtUpInEpoch(before, pg, n) && (before.incarnations[pg]?.[n] ?? 0) < heard) return true;
  return (v.prev.world.net[node] ?? []).some((m) => m.kind === 'ack' && m.from === n && m.pg === pg && m.epoch === w.epoch
    && m.scl >= (w.plan.lastPg[pg] ?? 0) && m.incarnation < heard);
}

/**
 * A recovery decides from a read quorum of every PG (so it sees every write that reached a write
 * quorum), and becomes active only once a write quorum of every PG is sealed into its epoch and
 * holds the PG's log up to the recovered VDL.
 */
export const recoveryQuorums: Invariant = {
  id: 'recovery-quorums', tag: 'always',
  title: 'Recovery plans from a read quorum of every PG and goes active only with a write quorum of every PG sealed',
  why: 'Vr + Vw > V is what lets recovery see every committed write; the sealed write quorum is what fences the old writer.',
  check(v) {
    const a = writerOf(v.prev);
    const b = writerOf(v.next);
    if (b === null) return null;
    const fresh = a === null || a.node !== b.node || a.w.epoch !== b.w.epoch;
    if (fresh && b.w.plan.readFrom !== undefined) {
      for (const [pg, m] of v.next.control.pgs.entries()) {
        const read = b.w.plan.readFrom[pg] ?? [];
        if (!specReadQuorum(v.config, m, read)) return `recovery of epoch ${b.w.epoch} planned PG ${pg} from {${read}}, not a read quorum`;
      }
    }
    if (b.w.status === 'active' && (a === null || fresh || a.w.status !== 'active')) {
      for (const [pg, m] of v.next.control.pgs.entries()) {
        const before = fresh ? null : a!.w;
        const caughtUp = membersOf(m).filter((n) => caughtUpInEpoch(b.w, pg, n) || caughtUpThenReset(v, b.node, before, b.w, pg, n));
        if (!specWriteQuorum(v.config, m, caughtUp)) return `writer ${b.node} of epoch ${b.w.epoch} went active with only {${caughtUp}} of PG ${pg} caught up in its epoch`;
      }
    }
    return null;
  },
};
