// Guarantees about quorums, watermarks and the commit rule.

import type { Invariant } from '../invariant.js';
import { checkIntersection, describeQuorum, wins, type QuorumPair } from '../../model/quorum.js';
import type { Config, Lsn, Membership, RedoRecord } from '../../model/types.js';
import { ruleKey, specReadQuorum, specWriteQuorum } from '../spec.js';
import { STORAGE_NODES, membersOf, quorumsFor } from '../../model/types.js';
import { sclOf } from '../../model/log.js';
import { findIn } from '../../model/frozen.js';
import { fromOracle, marksOf, writerOf } from '../views.js';
import { isWriterUp } from '../../model/state.js';
import { writerSclBackwards } from './segments.js';

/** The exhaustive check is memoized per quorum pair: memberships repeat. */
const intersections = new Map<string, ReturnType<typeof checkIntersection>>();
function intersectionOf(pair: QuorumPair): ReturnType<typeof checkIntersection> {
  const key = `${describeQuorum(pair.write)}|${describeQuorum(pair.read)}`;
  if (!intersections.has(key)) intersections.set(key, checkIntersection(pair));
  return intersections.get(key)!;
}

export const quorumIntersection: Invariant = {
  id: 'quorum-intersection', tag: 'always',
  title: 'Every read quorum meets every write quorum; any two write quorums meet, at every membership step',
  why: 'Vr + Vw > V lets recovery see every committed write, and 2 Vw > V keeps two writers from both completing.',
  check(v) {
    if (v.prev.control.pgs === v.next.control.pgs && v.index > 0) return null;
    for (const [pg, m] of v.next.control.pgs.entries()) {
      const bad = perMembership(disjointMemo, v.config, m, disjointQuorums);
      if (bad !== null) return `PG ${pg}: ${bad}`;
    }
    return null;
  },
};

/**
 * A pure function of (config, membership), remembered per pair of values: a membership change
 * replaces one PG's membership and leaves the others' values as they were. The checks read only
 * the membership's sets and full segments (the model's quorumsFor and the spec's rules read no
 * more), so a new membership value with the same sets and full segments, as every history's
 * first memberships are, gets the answer remembered for them.
 */
function perMembership<T>(memo: PerMembership<T>, config: Config, m: Membership, f: (config: Config, m: Membership) => T): T {
  let known = memo.get(config);
  if (known === undefined) memo.set(config, (known = { byValue: new WeakMap(), byContent: new Map() }));
  if (known.byValue.has(m)) return known.byValue.get(m)!;
  const key = ruleKey(m);
  const out = known.byContent.has(key) ? known.byContent.get(key)! : f(config, m);
  known.byContent.set(key, out);
  known.byValue.set(m, out);
  return out;
}

type PerMembership<T> = WeakMap<Config, { readonly byValue: WeakMap<Membership, T>; readonly byContent: Map<string, T> }>;

const disjointMemo: PerMembership<string | null> = new WeakMap();

function disjointQuorums(config: Config, m: Membership): string | null {
  const pair = quorumsFor(config, m);
  const bad = intersectionOf(pair);
  if (bad === null) return null;
  return `${bad.kind} quorums {${bad.first}} and {${bad.second}} are disjoint (write ${describeQuorum(pair.write)}, read ${describeQuorum(pair.read)})`;
}

/**
 * The model's quorum expressions are the design's rules (spec.ts restates them independently):
 * for every subset of a PG's members, the model's write and read quorums win exactly when the
 * spec's do. Checked whenever a membership changes.
 */
export const quorumRules: Invariant = {
  id: 'quorum-rules', tag: 'always',
  title: 'Quorums are the design\'s: 4/6 writes, 3/6 reads (full/tail: 4/6 or 3/3 full; 3/6 and a full one), every set during a change',
  why: 'A quorum that is smaller, or that counts only the new set during a membership change, loses acknowledged writes.',
  check(v) {
    if (v.prev.control.pgs === v.next.control.pgs && v.index > 0) return null;
    for (const [pg, m] of v.next.control.pgs.entries()) {
      const bad = perMembership(mismatchMemo, v.config, m, quorumMismatch);
      if (bad !== null) return `PG ${pg}: ${bad}`;
    }
    return null;
  },
};

const mismatchMemo: PerMembership<string | null> = new WeakMap();
const mismatches = new Map<string, string | null>();
function quorumMismatch(config: Config, m: Membership): string | null {
  // The bugs are part of the key: a mutant's quorums (properties/mutants.ts) are not the design's.
  const key = `${config.layout}|${config.bugs?.join(',') ?? ''}|${m.sets.map((s) => s.join(',')).join('+')}|${m.full.join(',')}`;
  if (mismatches.has(key)) return mismatches.get(key)!;
  const members = membersOf(m);
  const pair = quorumsFor(config, m);
  let out: string | null = null;
  for (let mask = 0; mask < 1 << members.length && out === null; mask++) {
    const yes = members.filter((_, i) => (mask & (1 << i)) !== 0);
    if (wins(pair.write, yes) !== specWriteQuorum(config, m, yes)) out = `write quorum disagrees with the design on {${yes}}`;
    else if (wins(pair.read, yes) !== specReadQuorum(config, m, yes)) out = `read quorum disagrees with the design on {${yes}}`;
  }
  mismatches.set(key, out);
  return out;
}

