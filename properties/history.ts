// Histories: generated lists of events, with swarm testing.
//
// Each history first draws its own fault mix (FoundationDB BUGGIFY, VOPR's swarm options): which
// fault kinds are on, how often an enabled kind fires (every occurrence, every second, every
// third), and its tempo (how often the network settles). Then it draws raw events and keeps those
// the mix allows. A fault that has an end (a crash, a partition, a writer crash, a replica crash)
// carries one half the time: its restart or heal comes 0-30 kept events later, as a nemesis
// closes the fault windows it opens (Jepsen); otherwise the fault lasts until a drawn restart or
// heal, or the liveness phase. Both parts shrink: the shrinker turns fault kinds off and deletes or
// simplifies events and ends, and any list of events is still a valid history. The liveness
// phase is appended by the runner, never generated.
//
// Why the ends and the tempo (measured, docs/mutants-historical-results.txt): with faults that
// only accumulate and the network settling once in ~60 events, a writer completed a recovery in
// 0.3% of 240-event histories and was active after one in 0.2% of steps, so bugs that need a
// recovery, then more work, then more faults were out of reach of the histories' bodies. With
// them: 10.7% of histories and 4.3% of steps.

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
  /**
   * Keep every n-th deliverAll drawn (1: a settling history, the network drained about once in
   * 11 events, so recoveries and membership changes complete and work resumes between faults;
   * SETTLE_SPARSE: once in ~60, so messages pile up and are delivered one by one, out of order).
   */
  readonly settle: number;
}

/** A raw event and, for a fault with an end, how many kept events later the end comes (null: none). */
export type RawEvent = readonly [Event, number | null];

export interface History {
  readonly swarm: Swarm;
  readonly events: readonly Event[];
}

export interface HistoryOptions {
  /** Raw events drawn before the swarm filter and the faults' ends (default 80). */
  readonly maxEvents?: number;
  /** Fault kinds allowed at all (default: all). */
  readonly faults?: readonly FaultKind[];
}

const swarmArb = (allowed: readonly FaultKind[]): fc.Arbitrary<Swarm> =>
  fc.record({
    every: fc.record(Object.fromEntries(FAULT_KINDS.map((k) => [k, allowed.includes(k) ? fc.constantFrom(0, 1, 2, 3) : fc.constant(0)])) as Record<FaultKind, fc.Arbitrary<number>>),
    slow: fc.option(fc.nat({ max: 8 }), { nil: null }),
    settle: fc.constantFrom(SETTLE_SPARSE, 1),
  });

/**
 * deliverAll is drawn at DELIVER_ALL_WEIGHT and a sparse history keeps one in SETTLE_SPARSE, so
 * it settles as often as every history did before tempos (weight 1).
 */
const DELIVER_ALL_WEIGHT = 6;
const SETTLE_SPARSE = 6;
/** The longest a fault with an end lasts, in kept events. */
const MAX_FAULT_EVENTS = 30;

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
  { weight: DELIVER_ALL_WEIGHT, arbitrary: fc.constant<Event>({ type: 'deliverAll' }) },
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

/** A fault's end, or null for an event that has none (a disk loss and a failover are repaired by the protocol). */
export function endOf(e: Event): Event | null {
  switch (e.type) {
    case 'crashNode': return { type: 'restartNode', node: e.node };
    case 'partition': case 'partitionAz': return { type: 'heal' };
    case 'crashWriter': return { type: 'recover' };
    case 'crashReplica': return { type: 'restartReplica', replica: e.replica };
    default: return null;
  }
}

/**
 * The history the swarm makes of raw events: kinds that are off go, enabled kinds and deliverAll
 * are thinned, single deliveries aimed at the slow node go; then each kept fault with an end is
 * followed by it once that many more events are kept (0: at once; ends due at the same point in
 * the order their faults came; ends still due after the last event come last). `computeNodes`
 * is how many compute nodes precede the storage nodes in allNodes (the writer and the default
 * two replicas). Plain events are events without ends.
 */
export function applySwarm(swarm: Swarm, raw: readonly (Event | RawEvent)[], computeNodes = 3): Event[] {
  const seen = new Map<FaultKind, number>();
  let settles = 0;
  const slow = swarm.slow === null ? null : computeNodes + swarm.slow;
  const out: Event[] = [];
  const due: { at: number; end: Event }[] = [];
  let kept = 0;
  for (const r of raw) {
    const [e, after] = Array.isArray(r) ? r as RawEvent : [r as Event, null];
    if (e.type === 'deliver' && e.node === slow) continue;
    if (e.type === 'deliverAll' && ++settles % swarm.settle !== 0) continue;
    const kind = faultKindOf(e);
    if (kind !== null) {
      const every = swarm.every[kind];
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      if (every === 0 || n % every !== 0) continue;
    }
    out.push(e);
    kept++;
    const end = after === null ? null : endOf(e);
    if (end !== null) due.push({ at: kept + after!, end });
    for (let i = 0; i < due.length; i++) {
      if (due[i]!.at > kept) continue;
      out.push(due[i]!.end);
      due.splice(i--, 1);
    }
  }
  for (const d of due) out.push(d.end);
  return out;
}

// Half the faults carry an end: with one in five (fast-check's default), a crash was rarely down
// long enough for a replacement, and change-completes-without-read-quorum took effect in 11 of
// 6,000 histories against 20 of 6,000 with one in two (29 before faults had ends).
const rawEventArb: fc.Arbitrary<RawEvent> = fc.tuple(eventArb, fc.option(fc.nat({ max: MAX_FAULT_EVENTS }), { nil: null, freq: 2 }));

export function historyArb(opts: HistoryOptions = {}): fc.Arbitrary<History> {
  return fc.tuple(swarmArb(opts.faults ?? FAULT_KINDS), fc.array(rawEventArb, { maxLength: opts.maxEvents ?? 80, size: 'max' }))
    .map(([swarm, raw]) => ({ swarm, events: applySwarm(swarm, raw) }));
}

export function describeSwarm(swarm: Swarm): string {
  const slow = swarm.slow === null ? '' : ` slow=${STORAGE_NODES[swarm.slow]}`;
  return FAULT_KINDS.map((k) => `${k}=${swarm.every[k] === 0 ? 'off' : `1/${swarm.every[k]}`}`).join(' ') + slow + ` settle=${swarm.settle === 1 ? 'often' : 'sparse'}`;
}
