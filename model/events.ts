// The event vocabulary: everything that can happen to the system, as plain JSON data.
//
// Every nondeterministic choice of a real deployment (delivery order, loss, duplication,
// partitions, crashes, time) is an explicit event, so one history always yields the same run.
// Any list of events is a valid history: an event that does not apply in the current state is a
// recorded no-op, and choices that point at dynamic things (the k-th pending message, a node) are
// taken modulo what exists. That is what lets the shrinker delete or simplify any event.

/** Page numbers are taken modulo the volume's current page count. */
export type Page = number;

export type ClientEvent =
  /**
   * A transaction: mini-transactions (MTRs) of page writes. The writer allocates one redo record
   * per page write, plus a commit record that ends the last MTR. The value written is derived from
   * the transaction's number and the write's position (see `writeValue`), so it is unique.
   */
  | { readonly type: 'txn'; readonly mtrs: readonly (readonly Page[])[] }
  /** A read of one or more pages at one read point, at the writer. */
  | { readonly type: 'read'; readonly pages: readonly Page[] }
  /** The same at a replica: the `replica`-th compute node that is not the writer. */
  | { readonly type: 'readReplica'; readonly replica: number; readonly pages: readonly Page[] };

export type NetworkEvent =
  /**
   * Deliver (drop, duplicate) the k-th pending message to ALL_NODES[node] (the writer is 0), or
   * to the next node that has any when that one has none.
   */
  | { readonly type: 'deliver'; readonly node: number; readonly k: number }
  | { readonly type: 'drop'; readonly node: number; readonly k: number }
  | { readonly type: 'duplicate'; readonly node: number; readonly k: number }
  /** Deliver every message pending when the event starts, in send order, node by node. */
  | { readonly type: 'deliverAll' };

export type FaultEvent =
  /** Storage node index modulo the storage fleet (STORAGE_NODES). */
  | { readonly type: 'crashNode'; readonly node: number }
  | { readonly type: 'restartNode'; readonly node: number }
  /** Cut the given nodes (indices into all nodes, the writer first) off from everyone else. */
  | { readonly type: 'partition'; readonly nodes: readonly number[] }
  /** Cut a whole AZ's storage nodes off from everyone else. */
  | { readonly type: 'partitionAz'; readonly az: number }
  | { readonly type: 'heal' }
  /** A storage node's disk is lost: every segment on it is blank (it keeps no record). */
  | { readonly type: 'loseDisk'; readonly node: number }
  /** The writer loses all volatile state. */
  | { readonly type: 'crashWriter' }
  /** Start crash recovery of the writer (a no-op while it is active). */
  | { readonly type: 'recover' }
  /**
   * A replica (the `replica`-th compute node that is not the writer) crashes, or restarts empty:
   * nothing sent to it before it restarted reaches it (a new process has new connections).
   */
  | { readonly type: 'crashReplica'; readonly replica: number }
  | { readonly type: 'restartReplica'; readonly replica: number }
  /**
   * Promote a replica to writer: it recovers under a new epoch. The old writer is not stopped; if
   * it is alive (partitioned, say) storage fences it.
   */
  | { readonly type: 'failover'; readonly replica: number };

export type GrowthEvent =
  /** Add a protection group to the volume (a geometry change): new pages land in it. */
  | { readonly type: 'addPg' };

export type TimeEvent =
  /** Time passes: storage persists and acknowledges, gossips; the writer retransmits and hedges. */
  | { readonly type: 'tick' }
  /** One storage node persists its queue and acknowledges (a tick does this for every node). */
  | { readonly type: 'persist'; readonly node: number };

export type Event = ClientEvent | NetworkEvent | FaultEvent | TimeEvent | GrowthEvent;
export type EventType = Event['type'];

export const EVENT_TYPES: readonly EventType[] = [
  'txn', 'read', 'readReplica',
  'deliver', 'drop', 'duplicate', 'deliverAll',
  'crashNode', 'restartNode', 'loseDisk', 'partition', 'partitionAz', 'heal',
  'crashWriter', 'recover', 'crashReplica', 'restartReplica', 'failover',
  'tick', 'persist', 'addPg',
];

/** A transaction uses at most this many MTRs of at most this many writes; the rest is ignored. */
export const MTRS_PER_TXN_MAX = 8;
export const WRITES_PER_MTR_MAX = 8;

/**
 * The value a transaction's i-th page write stores: unique per write (txn 7's third write stores
 * 7003), and 0 is every page's initial value.
 */
export function writeValue(txn: number, index: number): number {
  return txn * 1000 + index + 1;
}