/**
 * Checked on the step a membership change takes a node into a PG (the control plane's begin): the
 * node's segment there was just reset to a new, empty incarnation, so no writer up may hold an SCL
 * or a seal of it yet. What the node reported as an earlier member is about a segment that is gone.
 */
export const replacementStartsUnknown: Invariant = {
  id: 'replacement-starts-unknown', tag: 'always',
  title: 'A segment taken as a replacement starts unknown to every writer: no SCL or seal its node reported before counts',
  why: 'The replacement is a new, empty segment; an SCL from its node\'s earlier segment would count it in the new set\'s write quorum for records it does not hold, and acknowledge commits that are not durable.',
  check(v) {
    if (v.prev.control.pgs === v.next.control.pgs) return null;
    for (const [pg, m] of v.next.control.pgs.entries()) {
      const before = v.prev.control.pgs[pg];
      if (before === undefined || before === m) continue;
      for (const n of membersOf(m)) {
        if (membersOf(before).includes(n)) continue;
        for (const [node, w] of Object.entries(v.next.compute)) {
          if (!isWriterUp(w)) continue;
          const scl = w.scl[pg]?.[n];
          const sealed = w.sealed[pg]?.[n];
          if (scl !== undefined || sealed !== undefined) return `${n} joined PG ${pg} as a replacement, and writer ${node} still holds its SCL ${scl ?? 'none'}, sealed ${sealed ?? 'no'}`;
        }
      }
    }
    return null;
  },
};

export const watermarkOrder: Invariant = {
  id: 'watermark-order', tag: 'always',
  title: 'VDL <= VCL <= highest allocated LSN <= VDL + LAL',
  why: 'The LSN allocation limit is the writer\'s back-pressure and bounds what recovery must truncate.',
  check(v) {
    const oracle = fromOracle('watermark-order')(v);
    const x = writerOf(v.next);
    if (oracle !== null || x === null) return oracle;
    const m = marksOf(v.next, x.w);
    if (!(m.vdl <= m.vcl && m.vcl <= m.allocated && m.allocated <= m.vdl + v.config.lal)) {
      return `VDL ${m.vdl}, VCL ${m.vcl}, allocated ${m.allocated}, LAL ${v.config.lal}`;
    }
    return null;
  },
};

export const watermarkMonotonic: Invariant = {
  id: 'watermark-monotonic', tag: 'always',
  title: 'SCL, PGCL, VCL and VDL never move backwards, except through recovery truncation',
  why: 'Acknowledged commits and read points are promises made against these watermarks.',
  check(v) {
    const a = writerOf(v.prev);
    const b = writerOf(v.next);
    if (b !== null && (a === null || a.w.epoch !== b.w.epoch) && b.w.base < v.memo.vdlMax) {
      return `writer ${b.node} of epoch ${b.w.epoch} starts at ${b.w.base}, below VDL ${v.memo.vdlMax} reached before`;
    }
    if (a !== null && b !== null && a.node === b.node && a.w.epoch === b.w.epoch) {
      const x = marksOf(v.prev, a.w);
      const y = marksOf(v.next, b.w);
      if (y.vdl < x.vdl || y.vcl < x.vcl) return `VDL ${x.vdl} -> ${y.vdl}, VCL ${x.vcl} -> ${y.vcl}`;
      const view = a.w.scl === b.w.scl && a.w.incarnations === b.w.incarnations ? null : writerSclBackwards(a.w, b.w);
      if (view !== null) return view;
      const pg = y.pgcl.findIndex((p, i) => p < (x.pgcl[i] ?? -1));
      if (pg >= 0) return `PGCL of PG ${pg}: ${x.pgcl[pg]} -> ${y.pgcl[pg]}`;
    }
    for (const n of STORAGE_NODES) {
      const before = v.prev.storage[n]!.durable.segments;
      const after = v.next.storage[n]!.durable.segments;
      if (before === after) continue;
      for (let pg = 0; pg < before.length; pg++) {
        const s0 = before[pg]!;
        const s1 = after[pg]!;
        if (s0 === s1 || s0.sealedEpoch !== s1.sealedEpoch || s0.incarnation !== s1.incarnation) continue;
        const x = sclOf(s0);
        const y = sclOf(s1);
        if (y < x) return `SCL of ${n} PG ${pg} went ${x} -> ${y} within epoch ${s1.sealedEpoch}`;
      }
    }
    return null;
  },
};

