// Guarantees about what reads return, at the writer and at the replicas.

import type { Invariant } from '../invariant.js';
import type { PendingRead, Replica, State, WriterUp } from '../../model/state.js';
import type { Config, NodeId } from '../../model/types.js';
import { STORAGE_NODES, computeNodes, membersOf, pageServers } from '../../model/types.js';
import { recordAnnulled } from '../../model/log.js';
import { anyOf, findIn } from '../../model/frozen.js';
import { visibleIn } from '../../model/reads.js';
import { fromOracle, marksOf, writerOf } from '../views.js';
import { minReadPoint } from '../../model/writer.js';
import { replicaVdlBackwards } from './segments.js';

export const readAfterCommit: Invariant = {
  id: 'read-after-commit', tag: 'always',
  title: 'A read issued after a commit was acknowledged sees that commit or a newer one',
  why: 'The read point is the VDL when the read is issued, and VDL covers every acknowledged commit.',
  check: fromOracle('read-after-commit'),
};

export const noPhantom: Invariant = {
  id: 'no-phantom', tag: 'always',
  title: 'Reads return exactly the ideal store at their read point: no phantoms, no lost or torn writes',
  why: 'A segment serves a read only if it holds every record up to the read point; annulled records never show.',
  check: fromOracle('no-phantom'),
};

export const noHalfMtr: Invariant = {
  id: 'no-half-mtr', tag: 'always',
  title: 'MTRs are never partly visible: read points and recovered VDLs end an MTR',
  why: 'Pages are consistent only at MTR boundaries, so VDL and truncation stop only there.',
  check: fromOracle('no-half-mtr'),
};

export const replicaMonotonic: Invariant = {
  id: 'replica-monotonic-reads', tag: 'always',
  title: 'Reads at one replica never go back in time within a writer epoch',
  why: 'A replica\'s read point is its VDL, which only moves forward until a new writer truncates the log.',
  check: (v) => fromOracle('replica-monotonic-reads')(v) ?? replicaVdlBackwards(v),
};

function replicas(v: { next: { compute: Readonly<Record<string, { status: string }>> }; config: Parameters<typeof computeNodes>[0] }): [string, Replica][] {
  return computeNodes(v.config).map((n) => [n, v.next.compute[n]] as const)
    .filter((x): x is [string, Replica] => x[1]!.status === 'replica');
}

/**
 * A replica holds nothing above its VDL (it applies only records at or below it, whole MTRs),
 * and every page it caches shows, at its VDL, exactly the ideal store's value there.
 */
export const replicaCache: Invariant = {
  id: 'replica-cache', tag: 'always',
  title: 'A replica never shows data above its VDL, and its cached pages equal the ideal store at that VDL',
  why: 'Replicas apply only durable, whole MTRs; their cache must be the writer\'s page as of the replica\'s VDL.',
  check(v) {
    // A function of the replicas and the committed transactions: unchanged since the last step, it held.
    const storeSame = v.index > 0 && !v.observations.some((o) => o.kind === 'committed' || o.kind === 'recovered');
    if (storeSame && v.prev.compute === v.next.compute) return null;
    for (const [node, r] of replicas(v)) {
      if (r.vdl === null) continue;
      // A cached page is judged by itself, the replica's VDL and the ideal store: the last step's
      // pass held for this node's pages, so with the same VDL and store a page it held then holds again.
      const was = storeSame ? v.prev.compute[node] : undefined;
      const before = was !== undefined && was.status === 'replica' && was.vdl === r.vdl ? was.cache : undefined;
      if (before === r.cache) continue;
      for (let i = 0; i < r.cache.length; i++) {
        const c = r.cache[i]!;
        if (before !== undefined && before[i] === c) continue;
        const above = c.versions.find((x) => x.lsn > r.vdl!);
        if (above !== undefined) return `${node} (VDL ${r.vdl}) applied record ${above.lsn} to page ${c.page}`;
        const shown = visibleIn(c, r.vdl);
        const want = v.oracle.valueAt(c.page, r.vdl);
        if (shown !== want) return `${node} caches page ${c.page} as ${shown} at its VDL ${r.vdl}; the ideal store has ${want}`;
      }
    }
    return null;
  },
};

/**
 * Routing: a segment answers a read only if it holds every record of its PG at or below the read
 * point (its SCL covers the read point), and, in the full/tail layout, only if it is full. Checked
 * when the answer is sent, against what every member of the PG holds, so a routing mistake is
 * caught even when the page's value happens not to differ. (A reader with a stale view may ask a
 * segment that no longer serves the PG; that segment must stay silent.)
 */
