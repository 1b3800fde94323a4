// The model's state, split by what survives a crash.
//
// Durable state is its own type (stateright: Storage ⊂ State): a crash of a storage node keeps
// exactly its `durable` part and resets its `volatile` part; a crash of the writer drops the
// writer's state whole (the writer keeps nothing locally; the log on storage is the database).
// The control plane's durable metadata (which epoch to hand out next) is durable too.

import type { Ctx } from './network.js';
import type { Config, Lsn, Membership, Message, NodeId, PendingVersion, RedoRecord, TruncationRange } from './types.js';
import { changedInStep, opaque, type Edit } from './frozen.js';

/** One segment: a PG's log as one storage node holds it. */
export interface SegmentDurable {
  /** Highest volume epoch this segment has promised to; requests of older epochs are refused. */
  readonly epoch: number;
  /** Highest membership epoch of its PG this segment has seen; older requests are refused. */
  readonly membership: number;
  /** Bumped whenever the segment is reset (disk lost, replacement started): acks carry it. */
  readonly incarnation: number;
  /** The compute node that sealed this segment: acknowledgements go there. */
  readonly writer: NodeId;
  /**
   * The segment holds nothing it can vouch for (its disk was lost, or it is a replacement still
   * hydrating): it answers no recovery request until a membership change makes it whole.
   */
  readonly blank: boolean;
  /** The epoch whose truncation ranges this segment holds; writes of that epoch are accepted. */
  readonly sealedEpoch: number;
  readonly ranges: readonly TruncationRange[];
  /** Persisted records, LSN order, none annulled by `ranges`. */
  readonly records: readonly RedoRecord[];
  /** Records at or below this are coalesced (garbage collected); 0: none. */
  readonly gcPoint: Lsn;
  /** The SCL when the segment coalesced (it held everything up to there). */
  readonly gcScl: Lsn;
  /** The PGMRPL the writer last told this segment: GC never goes past it. */
  readonly pgmrpl: Lsn;
}

export interface StorageDurable {
  /** One segment per PG, indexed by PG. */
  readonly segments: readonly SegmentDurable[];
}

export interface QueuedRecord {
  readonly pg: number;
  readonly record: RedoRecord;
  /** The epoch of the message that brought it; stale by persist time means dropped. */
  readonly epoch: number;
  /** What brought it: the writer's write, a seal's repair, or a peer's gossip. */
  readonly via: 'write' | 'seal' | 'gossip';
}

/** A seal's coalesced base: adopted when persisted, after the repair records queued before it. */
export interface QueuedBase {
  readonly pg: number;
  readonly base: Lsn;
  readonly epoch: number;
}

export interface StorageVolatile {
  readonly up: boolean;
  /** The tick at which the node went down (meaningful while !up). */
  readonly downSince: number;
  /** Received but not yet persisted (and so not acknowledged): lost on a crash. */
  readonly queue: readonly QueuedRecord[];
  readonly bases: readonly QueuedBase[];
}

export interface StorageNode {
  readonly durable: StorageDurable;
  readonly volatile: StorageVolatile;
}

/**
 * The control plane's durable metadata (Aurora keeps it in its own highly available store): the
 * next volume epoch to hand out, which compute node is the writer, each PG's membership.
 */
export interface ControlDurable {
  readonly epochNext: number;
  readonly writer: NodeId;
  /** Per PG; the volume grows by appending. */
  readonly pgs: readonly Membership[];
}

export interface PendingTxn {
  readonly txn: number;
  readonly commitLsn: Lsn;
}

export interface PendingPageRead {
  readonly page: number;
  readonly pg: number;
  /** The segment asked last (null: served from cache, or no covering segment known yet). */
  readonly asked: NodeId | null;
  readonly askedAt: number;
  readonly value: number | null;
  readonly from: NodeId | null;
}

export interface PendingRead {
  readonly read: number;
  /** Where the read was issued (the writer or a replica). */
  readonly at: NodeId;
  readonly readPoint: Lsn;
  readonly pages: readonly PendingPageRead[];
}