export const vdlIsCpl: Invariant = {
  id: 'vdl-is-cpl', tag: 'always',
  title: 'VDL is always a consistency point: the end of an MTR, or the base recovery left',
  why: 'Read points and recovery stop at VDL, so an MTR is either wholly visible or not at all.',
  check(v) {
    const x = writerOf(v.next);
    if (x === null) return null;
    const { vdl } = marksOf(v.next, x.w);
    // Below the writer's released point, the last CPL it released stands for the records it dropped.
    if (vdl === x.w.base || cplAt(x.w.records, vdl) || (vdl === x.w.releasedCpl && vdl <= x.w.released)) return null;
    return `VDL ${vdl} is neither base ${x.w.base} nor the last record of an MTR (released to ${x.w.released}, last CPL there ${x.w.releasedCpl})`;
  },
};

export const writerRelease: Invariant = {
  id: 'writer-release', tag: 'always',
  title: 'The writer drops a record from its log only once every member holds it and no read can need it',
  why: 'Retransmission to lagging members, read routing and the page versions a read caches come from the writer\'s log: a record dropped too early is one a member or a pending read still needs.',
  check(v) {
    const b = writerOf(v.next);
    if (b === null) return null;
    const w = b.w;
    const { vdl } = marksOf(v.next, w);
    if (w.released > vdl) return `released ${w.released} is above VDL ${vdl}`;
    // A read's page versions above its point come from the log (and its routing floor below it).
    for (const r of w.reads) if (r.readPoint < w.released) return `read ${r.read} is pending at ${r.readPoint}, below the released ${w.released}`;
    const a = writerOf(v.prev);
    if (a === null || a.node !== b.node || a.w.epoch !== b.w.epoch || a.w.released === w.released) return null;
    if (w.released < a.w.released) return `released went ${a.w.released} -> ${w.released} within epoch ${w.epoch}`;
    // The records released in this step: every member of their PG reported holding each.
    let cpl = a.w.releasedCpl;
    const lastPg = [...a.w.releasedLastPg];
    let end = 0;
    for (const r of a.w.records) {
      if (r.lsn > w.released) break;
      end = r.lsn;
      const scl = w.scl[r.pg] ?? {};
      const lagging = membersOf(v.next.control.pgs[r.pg]!).filter((m) => (scl[m] ?? -1) < r.lsn);
      if (lagging.length > 0) return `record ${r.lsn} of PG ${r.pg} released while ${lagging.join(', ')} had not reported holding it`;
      if (r.cpl) cpl = r.lsn;
      lastPg[r.pg] = r.lsn;
    }
    if (end !== w.released) return `released ${w.released} is not the end of a prefix of the log (last record there ${end})`;
    if (cpl !== w.releasedCpl) return `the last CPL released is ${cpl}, the writer keeps ${w.releasedCpl}`;
    const pg = lastPg.findIndex((l, i) => (l ?? 0) !== (w.releasedLastPg[i] ?? 0));
    if (pg >= 0) return `PG ${pg}'s last record released is ${lastPg[pg]}, the writer keeps ${w.releasedLastPg[pg]}`;
    return null;
  },
};

/**
 * Some record at `lsn` ends an MTR. The same answer as records.some(...), searched from the end:
 * VDL is usually among the writer's last records, so this stops after a few.
 */
function cplAt(records: readonly RedoRecord[], lsn: Lsn): boolean {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.lsn === lsn && records[i]!.cpl) return true;
  return false;
}

export const commitRule: Invariant = {
  id: 'commit-rule', tag: 'always',
  title: 'A commit is acknowledged exactly when VDL reaches its commit LSN, once',
  why: 'Acknowledging earlier promises durability the log does not have; later stalls clients.',
  check(v) {
    const oracle = fromOracle('commit-rule')(v);
    if (oracle !== null) return oracle;
    for (const o of v.observations) {
      if (o.kind !== 'committed') continue;
      const w = v.next.compute[o.by];
      const before = v.prev.compute[o.by];
      // A writer fenced later in the same step (deliverAll) acknowledged while still active.
      if (w === undefined || w.status !== 'active') {
        if (before !== undefined && before.status === 'active' && v.observations.some((x) => x.kind === 'fenced' && x.node === o.by)) continue;
        return `txn ${o.txn} acknowledged by ${o.by}, which is not an active writer`;
      }
      const { vdl } = marksOf(v.next, w);
      if (o.commitLsn > vdl) return `txn ${o.txn} acknowledged at ${o.commitLsn} with VDL ${vdl}`;
    }
    const x = writerOf(v.next);
    if (x === null || x.w.status !== 'active') return null;
    const { vdl } = marksOf(v.next, x.w);
    const late = findIn(x.w.pendingTxns, (t) => t.commitLsn <= vdl);
    if (late !== undefined) return `txn ${late.txn} (commit ${late.commitLsn}) not acknowledged though VDL is ${vdl}`;
    return null;
  },
};
