// Shared vocabulary of the specification: configuration, geometry, redo records, messages and
// observations. `impl/` imports this (and events.ts, engine.ts) and nothing else from `model/`.

import type { Quorum, QuorumPair } from './quorum.js';
import { fullTailQuorums, uniformQuorums, SEGMENTS_PER_PG, FULL_SEGMENTS } from './quorum.js';

export interface Config {
  /** Protection groups in the volume; page p lives in PG p % pgCount. Tests use >= 2. */
  readonly pgCount: number;
  /** Pages in the volume; client page numbers are taken modulo this. */
  readonly pageCount: number;
  /** LSN allocation limit: no LSN above VDL + lal is allocated (Aurora: 10,000,000). */
  readonly lal: number;
  /** A segment read unanswered for this many ticks is hedged to another segment. */
  readonly hedgeTicks: number;
  /** The writer resends unacknowledged records every this many ticks. */
  readonly retransmitTicks: number;
  /** Pages the writer's cache holds (least recently used is evicted). */
  readonly cachePages: number;
  /** 'uniform': 4/6 writes, 3/6 reads. 'fullTail': the 2018 variant (3 full + 3 tail segments). */
  readonly layout: 'uniform' | 'fullTail';
}

export const DEFAULT_CONFIG: Config = {
  pgCount: 2,
  pageCount: 6,
  lal: 12,
  hedgeTicks: 2,
  retransmitTicks: 3,
  cachePages: 2,
  layout: 'uniform',
};

export function checkConfig(c: Config): string | null {
  if (!Number.isInteger(c.pgCount) || c.pgCount < 1) return `pgCount must be a positive integer`;
  if (!Number.isInteger(c.pageCount) || c.pageCount < c.pgCount) return `pageCount must be >= pgCount`;
  if (!Number.isInteger(c.lal) || c.lal < 2) return `lal must be an integer >= 2`;
  if (!Number.isInteger(c.hedgeTicks) || c.hedgeTicks < 1) return `hedgeTicks must be >= 1`;
  if (!Number.isInteger(c.retransmitTicks) || c.retransmitTicks < 1) return `retransmitTicks must be >= 1`;
  if (!Number.isInteger(c.cachePages) || c.cachePages < 0) return `cachePages must be >= 0`;
  if (c.layout !== 'uniform' && c.layout !== 'fullTail') return `layout must be uniform or fullTail`;
  return null;
}

// ---- Geometry ------------------------------------------------------------------------------

export type NodeId = string;
export const WRITER: NodeId = 'W';
export const AZS = ['A', 'B', 'C'] as const;
/** Six storage nodes, two in each of three AZs. Every PG has one segment on each. */
export const STORAGE_NODES: readonly NodeId[] = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'];
/** Every node, the writer first: `partition` events index into this. */
export const ALL_NODES: readonly NodeId[] = [WRITER, ...STORAGE_NODES];
/** In the full/tail layout, one full segment per AZ. */
export const FULL_NODES: readonly NodeId[] = ['A1', 'B1', 'C1'];

if (STORAGE_NODES.length !== SEGMENTS_PER_PG) throw new Error('one storage node per segment');
if (FULL_NODES.length !== FULL_SEGMENTS) throw new Error('one full segment per AZ');

export function azOf(node: NodeId): number {
  const az = AZS.indexOf(node[0] as (typeof AZS)[number]);
  if (az < 0) throw new Error(`${node} is not a storage node`);
  return az;
}

export function nodesOfAz(az: number): NodeId[] {
  return STORAGE_NODES.filter((n) => azOf(n) === az);
}

export function pgOfPage(config: Config, page: number): number {
  return page % config.pgCount;
}

export function quorumsFor(config: Config, members: readonly NodeId[]): QuorumPair {
  return config.layout === 'uniform'
    ? uniformQuorums(members)
    : fullTailQuorums(members, members.filter((m) => FULL_NODES.includes(m)));
}

export type { Quorum, QuorumPair };

// ---- The log -------------------------------------------------------------------------------

