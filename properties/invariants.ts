// The registry of guarantees: the design's promises as checks. This file is the documentation of
// what the storage layer guarantees; add one here and it is checked, counted and listed.

import type { Invariant, StepView } from './invariant.js';
import { checkIntersection, describeQuorum, wins, type QuorumPair } from '../model/quorum.js';
import type { State, WriterUp } from '../model/state.js';
import type { Lsn, NodeId } from '../model/types.js';
import { AZS, STORAGE_NODES, WRITER, nodesOfAz, quorumsFor } from '../model/types.js';
import { membersOf, watermarks } from '../model/watermarks.js';
import { segmentCompleteLsn } from '../model/log.js';
import { planRecovery } from '../model/recovery.js';
import { choose } from '../model/network.js';
import { azDrill, settled } from './drills.js';

const fromOracle = (id: string) => (v: StepView): string | null => {
  const f = v.findings.find((x) => x.invariant === id);
  return f === undefined ? null : f.message;
};

function up(s: State): WriterUp | null {
  return s.writer.status === 'active' || s.writer.status === 'sealing' ? s.writer : null;
}

/** The message a single `deliver` event takes, seen in the state before it. */
function delivered(v: StepView) {
  if (v.event.type !== 'deliver') return null;
  const c = choose(v.prev.world, v.event.node, v.event.k);
  return c === null ? null : v.prev.world.net[c.to]![c.index]!;
}

// ---- always --------------------------------------------------------------------------------

/** The exhaustive check is memoized per quorum pair: membership changes rarely. */
const intersections = new Map<string, ReturnType<typeof checkIntersection>>();
function intersectionOf(pair: QuorumPair): ReturnType<typeof checkIntersection> {
  const key = `${describeQuorum(pair.write)}|${describeQuorum(pair.read)}`;
  if (!intersections.has(key)) intersections.set(key, checkIntersection(pair));
  return intersections.get(key)!;
}

const quorumIntersection: Invariant = {
  id: 'quorum-intersection', tag: 'always',
  title: 'Every read quorum meets every write quorum; any two write quorums meet',
  why: 'Vr + Vw > V lets recovery see every committed write, and 2 Vw > V keeps two writers from both completing.',
  check(v) {
    for (let pg = 0; pg < v.config.pgCount; pg++) {
      const pair = quorumsFor(v.config, membersOf(v.config, pg));
      const bad = intersectionOf(pair);
      if (bad !== null) {
        return `PG ${pg}: ${bad.kind} quorums {${bad.first}} and {${bad.second}} are disjoint (write ${describeQuorum(pair.write)}, read ${describeQuorum(pair.read)})`;
      }
    }
    return null;
  },
};

const watermarkOrder: Invariant = {
  id: 'watermark-order', tag: 'always',
  title: 'VDL <= VCL <= highest allocated LSN <= VDL + LAL',
  why: 'The LSN allocation limit is the writer\'s back-pressure and bounds what recovery must truncate.',
  check(v) {
    const w = up(v.next);
    const oracle = fromOracle('watermark-order')(v);
    if (oracle !== null || w === null) return oracle;
    const m = watermarks(v.config, w);
    if (!(m.vdl <= m.vcl && m.vcl <= m.allocated && m.allocated <= m.vdl + v.config.lal)) {
      return `VDL ${m.vdl}, VCL ${m.vcl}, allocated ${m.allocated}, LAL ${v.config.lal}`;
    }
    return null;
  },
};

const watermarkMonotonic: Invariant = {
  id: 'watermark-monotonic', tag: 'always',
  title: 'SCL, PGCL, VCL and VDL never move backwards, except through recovery truncation',
  why: 'Acknowledged commits and read points are promises made against these watermarks.',
  check(v) {
    const a = up(v.prev);
    const b = up(v.next);
    if (b !== null && a === null && b.base < v.memo.vdlMax) {
      return `writer of epoch ${b.epoch} starts at ${b.base}, below VDL ${v.memo.vdlMax} reached before`;
    }
    if (a !== null && b !== null && a.epoch === b.epoch) {
      const x = watermarks(v.config, a);
      const y = watermarks(v.config, b);
      if (y.vdl < x.vdl || y.vcl < x.vcl) return `VDL ${x.vdl} -> ${y.vdl}, VCL ${x.vcl} -> ${y.vcl}`;
      const pg = y.pgcl.findIndex((p, i) => p < x.pgcl[i]!);
      if (pg >= 0) return `PGCL of PG ${pg}: ${x.pgcl[pg]} -> ${y.pgcl[pg]}`;
    }
    for (const n of STORAGE_NODES) {
      const before = v.prev.storage[n]!.durable.segments;
      const after = v.next.storage[n]!.durable.segments;
      if (before === after) continue;
      for (let pg = 0; pg < v.config.pgCount; pg++) {
        const s0 = before[pg]!;
        const s1 = after[pg]!;
        if (s0 === s1 || s0.sealedEpoch !== s1.sealedEpoch) continue;
        const x = segmentCompleteLsn(s0.records);
        const y = segmentCompleteLsn(s1.records);
        if (y < x) return `SCL of ${n} PG ${pg} went ${x} -> ${y} within epoch ${s1.sealedEpoch}`;
      }
    }
    return null;
  },
};

