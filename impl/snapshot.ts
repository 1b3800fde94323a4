// A canonical, JSON-serializable description of an engine's state, in a shape both the model's
// immutable State and impl's mutable Cluster map to, so lockstep can compare them at any step.
//
// It keeps only what both clearly share: per storage node (up, queue length) and per segment
// (epochs, incarnation, blank, GC point, LSNs held); the control plane; per compute node its
// status, and for writers epoch/VDL/VCL/allocated/released, for replicas epoch/VDL, and for both
// their cached pages (page, as of, versions carried, in LRU order); queue lengths per
// destination; the world's counters. Keys are in a fixed order, so JSON.stringify is canonical.
//
// snapshotOfModel reads model/state.ts types only: it recomputes the model writer's watermarks
// here, the dumb way (scan everything), instead of importing the model's watermark code, so impl/
// stays apart from the model's logic. It is deliberately the simplest reading of the definitions.

import type { ComputeState, State, WriterUp as ModelWriterUp } from '../model/state.js';
import type { Config, Lsn, Membership, NodeId } from '../model/types.js';
import { STORAGE_NODES, allNodes, computeNodes, membersOf, quorumsFor } from '../model/types.js';
import { wins } from '../model/quorum.js';
import type { Cluster } from './cluster.js';
import { Replica } from './replica.js';
import { WriterUp } from './writer.js';

export interface SegmentSnapshot {
  readonly epoch: number;
  readonly sealedEpoch: number;
  readonly membership: number;
  readonly incarnation: number;
  readonly blank: boolean;
  readonly gcPoint: Lsn;
  readonly lsns: readonly Lsn[];
}

export interface StorageSnapshot {
  readonly up: boolean;
  readonly queue: number;
  readonly segments: readonly SegmentSnapshot[];
}

export type ComputeSnapshot =
  | { readonly status: 'down' }
  | { readonly status: 'recovering'; readonly epoch: number }
  | { readonly status: 'sealing' | 'active'; readonly epoch: number; readonly vdl: Lsn; readonly vcl: Lsn; readonly allocated: Lsn; readonly released: Lsn; readonly cached: readonly CacheSnapshot[] }
  | { readonly status: 'replica'; readonly epoch: number; readonly vdl: Lsn | null; readonly cached: readonly CacheSnapshot[] };

/** A cached page: its value as of a read point, and how many newer versions it carries. */
export interface CacheSnapshot {
  readonly page: number;
  readonly asOf: Lsn;
  readonly versions: number;
}

const cachedOf = (cache: readonly { readonly page: number; readonly asOf: Lsn; readonly versions: readonly unknown[] }[]): CacheSnapshot[] =>
  cache.map((e) => ({ page: e.page, asOf: e.asOf, versions: e.versions.length }));

export interface Snapshot {
  readonly world: { readonly time: number; readonly txnCount: number; readonly readCount: number };
  readonly control: {
    readonly epochNext: number;
    readonly writer: NodeId;
    readonly pgs: readonly { readonly epoch: number; readonly sets: readonly (readonly NodeId[])[]; readonly full: readonly NodeId[] }[];
  };
  readonly storage: Readonly<Record<NodeId, StorageSnapshot>>;
  readonly compute: Readonly<Record<NodeId, ComputeSnapshot>>;
  readonly net: Readonly<Record<NodeId, number>>;
}

const membershipOf = (m: Membership) => ({ epoch: m.epoch, sets: m.sets.map((s) => [...s]), full: [...m.full] });

