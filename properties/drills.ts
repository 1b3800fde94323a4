// The liveness phase and the availability drills: fixed event scripts, run after the safety phase.
//
// The liveness phase (VOPR's second half) heals every partition, restarts every node, starts
// recovery if the writer is down, then alternates deliverAll and tick for a bounded number of
// rounds. It is appended by the runner, not generated, so the shrinker cannot weaken it.

import type { Event } from '../model/events.js';
import type { State } from '../model/state.js';
import type { Config } from '../model/types.js';
import { STORAGE_NODES, nodesOfAz } from '../model/types.js';
import { step } from '../model/step.js';
import type { Oracle } from './oracle.js';

/** Rounds of deliverAll + tick the liveness phase allows: recovery needs about six. */
export const SETTLE_ROUNDS = 12;

/** The node whose disk the liveness phase loses last (a member unless the history replaced it). */
const DRILL_LOST = 'B2';

/**
 * Heal, restart, recover, settle; then a short AZ-partition episode (a commit with AZ C cut off,
 * acknowledgements taken out of order), a txn and a read, settle; then a disk lost once the
 * writer has released what every member held (the settled log), with new client work at once at
 * the writer and every replica: the replacement must hydrate the released records from its
 * peers and the change complete, while the txn commits on the joint quorum and every read is
 * answered. The system is live again, not merely quiet.
 */
export function livenessPhase(config: Config): Event[] {
  const events: Event[] = [{ type: 'heal' }];
  STORAGE_NODES.forEach((_, node) => events.push({ type: 'restartNode', node }));
  for (let i = 0; i < config.replicas; i++) events.push({ type: 'restartReplica', replica: i });
  events.push({ type: 'recover' });
  const settle = () => {
    for (let i = 0; i < SETTLE_ROUNDS / 2; i++) events.push({ type: 'deliverAll' }, { type: 'tick' });
    events.push({ type: 'deliverAll' });
  };
  settle();
  // An AZ partitioned away while a transaction commits, its acknowledgements delivered out of
  // order (always the second pending one): a quorum completes with an earlier ack still in flight.
  events.push({ type: 'partitionAz', az: 2 }, { type: 'txn', mtrs: [[1, 4]] }, { type: 'deliverAll' }, { type: 'tick' });
  for (let i = 0; i < 8; i++) events.push({ type: 'deliver', node: 0, k: 1 });
  events.push({ type: 'deliverAll' }, { type: 'heal' });
  events.push({ type: 'txn', mtrs: [[0, 3], [2]] }, { type: 'read', pages: [0, 3, 2] });
  settle();
  // The log is settled, so the writer has released it: a disk lost now is replaced by a segment
  // that must hydrate what the writer no longer holds, while the new work goes on.
  events.push({ type: 'loseDisk', node: STORAGE_NODES.indexOf(DRILL_LOST) }, { type: 'txn', mtrs: [[3], [0]] });
  events.push({ type: 'read', pages: [0, 3, 2] });
  for (let i = 0; i < config.replicas; i++) events.push({ type: 'readReplica', replica: i, pages: [0, 3, 2] });
  settle();
  settle();
  return events;
}

/** Null when the run settled: the writer is active and nothing it accepted is left open. */
export function settled(s: State, oracle: Oracle): string | null {
  const w = s.compute[s.control.writer]!;
  if (w.status !== 'active') return `writer ${s.control.writer} is ${w.status} after the liveness phase`;
  const open = oracle.unresolved();
  if (open.length > 0) return `txns ${open.map((t) => `${t.txn}@${t.commitLsn}`).join(', ')} neither committed nor annulled`;
  for (const [node, c] of Object.entries(s.compute)) {
    if ((c.status === 'active' || c.status === 'replica') && c.reads.length > 0) {
      return `reads ${c.reads.map((r) => r.read).join(', ')} at ${node} never answered`;
    }
  }
  const changing = s.control.pgs.findIndex((m) => m.sets.length > 1);
  if (changing >= 0) return `PG ${changing} is still changing membership: ${s.control.pgs[changing]!.sets.map((x) => x.join('')).join(' + ')}`;
  return null;
}

/** From a settled state: take an AZ down, write, and demand the commit within the round bound. */
export function azDrill(from: State, az: number): string | null {
  let s = from;
  const run = (e: Event) => (s = step(s, e).state);
  const down = nodesOfAz(az).map((n) => STORAGE_NODES.indexOf(n));
  // Replacement needs a spare in the same AZ, so the drill's crashes start no membership change.
  for (const node of down) run({ type: 'crashNode', node });
  const r = step(s, { type: 'txn', mtrs: [[0], [from.config.pagesPerPg]] });
  s = r.state;
  const accepted = r.observations.find((o) => o.kind === 'accepted');
  if (accepted === undefined || accepted.kind !== 'accepted') return `txn not accepted: ${JSON.stringify(r.observations)}`;
  for (let i = 0; i < SETTLE_ROUNDS; i++) {
    for (const e of [{ type: 'deliverAll' }, { type: 'tick' }] as const) {
      const x = step(s, e);
      s = x.state;
      if (x.observations.some((o) => o.kind === 'committed' && o.txn === accepted.txn)) return null;
    }
  }
  return `txn ${accepted.txn} (commit ${accepted.commitLsn}) not committed within ${SETTLE_ROUNDS} rounds`;
}