export const readRouting: Invariant = {
  id: 'read-routing', tag: 'always',
  title: 'Only a segment whose log covers the read point answers a read (a full one, in the full/tail layout)',
  why: 'Without quorum reads, one segment answers alone; it must hold everything up to the read point.',
  check(v) {
    for (const to of computeNodes(v.config)) {
      const before = v.prev.world.net[to]!;
      const after = v.next.world.net[to]!;
      if (before === after || !anyOf(after, (m) => m.kind === 'readResp')) continue;
      const pending = new Set(before);
      for (const m of after) {
        if (m.kind !== 'readResp' || pending.has(m)) continue;
        const membership = v.next.control.pgs[m.pg]!;
        if (!pageServers(v.config, membership).includes(m.from)) return `${m.from} answered read ${m.read} of PG ${m.pg} though it serves no pages of it`;
        const seg = v.next.storage[m.from]!.durable.segments[m.pg]!;
        const held = new Set(seg.records.map((r) => r.lsn));
        for (const peer of membersOf(membership)) {
          const other = v.next.storage[peer]!.durable.segments[m.pg]!;
          // At or below its GC point a segment keeps only the coalesced versions (no-phantom judges those).
          const missing = findIn(other.records, (r) => r.lsn <= m.readPoint && r.lsn > seg.gcPoint && !held.has(r.lsn) && !recordAnnulled(seg.ranges, r));
          if (missing !== undefined) return `${m.from} answered read ${m.read} at ${m.readPoint} for ${to} lacking record ${missing.lsn} of PG ${m.pg} that ${peer} holds`;
        }
      }
    }
    return null;
  },
};

/**
 * The writer counts each replica in PGMRPL at the lowest read point that replica reported in this
 * epoch (at its recovery base before any report): the replica must never read below that point.
 * A read point a replica takes from a message sent to an earlier process of it (before it
 * restarted) can be below the point its earlier process reported, and the versions it needs may
 * be coalesced (shrinks/replica-restart-stale-vdl.json). gc-safe sees that only once a read is
 * pending there as a segment coalesces; this sees the read point itself.
 */
export const replicaPointHeld: Invariant = {
  id: 'replica-point-held', tag: 'always',
  title: 'A replica never reads below the read point its writer counts for it in PGMRPL',
  why: 'PGMRPL is the lowest read point in use; a replica reading below what its writer counts for it can lose the versions its reads need to garbage collection.',
  check(v) {
    // A function of the compute nodes alone: unchanged since the last step, it held.
    if (v.index > 0 && v.prev.compute === v.next.compute) return null;
    const x = writerOf(v.next);
    if (x === null) return null;
    for (const [node, r] of replicas(v)) {
      if (r.epoch !== x.w.epoch) continue;
      const held = x.w.replicaPoints[node] ?? x.w.base;
      if (r.vdl !== null && r.vdl < held) return `${node} is at VDL ${r.vdl}, below the read point ${held} its writer counts for it`;
      const low = findIn(r.reads, (read) => read.readPoint < held);
      if (low !== undefined) return `${node}'s read ${low.read} is at ${low.readPoint}, below the read point ${held} its writer counts for it`;
    }
    return null;
  },
};

/**
 * Garbage collection never removes what a live read point needs: no segment coalesces past the
 * PGMRPL it was told, none serving pages coalesces past the writer's VDL or past any pending read
 * at or above the current PGMRPL, and the writer's own reads are never refused as too old.
 */
export const gcSafe: Invariant = {
  id: 'gc-safe', tag: 'always',
  title: 'Garbage collection never removes what a read point at or above PGMRPL needs',
  why: 'Storage coalesces below the minimum read point in use (PGMRPL) and must keep every version a live read can still see.',
  check(v) {
    const refused = v.observations.find((o) => o.kind === 'readRefused' && o.reason === 'tooOld' && o.at === v.next.control.writer);
    if (refused !== undefined && refused.kind === 'readRefused') return `the writer's read ${refused.read} was refused as too old`;
    // The rest is a function of storage, compute nodes and control plane: unchanged since the last step, it held.
    if (v.index > 0 && v.prev.storage === v.next.storage && v.prev.compute === v.next.compute && v.prev.control === v.next.control) return null;
    // What the last pass that held judged segments against (derived from its compute nodes and
    // control plane; reused as a whole while those are the same values).
    const last = v.memo.derived.get('gc-safe') as GcSafeBasis | undefined;
    const basis: GcSafeBasis = last !== undefined && last.compute === v.next.compute && last.control === v.next.control
      ? withStorage(last, v.next.storage) : gcSafeBasis(v.config, v.next, last);
    // A segment is judged by itself and by PGMRPL, VDL, the writer's epoch, the pending reads and
    // its PG's page servers: with those the same, a segment value the last pass checked holds again.
    const same = last !== undefined && sameJudgement(last, basis);
    const { pgmrpl, vdl, epoch, pending, servers } = basis;
    for (const n of STORAGE_NODES) {
      const segments = v.next.storage[n]!.durable.segments;
      const before = same ? last.storage[n]!.durable.segments : undefined;
      if (segments === before) continue;
      for (let pg = 0; pg < segments.length; pg++) {
        const seg = segments[pg]!;
        if (before !== undefined && seg === before[pg]) continue;
        if (seg.gcPoint > seg.pgmrpl) return `${n} PG ${pg} coalesced to ${seg.gcPoint}, past the PGMRPL ${seg.pgmrpl} it was told`;
        if (seg.blank || !servers[pg]!.includes(n)) continue;
        if (vdl !== null && epoch === seg.sealedEpoch && seg.gcPoint > vdl) return `${n} PG ${pg} coalesced to ${seg.gcPoint}, past VDL ${vdl}`;
        const needy = pgmrpl === null ? undefined : pending.find((r) => r.readPoint >= pgmrpl && r.readPoint < seg.gcPoint && r.pages.some((p) => p.pg === pg && p.value === null));
        if (needy !== undefined) return `${n} PG ${pg} coalesced to ${seg.gcPoint}, past read ${needy.read} at ${needy.readPoint} (PGMRPL ${pgmrpl})`;
      }
    }
    v.memo.derived.set('gc-safe', basis);
    return null;
  },
};