/**
 * A cached page: its value at `asOf` (read from storage), plus every version committed above
 * `asOf` that the cache has seen since (or that storage reported pending at `asOf`). Visible at
 * read point p: the version with the highest commit LSN at or below p, else `value`.
 */
export interface CachedPage {
  readonly page: number;
  readonly asOf: Lsn;
  readonly value: number;
  readonly versions: readonly PendingVersion[];
}

/** What recovery decided from a read quorum of every PG. */
export interface RecoveryPlan {
  /** The recovered VDL: the highest CPL on the complete volume chain. */
  readonly vdl: Lsn;
  /** The highest LSN whose volume chain is complete among the records read. */
  readonly vcl: Lsn;
  /** The highest GC point among the responses: everything at or below it was durable. */
  readonly gcPoint: Lsn;
  /** The new truncation range (vdl, to]: every older record in it is annulled. */
  readonly truncateTo: Lsn;
  /** Every range recovery honours, its own included: sealed onto every segment. */
  readonly ranges: readonly TruncationRange[];
  /** Per PG: the valid records at or below vdl, LSN order (repair material). */
  readonly records: readonly (readonly RedoRecord[])[];
  /** Per PG: the last LSN at or below vdl (0: none): the next record's PG backlink. */
  readonly lastPg: readonly Lsn[];
  /** Records read that the new range annuls. */
  readonly annulled: number;
  /** Per PG: the segments whose responses the plan was made from (absent: the volume's creation). */
  readonly readFrom?: readonly (readonly NodeId[])[];
}

export interface RecoveryResponse {
  readonly node: NodeId;
  readonly records: readonly RedoRecord[];
  readonly ranges: readonly TruncationRange[];
  readonly gcPoint: Lsn;
}

export interface WriterRecovering {
  readonly status: 'recovering';
  readonly epoch: number;
  /** Per PG, the latest response of each segment. */
  readonly responses: readonly (readonly RecoveryResponse[])[];
}

/**
 * A read replica: applies the writer's redo stream to the pages it has cached, never above the
 * VDL it knows and only whole MTRs; reads at its own VDL. All volatile: a restart starts empty.
 */
export interface Replica {
  readonly status: 'replica';
  /** The writer epoch it follows (0: none yet). */
  readonly epoch: number;
  /** The writer node it follows. */
  readonly writer: NodeId | null;
  /** The VDL it knows and has applied up to (null: none yet in this epoch). */
  readonly vdl: Lsn | null;
  /** Stream records above vdl, waiting for VDL to reach them. */
  readonly buffer: readonly RedoRecord[];
  /** Per PG, the segments whose SCL covered vdl (from the writer). */
  readonly covering: readonly (readonly NodeId[])[];
  readonly reads: readonly PendingRead[];
  readonly cache: readonly CachedPage[];
}

/** What a compute node is doing. A writer that learns of a newer epoch is fenced: it goes down. */
export type ComputeState = { readonly status: 'down' } | WriterRecovering | WriterUp | Replica;
export type WriterState = { readonly status: 'down' } | WriterRecovering | WriterUp;