const vdlIsCpl: Invariant = {
  id: 'vdl-is-cpl', tag: 'always',
  title: 'VDL is always a consistency point: the end of an MTR, or the base recovery left',
  why: 'Read points and recovery stop at VDL, so an MTR is either wholly visible or not at all.',
  check(v) {
    const w = up(v.next);
    if (w === null) return null;
    const { vdl } = watermarks(v.config, w);
    if (vdl === w.base || w.records.some((r) => r.lsn === vdl && r.cpl)) return null;
    return `VDL ${vdl} is neither base ${w.base} nor the last record of an MTR`;
  },
};

/** lsn -> (PG, epoch, holders) over every segment's persisted records. */
function holdersByLsn(s: State): Map<Lsn, { pg: number; epoch: number; nodes: Set<NodeId> }> {
  const out = new Map<Lsn, { pg: number; epoch: number; nodes: Set<NodeId> }>();
  for (const n of STORAGE_NODES) {
    s.storage[n]!.durable.segments.forEach((seg) => {
      for (const r of seg.records) {
        const e = out.get(r.lsn) ?? { pg: r.pg, epoch: r.epoch, nodes: new Set<NodeId>() };
        if (e.epoch === r.epoch) e.nodes.add(n);
        out.set(r.lsn, e);
      }
    });
  }
  return out;
}

const durability: Invariant = {
  id: 'durability', tag: 'always',
  title: 'Every acknowledged commit stays on a write quorum of its PG, through crashes and recoveries',
  why: 'A commit is acknowledged only once durable; losing it afterwards is data loss.',
  check(v) {
    const oracle = fromOracle('durability')(v);
    if (oracle !== null) return oracle;
    const acked = v.oracle.acknowledged();
    if (acked.length === 0 || (v.prev.storage === v.next.storage && v.event.type !== 'txn')) return null;
    const holders = holdersByLsn(v.next);
    for (const t of acked) {
      for (let lsn = t.firstLsn; lsn <= t.commitLsn; lsn++) {
        const h = holders.get(lsn);
        const members = h === undefined ? [] : membersOf(v.config, h.pg);
        if (h === undefined || !wins(quorumsFor(v.config, members).write, [...h.nodes])) {
          return `txn ${t.txn} (committed at ${t.commitLsn}): record ${lsn} is persisted only on {${[...(h?.nodes ?? [])].join(',')}}`;
        }
      }
    }
    return null;
  },
};

/**
 * AZ+1: whichever AZ and one more node are lost, the three nodes left are a read quorum of every
 * PG, and recovery from their durable state alone finds every acknowledged commit.
 */
const azPlusOne: Invariant = {
  id: 'az-plus-one-recovery', tag: 'always',
  title: 'With an AZ and one more node down, recovery still finds every acknowledged commit',
  why: 'The design target AZ+1: losing a whole AZ plus one more node loses no data.',
  check(v) {
    const acked = v.oracle.acknowledged();
    if (acked.length === 0) return null;
    if (v.prev.storage === v.next.storage && v.event.type !== 'txn' && !v.observations.some((o) => o.kind === 'committed')) return null;
    const need = Math.max(...acked.map((t) => t.commitLsn));
    for (let az = 0; az < AZS.length; az++) {
      for (const extra of STORAGE_NODES.filter((n) => !nodesOfAz(az).includes(n))) {
        const alive = STORAGE_NODES.filter((n) => !nodesOfAz(az).includes(n) && n !== extra);
        const responses = Array.from({ length: v.config.pgCount }, (_, pg) => alive.map((node) => {
          const seg = v.next.storage[node]!.durable.segments[pg]!;
          return { node, records: seg.records, ranges: seg.ranges };
        }));
        const plan = planRecovery(v.config, v.next.control.epochNext, responses);
        if (plan.vdl < need) {
          return `with AZ ${AZS[az]} and ${extra} down, recovery from {${alive}} finds VDL ${plan.vdl}, below acknowledged commit ${need}`;
        }
      }
    }
    return null;
  },
};