export type Lsn = number;

/** One redo record. Records are immutable once allocated; only LSN-ordered logs of them move. */
export interface RedoRecord {
  readonly lsn: Lsn;
  /** The volume epoch of the writer that allocated it. */
  readonly epoch: number;
  readonly pg: number;
  /** Backlink: the previous LSN of this PG (0: none). Segments find holes through it. */
  readonly prevPg: Lsn;
  /** Backlink: the previous LSN of the volume (0: none). Recovery finds VCL through it. */
  readonly prevVol: Lsn;
  readonly txn: number;
  /**
   * The LSN of the transaction's commit record. A page write is visible at read point p when its
   * commit is at or below p and not annulled: the database's MVCC read view, folded into the
   * record (the whole transaction's LSNs are allocated at once, so it is known).
   */
  readonly commitLsn: Lsn;
  /** Last record of its MTR: a consistency point (CPL). */
  readonly cpl: boolean;
  /** The page written, or null for the commit record. */
  readonly page: number | null;
  readonly value: number;
}

/**
 * Records of an epoch older than `epoch` with an LSN in (from, to] are annulled. Written by
 * recovery, durably, on a write quorum of every PG.
 */
export interface TruncationRange {
  readonly epoch: number;
  readonly from: Lsn;
  readonly to: Lsn;
}

// ---- Messages ------------------------------------------------------------------------------

/** Everything that crosses the network. Every writer-to-storage message carries an epoch. */
export type Message =
  | { readonly kind: 'write'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly records: readonly RedoRecord[] }
  | { readonly kind: 'ack'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly scl: Lsn }
  | { readonly kind: 'rejected'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly stale: number }
  | { readonly kind: 'readReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly read: number; readonly page: number; readonly readPoint: Lsn }
  | { readonly kind: 'readResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly read: number; readonly page: number; readonly value: number }
  | { readonly kind: 'recoverReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number }
  | { readonly kind: 'recoverResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly records: readonly RedoRecord[]; readonly ranges: readonly TruncationRange[]; readonly scl: Lsn }
  | { readonly kind: 'seal'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly ranges: readonly TruncationRange[]; readonly repair: readonly RedoRecord[] }
  | { readonly kind: 'gossipReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly after: Lsn }
  | { readonly kind: 'gossipResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly records: readonly RedoRecord[] };

export type MessageKind = Message['kind'];

// ---- Observations --------------------------------------------------------------------------

/** What the outside world can see. Model and impl must emit the same ones, in the same order. */
export type Observation =
  | { readonly kind: 'accepted'; readonly txn: number; readonly firstLsn: Lsn; readonly commitLsn: Lsn }
  | { readonly kind: 'refused'; readonly txn: number; readonly reason: 'lal' | 'noWriter' }
  | { readonly kind: 'committed'; readonly txn: number; readonly commitLsn: Lsn }
  | { readonly kind: 'readOk'; readonly read: number; readonly readPoint: Lsn; readonly values: readonly ReadValue[] }
  | { readonly kind: 'readRefused'; readonly read: number; readonly reason: 'noWriter' }
  | { readonly kind: 'hedged'; readonly read: number; readonly page: number; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'recoveryStarted'; readonly epoch: number }
  | { readonly kind: 'recoveryBlocked'; readonly epoch: number; readonly pgs: readonly number[] }
  | { readonly kind: 'recovered'; readonly epoch: number; readonly vdl: Lsn; readonly truncateFrom: Lsn; readonly truncateTo: Lsn; readonly annulled: number }
  | { readonly kind: 'fenced'; readonly epoch: number; readonly by: number }
  | { readonly kind: 'staleRefused'; readonly node: NodeId; readonly pg: number; readonly epoch: number; readonly stale: number; readonly what: MessageKind }
  | { readonly kind: 'noop'; readonly reason: string };

export interface ReadValue {
  readonly page: number;
  readonly value: number;
  /** 'cache' or the storage node that served it. */
  readonly from: NodeId;
}
