// Shared vocabulary of the specification: configuration, geometry, redo records, messages and
// observations. `impl/` imports this (and events.ts, engine.ts) and nothing else from `model/`.

import type { Quorum, QuorumPair } from './quorum.js';
import { and, or, atLeast, fullTailQuorums, uniformQuorums, SEGMENTS_PER_PG, FULL_SEGMENTS } from './quorum.js';

export interface Config {
  /** Protection groups the volume starts with (it grows by `addPg`). Tests use >= 2. */
  readonly pgCount: number;
  /** Pages per PG: PG g holds pages [g * pagesPerPg, (g + 1) * pagesPerPg). */
  readonly pagesPerPg: number;
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
  /** Read replicas (0 to 15): compute nodes R1..Rn beside the writer W. */
  readonly replicas: number;
  /** A member down (or blank) this many ticks is replaced through a membership change. */
  readonly replaceAfterTicks: number;
  /**
   * Deliberate bugs switched on (the mutant self-test, properties/mutants.ts); absent: none.
   * Never set outside the mutant catalog, its tests and its counterexamples.
   */
  readonly bugs?: readonly BugName[];
}

/**
 * The named bugs a configuration can switch on (properties/mutants.ts describes each). Each is a
 * one-line guard where it lives: `if (bug(config, 'name')) ...`.
 */
export const BUG_NAMES = [
  'write-quorum-3of6', 'fulltail-read-without-full', 'joint-write-newest-set-only',
  'membership-epoch-unchecked', 'scl-highest-held', 'pgcl-read-quorum', 'vcl-skips-gaps', 'vdl-ignores-cpl',
  'vcl-prefix-off-by-one', 'commit-on-own-pg', 'read-any-page-server',
  'hedge-timer-late', 'replica-applies-on-arrival', 'replica-applies-across-gap',
  'recovery-below-read-quorum', 'truncation-to-highest-seen', 'storage-takes-stale-epoch',
  'writer-ignores-rejection', 'writer-keeps-spare-scl', 'gc-base-keeps-pgmrpl',
  'pgmrpl-ignores-replicas', 'lal-checks-first-lsn', 'segment-persists-duplicate',
  'read-response-counted-twice', 'scl-ignores-late-predecessor',
  'gossip-sends-above-own-scl', 'release-ignores-pgmrpl',
  // Historical: bugs long explorations found and the protocol fixed, reintroduced one line each.
  'replica-restart-keeps-queue', 'hydration-waits-gc-point',
  'change-completes-without-read-quorum', 'recovery-honours-every-range',
] as const;
export type BugName = (typeof BUG_NAMES)[number];

/** Is this deliberate bug switched on? (False for every configuration without `bugs`.) */
export function bug(config: Config, name: BugName): boolean {
  return config.bugs !== undefined && config.bugs.includes(name);
}

export const DEFAULT_CONFIG: Config = {
  pgCount: 2,
  pagesPerPg: 3,
  lal: 12,
  hedgeTicks: 2,
  retransmitTicks: 3,
  cachePages: 2,
  layout: 'uniform',
  replicas: 2,
  replaceAfterTicks: 3,
};

export function checkConfig(c: Config): string | null {
  if (!Number.isInteger(c.pgCount) || c.pgCount < 1) return `pgCount must be a positive integer`;
  if (!Number.isInteger(c.pagesPerPg) || c.pagesPerPg < 1) return `pagesPerPg must be a positive integer`;
  if (!Number.isInteger(c.replicas) || c.replicas < 0 || c.replicas > 15) return `replicas must be 0 to 15`;
  if (!Number.isInteger(c.replaceAfterTicks) || c.replaceAfterTicks < 1) return `replaceAfterTicks must be >= 1`;
  if (!Number.isInteger(c.lal) || c.lal < 2) return `lal must be an integer >= 2`;
  if (!Number.isInteger(c.hedgeTicks) || c.hedgeTicks < 1) return `hedgeTicks must be >= 1`;
  if (!Number.isInteger(c.retransmitTicks) || c.retransmitTicks < 1) return `retransmitTicks must be >= 1`;
  if (!Number.isInteger(c.cachePages) || c.cachePages < 0) return `cachePages must be >= 0`;
  if (c.layout !== 'uniform' && c.layout !== 'fullTail') return `layout must be uniform or fullTail`;
  if (c.bugs !== undefined && (!Array.isArray(c.bugs) || c.bugs.some((b) => !(BUG_NAMES as readonly string[]).includes(b)))) return `bugs must be a list of known bug names`;
  return null;
}

// ---- Geometry ------------------------------------------------------------------------------

export type NodeId = string;
/** The compute node that starts as the writer; replicas are R1..Rn. */
export const WRITER: NodeId = 'W';
export const AZS = ['A', 'B', 'C'] as const;
/**
 * The storage fleet: three nodes in each of three AZs. A PG starts on the first two of each AZ
 * (six segments, two per AZ); the third node of each AZ is the spare a membership change uses.
 */