/** A writer that has sealed (or is sealing) its epoch. Sealing refuses client work. */
export interface WriterUp {
  readonly status: 'sealing' | 'active';
  readonly epoch: number;
  readonly plan: RecoveryPlan;
  /** Every LSN this incarnation allocates is above base (the plan's truncateTo). */
  readonly base: Lsn;
  /**
   * Per PG, per member: the highest SCL reported in this epoch. A record that reached a write
   * quorum stays counted even if a segment later loses its disk (that is a failure within the
   * AZ+1 budget, repaired by a membership change), so watermarks never move back.
   */
  readonly scl: readonly Readonly<Record<NodeId, Lsn>>[];
  /** Per PG, per member: the segment incarnation known sealed into this epoch (absent: seal it). */
  readonly sealed: readonly Readonly<Record<NodeId, number>>[];
  /**
   * Per PG, per storage node: the newest segment incarnation the writer has heard of there, from
   * an ack or from the control plane taking the node as a replacement (absent: none). Never below
   * `sealed`. An ack of an older incarnation is stale, and what an older one reported (its SCL, its
   * seal) is forgotten once a newer one is heard of: a spare reused by a membership change is an
   * empty new segment, and the SCL its node reported as an earlier member counted it in the new
   * set's write quorum (durability: shrinks/stale-scl-after-spare-reuse.json).
   */
  readonly incarnations: readonly Readonly<Record<NodeId, number>>[];
  /** Per PG: the highest PGCL reached in this epoch (a membership change never lowers it). */
  readonly reached: readonly Lsn[];
  /**
   * Records this incarnation allocated above `released`, LSN order (the writer's log: what it
   * may still have to retransmit, and what its watermarks walk).
   */
  readonly records: readonly RedoRecord[];
  /**
   * The log's released prefix (the base at first): the writer dropped every record at or below
   * it. It releases a record once every member of the record's PG in the current membership (both
   * sets while joint) has reported an SCL at or above it (an unknown SCL stops the release), and
   * the PG has been told a PGMRPL at or above the record's commit LSN (so no read in use, now or
   * later, is at or below it, and no PGMRPL is still to be announced for it). A member added later
   * hydrates what was released from its peers by gossip, as a replacement does. Released records
   * lie under every PGCL reached, so VCL and VDL walk only the records kept.
   */
  readonly released: Lsn;
  /** The last CPL at or below `released` (the base: none): VDL's floor. */
  readonly releasedCpl: Lsn;
  /** Per PG: its last LSN at or below `released` (the plan's lastPg at first): backlinks' floor. */
  readonly releasedLastPg: readonly Lsn[];
  readonly pendingTxns: readonly PendingTxn[];
  readonly reads: readonly PendingRead[];
  /** Least recently used first. */
  readonly cache: readonly CachedPage[];
  /** Per replica: the lowest read point it reported using in this epoch. */
  readonly replicaPoints: Readonly<Record<NodeId, Lsn>>;
  /** Per PG: the PGMRPL last announced to its members in this epoch (absent: none yet). */
  readonly gcAnnounced: readonly Lsn[];
  /**
   * The highest LSN allocated when the writer ticked just before its next retransmit round: that
   * round resends only records at or below it. A record allocated since has had no round trip (its
   * write persists at the next tick and its ack is taken after that tick), so resending it would
   * only duplicate a write still on its way. The base at first.
   */
  readonly resendUpTo: Lsn;
}

/**
 * The compute nodes' states are one value (opaque to immer, read plainly), and so is each node's
 * state: a change replaces the node's state, and so the value (the other nodes kept as they are),
 * copied once per step (frozen.ts changedInStep).
 */
export function setCompute(ctx: Ctx, node: NodeId, c: ComputeState): void {
  ctx.s.compute = changedInStep(ctx.s.compute, node, c);
}

/** A compute node that is down (crashed, or a fenced writer). */
export const DOWN: ComputeState = opaque({ status: 'down' as const });

export function isWriterUp(c: ComputeState | undefined): c is WriterUp {
  return c !== undefined && (c.status === 'active' || c.status === 'sealing');
}

export interface World {
  /** Logical time: the number of ticks so far. */
  readonly time: number;
  /** In-flight messages per destination, in send order. */
  readonly net: Readonly<Record<NodeId, readonly Message[]>>;
  /** Partitioned node sets: a link is down when exactly one end is in some set. */
  readonly cuts: readonly (readonly NodeId[])[];
  readonly txnCount: number;
  readonly readCount: number;
}

export interface State {
  readonly config: Config;
  readonly control: ControlDurable;
  readonly storage: Readonly<Record<NodeId, StorageNode>>;
  readonly compute: Readonly<Record<NodeId, ComputeState>>;
  readonly world: World;
}

/** The parts of a state while a step replaces them one by one (each part a frozen value). */
export type Parts = Edit<State>;
