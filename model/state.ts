// The model's state, split by what survives a crash.
//
// Durable state is its own type (stateright: Storage ⊂ State): a crash of a storage node keeps
// exactly its `durable` part and resets its `volatile` part; a crash of the writer drops the
// writer's state whole (the writer keeps nothing locally; the log on storage is the database).
// The control plane's durable metadata (which epoch to hand out next) is durable too.

import type { Config, Lsn, Message, NodeId, RedoRecord, TruncationRange } from './types.js';

/** One segment: a PG's log as one storage node holds it. */
export interface SegmentDurable {
  /** Highest volume epoch this segment has promised to; requests of older epochs are refused. */
  readonly epoch: number;
  /** The epoch whose truncation ranges this segment holds; writes of that epoch are accepted. */
  readonly sealedEpoch: number;
  readonly ranges: readonly TruncationRange[];
  /** Persisted records, LSN order, none annulled by `ranges`. */
  readonly records: readonly RedoRecord[];
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
}

export interface StorageVolatile {
  readonly up: boolean;
  /** Received but not yet persisted (and so not acknowledged): lost on a crash. */
  readonly queue: readonly QueuedRecord[];
}

export interface StorageNode {
  readonly durable: StorageDurable;
  readonly volatile: StorageVolatile;
}

export interface ControlDurable {
  /** The next volume epoch the control plane hands to a recovering writer. */
  readonly epochNext: number;
}

export interface PendingTxn {
  readonly txn: number;
  readonly commitLsn: Lsn;
}

export interface PendingPageRead {
  readonly page: number;
  readonly pg: number;
  /** The segment asked last (null: served from cache). */
  readonly asked: NodeId | null;
  readonly askedAt: number;
  readonly value: number | null;
  readonly from: NodeId | null;
}

export interface PendingRead {
  readonly read: number;
  readonly readPoint: Lsn;
  readonly pages: readonly PendingPageRead[];
}

export interface CachedPage {
  readonly page: number;
  /** The read point at which `value` was read from storage. */
  readonly asOf: Lsn;
  readonly value: number;
}

/** What recovery decided from a read quorum of every PG. */
export interface RecoveryPlan {
  /** The recovered VDL: the highest CPL on the complete volume chain. */
  readonly vdl: Lsn;
  /** The highest LSN whose volume chain is complete among the records read. */
  readonly vcl: Lsn;
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
}

export interface RecoveryResponse {
  readonly node: NodeId;
  readonly records: readonly RedoRecord[];
  readonly ranges: readonly TruncationRange[];
}

export type WriterState =
  | { readonly status: 'down' }
  | {
      readonly status: 'recovering';
      readonly epoch: number;
      /** Per PG, the latest response of each segment. */
      readonly responses: readonly (readonly RecoveryResponse[])[];
    }
  | WriterUp;

/** A writer that has sealed (or is sealing) its epoch. Sealing refuses client work. */
export interface WriterUp {
  readonly status: 'sealing' | 'active';
  readonly epoch: number;
  readonly plan: RecoveryPlan;
  /** Every LSN this incarnation allocates is above base (the plan's truncateTo). */
  readonly base: Lsn;
  /** Per PG, per member: SCL reported in acks of this epoch (absent: not sealed here yet). */
  readonly scl: readonly Readonly<Record<NodeId, Lsn>>[];
  /** Records this incarnation allocated, LSN order. */
  readonly records: readonly RedoRecord[];
  readonly pendingTxns: readonly PendingTxn[];
  readonly reads: readonly PendingRead[];
  /** Least recently used first. */
  readonly cache: readonly CachedPage[];
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
  readonly writer: WriterState;
  readonly world: World;
}