const commitRule: Invariant = {
  id: 'commit-rule', tag: 'always',
  title: 'A commit is acknowledged exactly when VDL reaches its commit LSN, once',
  why: 'Acknowledging earlier promises durability the log does not have; later stalls clients.',
  check(v) {
    const oracle = fromOracle('commit-rule')(v);
    if (oracle !== null) return oracle;
    const w = up(v.next);
    if (w === null || w.status !== 'active') return null;
    const { vdl } = watermarks(v.config, w);
    const early = v.observations.find((o) => o.kind === 'committed' && o.commitLsn > vdl);
    if (early !== undefined && early.kind === 'committed') return `txn ${early.txn} acknowledged at ${early.commitLsn} with VDL ${vdl}`;
    const late = w.pendingTxns.find((t) => t.commitLsn <= vdl);
    if (late !== undefined) return `txn ${late.txn} (commit ${late.commitLsn}) not acknowledged though VDL is ${vdl}`;
    return null;
  },
};

const readAfterCommit: Invariant = {
  id: 'read-after-commit', tag: 'always',
  title: 'A read issued after a commit was acknowledged sees that commit or a newer one',
  why: 'The read point is the VDL when the read is issued, and VDL covers every acknowledged commit.',
  check: fromOracle('read-after-commit'),
};

const noPhantom: Invariant = {
  id: 'no-phantom', tag: 'always',
  title: 'Reads return exactly the ideal store at their read point: no phantoms, no lost or torn writes',
  why: 'A segment serves a read only if it holds every record up to the read point; annulled records never show.',
  check: fromOracle('no-phantom'),
};

const noHalfMtr: Invariant = {
  id: 'no-half-mtr', tag: 'always',
  title: 'MTRs are never partly visible: read points and recovered VDLs end an MTR',
  why: 'Pages are consistent only at MTR boundaries, so VDL and truncation stop only there.',
  check: fromOracle('no-half-mtr'),
};

const fencing: Invariant = {
  id: 'fencing', tag: 'always',
  title: 'A request of a stale epoch is refused and changes nothing on the segment',
  why: 'The epoch bump on a write quorum fences the old writer without waiting for a lease.',
  check(v) {
    const msg = delivered(v);
    if (msg === null || msg.to === WRITER || msg.kind.startsWith('gossip')) return null;
    if (!('epoch' in msg) || !v.prev.storage[msg.to]!.volatile.up) return null;
    if (v.prev.world.cuts.some((c) => c.includes(msg.from) !== c.includes(msg.to))) return null;
    const before = v.prev.storage[msg.to]!;
    const seg = before.durable.segments[msg.pg]!;
    if (msg.epoch >= seg.epoch) return null;
    const after = v.next.storage[msg.to]!;
    if (!v.observations.some((o) => o.kind === 'staleRefused' && o.node === msg.to)) {
      return `${msg.to} took a ${msg.kind} of epoch ${msg.epoch} though it promised epoch ${seg.epoch}`;
    }
    if (after.durable !== before.durable || after.volatile.queue.length !== before.volatile.queue.length) {
      return `${msg.to} changed its state on a stale ${msg.kind} of epoch ${msg.epoch}`;
    }
    return null;
  },
};

// ---- eventually ----------------------------------------------------------------------------

const liveness: Invariant = {
  id: 'liveness', tag: 'eventually',
  title: 'After the last fault heals, recovery completes and every pending write commits or is annulled',
  why: 'Retransmission, gossip and recovery retries must make progress once the network is whole.',
  check(v) {
    return settled(v.final, v.oracle);
  },
};

const writesWithAzDown: Invariant = {
  id: 'writes-with-az-down', tag: 'eventually',
  title: 'With one whole AZ down, writes still commit',
  why: 'Four of six segments survive an AZ loss, which is still a write quorum.',
  check(v) {
    for (let az = 0; az < AZS.length; az++) {
      const problem = azDrill(v.final, az);
      if (problem !== null) return `AZ ${AZS[az]} down: ${problem}`;
    }
    return null;
  },
};

// ---- sometimes -----------------------------------------------------------------------------

const obs = (v: StepView, kind: string) => v.observations.some((o) => o.kind === kind);