export const STORAGE_NODES: readonly NodeId[] = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3'];
export const INITIAL_MEMBERS: readonly NodeId[] = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'];
/** In the full/tail layout, one full segment per AZ. */
export const FULL_NODES: readonly NodeId[] = ['A1', 'B1', 'C1'];

if (INITIAL_MEMBERS.length !== SEGMENTS_PER_PG) throw new Error('one initial member per segment');
if (FULL_NODES.length !== FULL_SEGMENTS) throw new Error('one full segment per AZ');

const nodesMemo = new Map<number, { compute: NodeId[]; all: NodeId[] }>();

function nodesFor(replicas: number): { compute: NodeId[]; all: NodeId[] } {
  let known = nodesMemo.get(replicas);
  if (known === undefined) {
    const compute = Object.freeze([WRITER, ...Array.from({ length: replicas }, (_, i) => `R${i + 1}`)]) as NodeId[];
    nodesMemo.set(replicas, (known = { compute, all: Object.freeze([...compute, ...STORAGE_NODES]) as NodeId[] }));
  }
  return known;
}

/** Compute nodes: the initial writer, then the replicas. (A frozen list, the same for every call.) */
export function computeNodes(config: Config): NodeId[] {
  return nodesFor(config.replicas).compute;
}

/** Every node: compute nodes first, then storage. `partition` events index into this. (Frozen.) */
export function allNodes(config: Config): NodeId[] {
  return nodesFor(config.replicas).all;
}

export function isStorage(node: NodeId): boolean {
  return STORAGE_NODES.includes(node);
}

export function azOf(node: NodeId): number {
  const az = AZS.indexOf(node[0] as (typeof AZS)[number]);
  if (az < 0 || !isStorage(node)) throw new Error(`${node} is not a storage node`);
  return az;
}

export function nodesOfAz(az: number): NodeId[] {
  return STORAGE_NODES.filter((n) => azOf(n) === az);
}

export function pgOfPage(config: Config, page: number): number {
  return Math.floor(page / config.pagesPerPg);
}

/**
 * A PG's membership: normally one set of six; during a change, one set per step in flight
 * (ABCDEF, ABCDEG, ...). Writes need a write quorum of every set, reads a read quorum of any.
 */
export interface Membership {
  readonly epoch: number;
  readonly sets: readonly (readonly NodeId[])[];
  /** Full segments (full/tail layout): page reads and 3/3 writes use these. */
  readonly full: readonly NodeId[];
}

const membersMemo = new WeakMap<Membership, NodeId[]>();
const quorumsMemo = new WeakMap<Config, WeakMap<Membership, QuorumPair>>();

/** Every node in any set. Memberships are immutable values, so this is memoized per value. */
export function membersOf(m: Membership): NodeId[] {
  let out = membersMemo.get(m);
  if (out === undefined) membersMemo.set(m, (out = STORAGE_NODES.filter((n) => m.sets.some((set) => set.includes(n)))));
  return out;
}

/**
 * The members that can serve page reads: all of them, or in the full/tail layout only the full
 * segments (tail segments keep the log but no pages).
 */
export function pageServers(config: Config, m: Membership): NodeId[] {
  const members = membersOf(m);
  return config.layout === 'fullTail' ? members.filter((n) => m.full.includes(n)) : members;
}

function setQuorums(config: Config, set: readonly NodeId[], full: readonly NodeId[]): QuorumPair {
  if (bug(config, 'write-quorum-3of6') && config.layout === 'uniform') return { ...uniformQuorums(set), write: atLeast(3, set) };
  if (bug(config, 'fulltail-read-without-full') && config.layout === 'fullTail') return { ...fullTailQuorums(set, set.filter((n) => full.includes(n))), read: atLeast(3, set) };
  return config.layout === 'uniform'
    ? uniformQuorums(set)
    : fullTailQuorums(set, set.filter((n) => full.includes(n)));
}