/** What gc-safe judges segments against, derived from the compute nodes and the control plane. */
interface GcSafeBasis {
  readonly storage: State['storage'];
  readonly compute: State['compute'];
  readonly control: State['control'];
  /** The writer (node and value) PGMRPL and VDL were derived from, with the memberships. */
  readonly writer: { readonly node: NodeId; readonly w: WriterUp } | null;
  readonly pgmrpl: number | null;
  readonly vdl: number | null;
  /** The writer's epoch (when there is a writer). */
  readonly epoch: number | null;
  readonly pending: readonly PendingRead[];
  /** Per PG, the members serving its pages (of control.pgs). */
  readonly servers: readonly (readonly NodeId[])[];
}

/**
 * `basis` judged against another storage value. Written out part by part: a spread of the basis
 * (`{ ...basis, storage }`) cost more than the rest of a typical pass.
 */
function withStorage(b: GcSafeBasis, storage: State['storage']): GcSafeBasis {
  return { storage, compute: b.compute, control: b.control, writer: b.writer, pgmrpl: b.pgmrpl, vdl: b.vdl, epoch: b.epoch, pending: b.pending, servers: b.servers };
}

/** The basis for `s`; what depends only on parts that are the same values as in `last` is taken from it. */
function gcSafeBasis(config: Config, s: State, last: GcSafeBasis | undefined): GcSafeBasis {
  const x = writerOf(s);
  const pgs = s.control.pgs;
  const samePgs = last !== undefined && last.control.pgs === pgs;
  // PGMRPL and VDL are functions of the memberships, the writer's node and its value.
  const sameWriter = samePgs && x !== null && last.writer !== null && last.writer.node === x.node && last.writer.w === x.w;
  const vdl = x === null ? null : sameWriter ? last.vdl : marksOf(s, x.w).vdl;
  // Of the writer, PGMRPL (model/writer.ts minReadPoint) reads only its pending reads, the
  // replicas' reported points and its base, with its node and VDL: an ack replaces the writer's
  // value but leaves those as they were, and the last PGMRPL stands.
  const samePoint = sameWriter || (x !== null && last !== undefined && last.writer !== null && last.writer.node === x.node && last.vdl === vdl
    && last.writer.w.reads === x.w.reads && last.writer.w.replicaPoints === x.w.replicaPoints && last.writer.w.base === x.w.base);
  return {
    storage: s.storage, compute: s.compute, control: s.control,
    writer: x,
    pgmrpl: x === null ? null : samePoint ? last!.pgmrpl : minReadPoint(s, x.node, x.w, vdl!),
    vdl,
    epoch: x === null ? null : x.w.epoch,
    pending: pendingReads(s),
    servers: samePgs ? last.servers : pgs.map((m) => pageServers(config, m)),
  };
}

/** The reads pending at the writer and the replicas, in compute-node order. */
function pendingReads(s: State): PendingRead[] {
  const out: PendingRead[] = [];
  for (const c of Object.values(s.compute)) if (c.status === 'active' || c.status === 'replica') for (const r of c.reads) out.push(r);
  return out;
}

function sameJudgement(a: GcSafeBasis, b: GcSafeBasis): boolean {
  return a.control.pgs === b.control.pgs && a.pgmrpl === b.pgmrpl && a.vdl === b.vdl && a.epoch === b.epoch
    && a.pending.length === b.pending.length && a.pending.every((r, i) => r === b.pending[i]);
}