const witnesses: Invariant[] = [
  {
    id: 'commit-after-crash', tag: 'sometimes',
    title: 'A commit acknowledged after a storage node or the writer crashed',
    why: 'Shows durability was exercised across crashes, not only in calm runs.',
    hit: (v) => obs(v, 'committed') && (v.memo.eventTypes.has('crashNode') || v.memo.eventTypes.has('crashWriter')),
  },
  {
    id: 'commit-after-recovery', tag: 'sometimes',
    title: 'A commit acknowledged by a writer that recovered',
    why: 'Shows new LSNs above the truncation range commit and stay readable.',
    hit: (v) => obs(v, 'committed') && v.memo.observationKinds.has('recovered'),
  },
  {
    id: 'recovery-truncated', tag: 'sometimes',
    title: 'A recovery that annulled records it found above the recovered VDL',
    why: 'Shows truncation really removed unacknowledged records.',
    hit: (v) => v.observations.some((o) => o.kind === 'recovered' && o.annulled > 0),
  },
  {
    id: 'recovery-blocked', tag: 'sometimes',
    title: 'A recovery that waited for a read quorum and said so',
    why: 'Shows recovery refuses to guess when too few segments answer.',
    hit: (v) => obs(v, 'recoveryBlocked'),
  },
  {
    id: 'crash-during-recovery', tag: 'sometimes',
    title: 'The writer crashed while recovering, and a later recovery finished',
    why: 'Shows epoch-versioned truncation ranges make an interrupted recovery unambiguous.',
    hit: (v) => obs(v, 'recovered') && v.memo.eventTypes.has('crashWriter') && v.memo.observationKinds.has('recoveryStarted')
      && v.observations.some((o) => o.kind === 'recovered' && o.epoch > 2),
  },
  {
    id: 'hedged-read', tag: 'sometimes',
    title: 'A read hedged to another segment after a timeout',
    why: 'Shows a slow or unreachable segment does not stall reads.',
    hit: (v) => obs(v, 'hedged'),
  },
  {
    id: 'read-from-segment', tag: 'sometimes',
    title: 'A read served by a storage segment',
    why: 'Shows the SCL-based read routing was used, not only the cache.',
    hit: (v) => v.observations.some((o) => o.kind === 'readOk' && o.values.some((x) => x.from !== 'cache')),
  },
  {
    id: 'read-from-cache', tag: 'sometimes',
    title: 'A read served from the writer\'s cache after later commits',
    why: 'Shows the cache stays correct as the volume moves on.',
    hit: (v) => v.observations.some((o) => o.kind === 'readOk' && o.values.some((x) => x.from === 'cache')),
  },
  {
    id: 'lal-reached', tag: 'sometimes',
    title: 'A transaction refused at the LSN allocation limit',
    why: 'Shows back-pressure engages when VDL lags.',
    hit: (v) => v.observations.some((o) => o.kind === 'refused' && o.reason === 'lal'),
  },
  {
    id: 'ooo-ack-quorum', tag: 'sometimes',
    title: 'A PG quorum completed by an acknowledgement delivered before one sent earlier',
    why: 'Shows watermarks advance correctly under reordering.',
    hit(v) {
      const msg = delivered(v);
      if (msg === null || msg.kind !== 'ack' || v.event.type !== 'deliver') return false;
      const c = choose(v.prev.world, v.event.node, v.event.k)!;
      const earlier = v.prev.world.net[WRITER]!.slice(0, c.index).some((m) => m.kind === 'ack');
      const a = up(v.prev);
      const b = up(v.next);
      if (!earlier || a === null || b === null || a.epoch !== b.epoch) return false;
      return watermarks(v.config, b).pgcl[msg.pg]! > watermarks(v.config, a).pgcl[msg.pg]!;
    },
  },
  {
    id: 'commit-az-partitioned', tag: 'sometimes',
    title: 'A commit acknowledged while a whole AZ was partitioned away',
    why: 'Shows writes stay available without one AZ.',
    hit: (v) => obs(v, 'committed') && AZS.some((_, az) => nodesOfAz(az).every((n) =>
      v.next.world.cuts.some((c) => c.includes(n) !== c.includes(WRITER)))),
  },
  {
    id: 'stale-epoch-refused', tag: 'sometimes',
    title: 'A segment refused a request of a stale epoch',
    why: 'Shows fencing was exercised.',
    hit: (v) => obs(v, 'staleRefused'),
  },
  {
    id: 'gossip-filled-hole', tag: 'sometimes',
    title: 'Gossip from a peer gave a segment records it was missing',
    why: 'Shows segments repair holes among themselves, without the writer.',
    hit(v) {
      const msg = delivered(v);
      if (msg === null || msg.kind !== 'gossipResp') return false;
      return v.next.storage[msg.to]!.volatile.queue.length > v.prev.storage[msg.to]!.volatile.queue.length;
    },
  },
];

export const INVARIANTS: readonly Invariant[] = [
  quorumIntersection, watermarkOrder, watermarkMonotonic, vdlIsCpl, commitRule, durability, azPlusOne,
  readAfterCommit, noPhantom, noHalfMtr, fencing,
  liveness, writesWithAzDown,
  ...witnesses,
];

