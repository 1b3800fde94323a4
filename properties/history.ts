// Histories: generated lists of events, with swarm testing.
//
// Each history first draws its own fault mix (FoundationDB BUGGIFY, VOPR's swarm options): which
// fault kinds are on, and how often an enabled kind fires (every occurrence, every second, every
// third). Then it draws raw events and keeps those the mix allows. Both parts shrink: the
// shrinker turns fault kinds off and deletes or simplifies events, and any list of events is
// still a valid history. The liveness phase is appended by the runner, never generated.

import fc from 'fast-check';
import type { Event } from '../model/events.js';
import { STORAGE_NODES } from '../model/types.js';

export const FAULT_KINDS = ['drop', 'duplicate', 'crashNode', 'loseDisk', 'partition', 'partitionAz', 'crashWriter', 'crashReplica', 'failover'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which fault kind an event belongs to (null: client work, delivery or time, always on). */
export function faultKindOf(e: Event): FaultKind | null {
  switch (e.type) {
    case 'drop': return 'drop';
    case 'duplicate': return 'duplicate';
    case 'crashNode': case 'restartNode': return 'crashNode';
    case 'partition': return 'partition';
    case 'partitionAz': case 'heal': return 'partitionAz';
    case 'crashWriter': case 'recover': return 'crashWriter';
    case 'loseDisk': return 'loseDisk';
    case 'crashReplica': case 'restartReplica': return 'crashReplica';
    case 'failover': return 'failover';
    default: return null;
  }
}

export interface Swarm {
  /** Per fault kind: 0 = off, n = keep every n-th generated occurrence. */
  readonly every: Readonly<Record<FaultKind, number>>;
  /**
   * A slow storage node (index into STORAGE_NODES), or null: single deliveries aimed at it are
   * left out, so it only catches up through deliverAll, retransmission and gossip, and lags.
   */
  readonly slow: number | null;
}

export interface History {
  readonly swarm: Swarm;
  readonly events: readonly Event[];
}

export interface HistoryOptions {
  /** Raw events drawn before the swarm filter (default 80). */
  readonly maxEvents?: number;
  /** Fault kinds allowed at all (default: all). */
  readonly faults?: readonly FaultKind[];
}

const swarmArb = (allowed: readonly FaultKind[]): fc.Arbitrary<Swarm> =>
  fc.record({
    every: fc.record(Object.fromEntries(FAULT_KINDS.map((k) => [k, allowed.includes(k) ? fc.constantFrom(0, 1, 2, 3) : fc.constant(0)])) as Record<FaultKind, fc.Arbitrary<number>>),
    slow: fc.option(fc.nat({ max: 8 }), { nil: null }),
  });

const page = fc.nat({ max: 17 });
const nodeChoice = fc.nat({ max: 11 });
const storageChoice = fc.nat({ max: 8 });
const replicaChoice = fc.nat({ max: 3 });
const pendingChoice = fc.nat({ max: 12 });

export const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.array(page, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((mtrs): Event => ({ type: 'txn', mtrs })) },
  { weight: 6, arbitrary: fc.uniqueArray(page, { minLength: 1, maxLength: 3 }).map((pages): Event => ({ type: 'read', pages })) },
  { weight: 2, arbitrary: fc.record({ replica: replicaChoice, pages: fc.uniqueArray(page, { minLength: 1, maxLength: 3 }) }).map(({ replica, pages }): Event => ({ type: 'readReplica', replica, pages })) },
  { weight: 12, arbitrary: fc.record({ node: nodeChoice, k: pendingChoice }).map(({ node, k }): Event => ({ type: 'deliver', node, k })) },
  // Deliveries to the writer (node 0), out of order, so acknowledgements race each other.
  { weight: 8, arbitrary: pendingChoice.map((k): Event => ({ type: 'deliver', node: 0, k })) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'deliverAll' }) },
  { weight: 4, arbitrary: fc.constant<Event>({ type: 'tick' }) },
  { weight: 2, arbitrary: storageChoice.map((node): Event => ({ type: 'persist', node })) },
  { weight: 2, arbitrary: fc.record({ node: nodeChoice, k: pendingChoice }).map(({ node, k }): Event => ({ type: 'drop', node, k })) },
  { weight: 2, arbitrary: fc.record({ node: nodeChoice, k: pendingChoice }).map(({ node, k }): Event => ({ type: 'duplicate', node, k })) },
  { weight: 2, arbitrary: storageChoice.map((node): Event => ({ type: 'crashNode', node })) },
  { weight: 2, arbitrary: storageChoice.map((node): Event => ({ type: 'restartNode', node })) },
  { weight: 1, arbitrary: storageChoice.map((node): Event => ({ type: 'loseDisk', node })) },
  { weight: 1, arbitrary: fc.uniqueArray(nodeChoice, { minLength: 1, maxLength: 3 }).map((nodes): Event => ({ type: 'partition', nodes })) },
  { weight: 3, arbitrary: fc.nat({ max: 2 }).map((az): Event => ({ type: 'partitionAz', az })) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'heal' }) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'crashWriter' }) },
  { weight: 2, arbitrary: fc.constant<Event>({ type: 'recover' }) },
  { weight: 1, arbitrary: replicaChoice.map((replica): Event => ({ type: 'crashReplica', replica })) },
  { weight: 1, arbitrary: replicaChoice.map((replica): Event => ({ type: 'restartReplica', replica })) },
  { weight: 1, arbitrary: replicaChoice.map((replica): Event => ({ type: 'failover', replica })) },
  { weight: 1, arbitrary: fc.constant<Event>({ type: 'addPg' }) },
);

/**
 * Keeps the events the swarm allows: kinds that are off go, enabled kinds are thinned, single
 * deliveries aimed at the slow node go. `computeNodes` is how many compute nodes precede the
 * storage nodes in allNodes (the writer and the default two replicas).
 */
export function applySwarm(swarm: Swarm, raw: readonly Event[], computeNodes = 3): Event[] {
  const seen = new Map<FaultKind, number>();
  const slow = swarm.slow === null ? null : computeNodes + swarm.slow;
  return raw.filter((e) => {
    if (e.type === 'deliver' && e.node === slow) return false;
    const kind = faultKindOf(e);
    if (kind === null) return true;
    const every = swarm.every[kind];
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    return every > 0 && n % every === 0;
  });
}

export function historyArb(opts: HistoryOptions = {}): fc.Arbitrary<History> {
  return fc.tuple(swarmArb(opts.faults ?? FAULT_KINDS), fc.array(eventArb, { maxLength: opts.maxEvents ?? 80, size: 'max' }))
    .map(([swarm, raw]) => ({ swarm, events: applySwarm(swarm, raw) }));
}

export function describeSwarm(swarm: Swarm): string {
  const slow = swarm.slow === null ? '' : ` slow=${STORAGE_NODES[swarm.slow]}`;
  return FAULT_KINDS.map((k) => `${k}=${swarm.every[k] === 0 ? 'off' : `1/${swarm.every[k]}`}`).join(' ') + slow;
}