export function snapshotOfCluster(c: Cluster): Snapshot {
  const storage: Record<NodeId, StorageSnapshot> = {};
  for (const id of STORAGE_NODES) {
    const n = c.storageNode(id);
    const segments: SegmentSnapshot[] = [];
    for (let pg = 0; pg < n.pgCount; pg++) {
      const s = n.segment(pg);
      segments.push({ epoch: s.epoch, sealedEpoch: s.sealedEpoch, membership: s.membership, incarnation: s.incarnation, blank: s.blank, gcPoint: s.gcPoint, lsns: s.lsns() });
    }
    storage[id] = { up: n.up, queue: n.queued, segments };
  }
  const compute: Record<NodeId, ComputeSnapshot> = {};
  for (const id of c.computeIds) {
    const x = c.computeNode(id);
    if (x instanceof WriterUp) {
      const marks = x.marks.current(c.control);
      compute[id] = { status: x.status, epoch: x.epoch, vdl: marks.vdl, vcl: marks.vcl, allocated: x.log.allocated, released: x.log.released, cached: cachedOf(x.reader.cache) };
    } else if (x instanceof Replica) compute[id] = { status: 'replica', epoch: x.epoch, vdl: x.vdl, cached: cachedOf(x.reader.cache) };
    else if (x.status === 'recovering') compute[id] = { status: 'recovering', epoch: x.epoch };
    else compute[id] = { status: 'down' };
  }
  const net: Record<NodeId, number> = {};
  for (const id of c.net.nodes) net[id] = c.net.pending(id);
  return {
    world: { time: c.time, txnCount: c.txnCount, readCount: c.readCount },
    control: { epochNext: c.control.epochNext, writer: c.control.writer, pgs: c.control.pgs.map(membershipOf) },
    storage, compute, net,
  };
}

export function snapshotOfModel(s: State): Snapshot {
  const storage: Record<NodeId, StorageSnapshot> = {};
  for (const id of STORAGE_NODES) {
    const n = s.storage[id]!;
    storage[id] = {
      up: n.volatile.up,
      queue: n.volatile.queue.length,
      segments: n.durable.segments.map((g) => ({
        epoch: g.epoch, sealedEpoch: g.sealedEpoch, membership: g.membership, incarnation: g.incarnation, blank: g.blank, gcPoint: g.gcPoint,
        lsns: g.records.map((r) => r.lsn),
      })),
    };
  }
  const compute: Record<NodeId, ComputeSnapshot> = {};
  for (const id of computeNodes(s.config)) compute[id] = computeOfModel(s, s.compute[id]!);
  const net: Record<NodeId, number> = {};
  for (const id of allNodes(s.config)) net[id] = s.world.net[id]!.length;
  return {
    world: { time: s.world.time, txnCount: s.world.txnCount, readCount: s.world.readCount },
    control: { epochNext: s.control.epochNext, writer: s.control.writer, pgs: s.control.pgs.map(membershipOf) },
    storage, compute, net,
  };
}

function computeOfModel(s: State, x: ComputeState): ComputeSnapshot {
  switch (x.status) {
    case 'down': return { status: 'down' };
    case 'recovering': return { status: 'recovering', epoch: x.epoch };
    case 'replica': return { status: 'replica', epoch: x.epoch, vdl: x.vdl, cached: cachedOf(x.cache) };
    case 'sealing': case 'active': {
      const { vdl, vcl } = modelMarks(s.config, s.control.pgs, x);
      const allocated = x.records.length === 0 ? x.released : x.records[x.records.length - 1]!.lsn;
      return { status: x.status, epoch: x.epoch, vdl, vcl, allocated, released: x.released, cached: cachedOf(x.cache) };
    }
  }
}

/**
 * The definitions, read literally: PGCL is the highest SCL a write quorum of the current
 * membership reaches (or the PGCL reached before); VCL the end of the log prefix within PGCLs;
 * VDL the last CPL in that prefix (or the base). The released prefix is within every PGCL: the
 * walk starts after it, at its end and its last CPL.
 */
function modelMarks(config: Config, pgs: readonly Membership[], w: ModelWriterUp): { vdl: Lsn; vcl: Lsn } {
  const pgcl = pgs.map((m, pg) => {
    const scl = w.scl[pg] ?? {};
    const members = membersOf(m);
    const quorum = members.map((n) => scl[n] ?? -1).filter((l) => l >= 0 && wins(quorumsFor(config, m).write, members.filter((n) => (scl[n] ?? -1) >= l)));
    return Math.max(w.reached[pg] ?? -1, ...quorum);
  });
  let vcl = w.released;
  let vdl = w.releasedCpl;
  for (const r of w.records) {
    if (r.lsn > pgcl[r.pg]!) break;
    vcl = r.lsn;
    if (r.cpl) vdl = r.lsn;
  }
  return { vdl, vcl };
}