/** Writes need a write quorum of every set; reads a read quorum of any (memoized per value). */
export function quorumsFor(config: Config, m: Membership): QuorumPair {
  let byConfig = quorumsMemo.get(config);
  if (byConfig === undefined) quorumsMemo.set(config, (byConfig = new WeakMap<Membership, QuorumPair>()));
  let pair = byConfig.get(m);
  if (pair !== undefined) return pair;
  const pairs = m.sets.map((set) => setQuorums(config, set, m.full));
  pair = pairs.length === 1 ? pairs[0]! : { write: and(...pairs.map((p) => p.write)), read: or(...pairs.map((p) => p.read)) };
  if (pairs.length > 1 && bug(config, 'joint-write-newest-set-only')) pair = { ...pair, write: pairs[pairs.length - 1]!.write };
  byConfig.set(m, pair);
  return pair;
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

/** A page version a reader must keep: written at or below the read point, committed above it. */
export interface PendingVersion {
  readonly lsn: Lsn;
  readonly commitLsn: Lsn;
  readonly value: number;
}

/**
 * Everything that crosses the network. Every request to storage carries the volume epoch, and the
 * quorum-bearing ones (write, recoverReq, seal) the PG's membership epoch too.
 */
export type Message =
  | { readonly kind: 'write'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly membership: number; readonly pg: number; readonly records: readonly RedoRecord[] }
  /**
   * The segment's SCL after persisting; -1: the segment is not sealed into this epoch (it is new,
   * or lost its disk) and needs a seal. `incarnation` tells a reset segment from its old self.
   */
  | { readonly kind: 'ack'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly scl: Lsn; readonly incarnation: number }
  | { readonly kind: 'rejected'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly stale: number }
  | { readonly kind: 'readReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly read: number; readonly page: number; readonly readPoint: Lsn }
  /** `tooOld`: the read point is below the segment's GC point; the versions it needs are gone. */
  | { readonly kind: 'readResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly read: number; readonly page: number; readonly readPoint: Lsn; readonly value: number; readonly pending: readonly PendingVersion[]; readonly tooOld: boolean }
  | { readonly kind: 'recoverReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly membership: number; readonly pg: number }
  | { readonly kind: 'recoverResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly records: readonly RedoRecord[]; readonly ranges: readonly TruncationRange[]; readonly scl: Lsn; readonly gcPoint: Lsn }
  /** `base`: with the repair records persisted, the segment holds the coalesced log up to it. */
  | { readonly kind: 'seal'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly membership: number; readonly pg: number; readonly ranges: readonly TruncationRange[]; readonly repair: readonly RedoRecord[]; readonly base: Lsn }
  /** Writer to storage: the PG's minimum read point in use (PGMRPL); GC may coalesce below it. */
  | { readonly kind: 'gc'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly point: Lsn }
  | { readonly kind: 'gossipReq'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly after: Lsn }
  /** `base` (0: none): the sender's GC point, when above what was asked; see seal. */
  | { readonly kind: 'gossipResp'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly pg: number; readonly records: readonly RedoRecord[]; readonly base: Lsn }
  /** Writer to replica: the redo stream. */
  | { readonly kind: 'stream'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly records: readonly RedoRecord[] }
  /** Replica to writer: the lowest read point it still uses (its VDL or an older pending read). */
  | { readonly kind: 'replicaStatus'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly point: Lsn }
  /** Writer to replica: VDL moved; `covering[pg]` are the segments whose SCL covers it. */
  | { readonly kind: 'vdlUpdate'; readonly from: NodeId; readonly to: NodeId; readonly epoch: number; readonly vdl: Lsn; readonly covering: readonly (readonly NodeId[])[] };

export type MessageKind = Message['kind'];

// ---- Observations --------------------------------------------------------------------------

/** What the outside world can see. Model and impl must emit the same ones, in the same order. */
export type Observation =
  | { readonly kind: 'accepted'; readonly txn: number; readonly firstLsn: Lsn; readonly commitLsn: Lsn }
  | { readonly kind: 'refused'; readonly txn: number; readonly reason: 'lal' | 'noWriter' }
  | { readonly kind: 'committed'; readonly txn: number; readonly commitLsn: Lsn; readonly by: NodeId }
  | { readonly kind: 'readOk'; readonly read: number; readonly at: NodeId; readonly readPoint: Lsn; readonly values: readonly ReadValue[] }
  | { readonly kind: 'readRefused'; readonly read: number; readonly at: NodeId | null; readonly reason: 'noWriter' | 'noReplica' | 'replicaNotReady' | 'tooOld' }
  | { readonly kind: 'hedged'; readonly read: number; readonly page: number; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'recoveryStarted'; readonly epoch: number; readonly at: NodeId }
  | { readonly kind: 'recoveryBlocked'; readonly epoch: number; readonly pgs: readonly number[] }
  | { readonly kind: 'recovered'; readonly epoch: number; readonly at: NodeId; readonly vdl: Lsn; readonly truncateFrom: Lsn; readonly truncateTo: Lsn; readonly annulled: number }
  | { readonly kind: 'fenced'; readonly node: NodeId; readonly epoch: number; readonly by: number }
  | { readonly kind: 'staleRefused'; readonly node: NodeId; readonly pg: number; readonly epoch: number; readonly stale: number; readonly what: MessageKind; readonly membership: boolean }
  | { readonly kind: 'membership'; readonly pg: number; readonly epoch: number; readonly step: 'begin' | 'complete' | 'rollback'; readonly sets: readonly (readonly NodeId[])[] }
  | { readonly kind: 'pgAdded'; readonly pg: number; readonly pages: readonly [number, number] }
  | { readonly kind: 'noop'; readonly reason: string };

export interface ReadValue {
  readonly page: number;
  readonly value: number;
  /** 'cache' or the storage node that served it. */
  readonly from: NodeId;
}
