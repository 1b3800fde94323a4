// Guarantees about durability, availability, fencing and liveness.

import type { Invariant, StepView } from '../invariant.js';
import { specReadQuorum, specWriteQuorum } from '../spec.js';
import type { State, StorageNode } from '../../model/state.js';
import type { Lsn, Membership, NodeId } from '../../model/types.js';
import { AZS, STORAGE_NODES, isStorage, membersOf, nodesOfAz } from '../../model/types.js';
import { recoveredVdl } from '../../model/recovery.js';
import { isCommitted, type OracleTxn } from '../oracle.js';
import { azDrill, settled } from '../drills.js';
import { delivered, fromOracle, linkDown } from '../views.js';

/** lsn -> (PG, holders): the storage nodes whose segment of that PG persisted it. */
function holdersByLsn(s: State): Map<Lsn, { pg: number; nodes: Set<NodeId> }> {
  const out = new Map<Lsn, { pg: number; nodes: Set<NodeId> }>();
  for (const n of STORAGE_NODES) {
    s.storage[n]!.durable.segments.forEach((seg, pg) => {
      for (const r of seg.records) {
        const e = out.get(r.lsn) ?? { pg, nodes: new Set<NodeId>() };
        e.nodes.add(n);
        out.set(r.lsn, e);
      }
    });
  }
  return out;
}

/** Storage nodes whose segment of `pg` has coalesced past `lsn`: they hold its effect, if not the record. */
function coalescedPast(s: State, pg: number, lsn: Lsn): NodeId[] {
  return STORAGE_NODES.filter((n) => (s.storage[n]!.durable.segments[pg]?.gcPoint ?? 0) >= lsn);
}

/** Members of the PG whose segment is not blank (lost disk, hydrating): the ones recovery may ask. */
function intactMembers(s: State, pg: number): NodeId[] {
  return membersOf(s.control.pgs[pg]!).filter((n) => !s.storage[n]!.durable.segments[pg]!.blank);
}

/**
 * The state parts the durability checks read: the memberships and, of every segment on the given
 * nodes, what it holds (log, ranges, GC point) and whether it is blank. (Not its promises or its
 * PGMRPL, which change far more often.)
 */
interface Stamp {
  readonly pgs: readonly Membership[];
  readonly nodes: readonly StorageNode[];
}

function durableStamp(s: State, nodes: readonly NodeId[] = STORAGE_NODES): Stamp {
  return { pgs: s.control.pgs, nodes: nodes.map((n) => s.storage[n]!) };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.pgs === b.pgs && a.nodes.length === b.nodes.length && a.nodes.every((n, i) => sameHoldings(n, b.nodes[i]!));
}

const holdingsMemo = new WeakMap<StorageNode, readonly unknown[]>();

/** What a node's segments hold, memoized per node value (a node is an immutable value). */
function holdings(n: StorageNode): readonly unknown[] {
  let out = holdingsMemo.get(n);
  if (out === undefined) {
    out = n.durable.segments.flatMap((seg) => [seg.records, seg.ranges, seg.gcPoint, seg.blank]);
    holdingsMemo.set(n, out);
  }
  return out;
}

function sameHoldings(a: StorageNode, b: StorageNode): boolean {
  if (a === b || a.durable === b.durable) return true;
  const x = holdings(a);
  const y = holdings(b);
  return x.length === y.length && x.every((part, i) => part === y[i]);
}

function committedTxns(v: { oracle: { txns: readonly OracleTxn[] } }): OracleTxn[] {
  return v.oracle.txns.filter(isCommitted);
}

/**
 * Every committed record (acknowledged, or made durable by recovery) is held so that no read
 * quorum of the PG's intact members misses it: on a write quorum normally, and still readable
 * after a disk loss until a membership change restores the write quorum.
 */
export const durability: Invariant = {
  id: 'durability', tag: 'always',
  title: 'Every committed record is held where every read quorum of its PG will find it',
  why: 'A commit is acknowledged only once durable; losing it afterwards, through crashes, recoveries, failovers or membership changes, is data loss.',
  check(v) {
    const oracle = fromOracle('durability')(v);
    if (oracle !== null) return oracle;
    const atAck = durableWhenAcknowledged(v);
    if (atAck !== null) return atAck;
    const txns = committedTxns(v);
    if (txns.length === 0) return null;
    if (v.prev.storage === v.next.storage && v.prev.control === v.next.control && !v.observations.some((o) => o.kind === 'committed' || o.kind === 'recovered')) return null;
    // A committed transaction stays committed, and whether its records are held depends only on
    // what the segments hold and the memberships: while those are unchanged, only the
    // transactions committed since the last check need checking.
    const stamp = durableStamp(v.next);
    const last = v.memo.derived.get('durability') as { stamp: Stamp; checked: ReadonlySet<number> } | undefined;
    const checked = last !== undefined && sameStamp(last.stamp, stamp) ? new Set(last.checked) : new Set<number>();
    v.memo.derived.set('durability', { stamp, checked });
    let holdersMemo: Map<Lsn, { pg: number; nodes: Set<NodeId> }> | null = null;
    for (const t of txns) {
      if (checked.has(t.txn)) continue;
      checked.add(t.txn);
      const holders = (holdersMemo ??= holdersByLsn(v.next));
      for (let lsn = t.firstLsn; lsn <= t.commitLsn; lsn++) {
        const pg = t.pgs[lsn - t.firstLsn]!;
        const h = holders.get(lsn) ?? { pg, nodes: new Set<NodeId>() };
        const intact = intactMembers(v.next, pg);
        const past = coalescedPast(v.next, pg, lsn);
        if (h.pg !== pg) return `txn ${t.txn}: record ${lsn} is in PG ${h.pg}, but its write belongs to PG ${pg}`;
        const missing = intact.filter((n) => !h.nodes.has(n) && !past.includes(n));
        if (specReadQuorum(v.config, v.next.control.pgs[h.pg]!, missing)) {
          return `txn ${t.txn} (committed at ${t.commitLsn}): record ${lsn} of PG ${h.pg} is held by {${[...h.nodes]}}; read quorum {${missing}} misses it`;
        }
      }
    }
    return null;
  },
};

/**
 * At the moment a commit is acknowledged, every record of the transaction is persisted on a write
 * quorum (the design's rule, restated in spec.ts) of every set of its PG's membership (a member
 * whose disk was lost since is given the benefit of the doubt).
 */
function durableWhenAcknowledged(v: Parameters<Extract<Invariant, { tag: 'always' }>['check']>[0]): string | null {
  const acks = v.observations.filter((o) => o.kind === 'committed');
  if (acks.length === 0) return null;
  const holders = holdersByLsn(v.next);
  for (const o of acks) {
    if (o.kind !== 'committed') continue;
    const t = v.oracle.txns[o.txn]!;
    for (let lsn = t.firstLsn; lsn <= t.commitLsn; lsn++) {
      const pg = t.pgs[lsn - t.firstLsn]!;
      // A member that lost its disk may have held it when it acknowledged (a failure within the budget).
      const blank = STORAGE_NODES.filter((n) => v.next.storage[n]!.durable.segments[pg]?.blank === true);
      const nodes = new Set([...(holders.get(lsn)?.nodes ?? []), ...coalescedPast(v.next, pg, lsn), ...blank]);
      if (!specWriteQuorum(v.config, v.next.control.pgs[pg]!, nodes)) {
        return `txn ${o.txn} acknowledged at ${o.commitLsn} with record ${lsn} of PG ${pg} only on {${[...nodes]}}`;
      }
    }
  }
  return null;
}

/**
 * AZ+1: whichever AZ and one more node are lost, recovery from the durable state of what is left
 * (when that still holds a read quorum of every PG) finds every committed transaction.
 */
/**
 * For every cut of an AZ and one more node that leaves a read quorum of every PG: the VDL
 * recovery finds from the durable state of what is left. A pure function of the durable storage
 * and the memberships, so it is reused while they are the same values; and per cut, recovery's
 * VDL is reused while the segments it reads hold the same.
 */
function recoveredCuts(v: StepView): readonly { az: number; extra: NodeId; vdl: Lsn }[] {
  const stamp = durableStamp(v.next);
  const known = v.memo.derived.get('az-plus-one') as { stamp: Stamp; cuts: readonly { az: number; extra: NodeId; vdl: Lsn }[] } | undefined;
  if (known !== undefined && sameStamp(known.stamp, stamp)) return known.cuts;
  const cuts: { az: number; extra: NodeId; vdl: Lsn }[] = [];
  let intact: NodeId[][] | undefined;
  for (let az = 0; az < AZS.length; az++) {
    const down = nodesOfAz(az);
    for (const extra of STORAGE_NODES.filter((n) => !down.includes(n))) {
      const alive = (n: NodeId) => !down.includes(n) && n !== extra;
      // What this cut reads: the memberships and what the segments of the nodes left hold.
      const key = `az-plus-one ${az} ${extra}`;
      const parts = durableStamp(v.next, STORAGE_NODES.filter(alive));
      const last = v.memo.derived.get(key) as { parts: Stamp; vdl: Lsn | null } | undefined;
      let vdl: Lsn | null;
      if (last !== undefined && sameStamp(last.parts, parts)) vdl = last.vdl;
      else {
        intact ??= v.next.control.pgs.map((_, pg) => intactMembers(v.next, pg));
        const responses = v.next.control.pgs.map((_, pg) => intact![pg]!.filter(alive).map((node) => {
          const seg = v.next.storage[node]!.durable.segments[pg]!;
          return { node, records: seg.records, ranges: seg.ranges, gcPoint: seg.gcPoint };
        }));
        const readable = responses.every((rs, pg) => specReadQuorum(v.config, v.next.control.pgs[pg]!, rs.map((r) => r.node)));
        vdl = readable ? recoveredVdl(responses) : null;
        v.memo.derived.set(key, { parts, vdl });
      }
      if (vdl !== null) cuts.push({ az, extra, vdl });
    }
  }
  v.memo.derived.set('az-plus-one', { stamp, cuts });
  return cuts;
}

export const azPlusOne: Invariant = {
  id: 'az-plus-one-recovery', tag: 'always',
  title: 'With an AZ and one more node down, recovery still finds every acknowledged commit',
  why: 'The design target AZ+1: losing a whole AZ plus one more node loses no data.',
  check(v) {
    const txns = committedTxns(v);
    if (txns.length === 0) return null;
    if (v.prev.storage === v.next.storage && v.prev.control === v.next.control && !v.observations.some((o) => o.kind === 'committed' || o.kind === 'recovered')) return null;
    const need = Math.max(...txns.map((t) => t.commitLsn));
    for (const { az, extra, vdl } of recoveredCuts(v)) {
      if (vdl < need) return `with AZ ${AZS[az]} and ${extra} down, recovery finds VDL ${vdl}, below committed ${need}`;
    }
    return null;
  },
};

/** A single `deliver` of a stale request must be refused on the spot. */
function staleDeliveryTaken(v: Parameters<Extract<Invariant, { tag: 'always' }>['check']>[0]): string | null {
  const msg = delivered(v);
  if (msg === null || !isStorage(msg.to) || !('pg' in msg) || msg.kind.startsWith('gossip')) return null;
  if (!v.prev.storage[msg.to]!.volatile.up || linkDown(v.prev, msg.from, msg.to)) return null;
  const before = v.prev.storage[msg.to]!;
  const seg = before.durable.segments[msg.pg]!;
  const staleMembership = 'membership' in msg && msg.membership < seg.membership;
  if (msg.epoch >= seg.epoch && !staleMembership) return null;
  const after = v.next.storage[msg.to]!;
  if (!v.observations.some((o) => o.kind === 'staleRefused' && o.node === msg.to)) {
    return `${msg.to} took a ${msg.kind} of epoch ${msg.epoch} though it promised epoch ${seg.epoch} (membership ${seg.membership})`;
  }
  if (after.durable !== before.durable || after.volatile.queue.length !== before.volatile.queue.length) {
    return `${msg.to} changed its state on a stale ${msg.kind} of epoch ${msg.epoch}`;
  }
  return null;
}

/**
 * Whatever delivered it (one deliver, deliverAll, a tick): a segment's promises never go back
 * within an incarnation, nothing enters its queue under an epoch it had already outgrown, and
 * nothing is persisted from a queue entry of such an epoch.
 */
function staleStateTaken(v: Parameters<Extract<Invariant, { tag: 'always' }>['check']>[0]): string | null {
  for (const n of STORAGE_NODES) {
    const a = v.prev.storage[n]!;
    const b = v.next.storage[n]!;
    if (a === b) continue;
    let queuedBefore: Set<unknown> | undefined;
    for (let pg = 0; pg < a.durable.segments.length; pg++) {
      const x = a.durable.segments[pg]!;
      const y = b.durable.segments[pg]!;
      if (x.incarnation !== y.incarnation) continue;
      if (y.epoch < x.epoch || y.sealedEpoch < x.sealedEpoch || y.membership < x.membership) {
        return `${n} PG ${pg} went back from epoch ${x.epoch}/sealed ${x.sealedEpoch}/membership ${x.membership} to ${y.epoch}/${y.sealedEpoch}/${y.membership}`;
      }
      const queued = (queuedBefore ??= new Set(a.volatile.queue));
      const fresh = a.volatile.queue === b.volatile.queue ? [] : b.volatile.queue.filter((e) => e.pg === pg && !queued.has(e));
      const stale = fresh.find((e) => e.epoch < x.epoch);
      if (stale !== undefined) return `${n} PG ${pg} queued record ${stale.record.lsn} under epoch ${stale.epoch} after promising epoch ${x.epoch}`;
      if (x.records === y.records) continue;
      const held = new Set(x.records);
      for (const r of y.records) {
        if (held.has(r)) continue;
        const from = a.volatile.queue.find((e) => e.pg === pg && e.record.lsn === r.lsn && e.epoch >= x.epoch);
        if (from === undefined) return `${n} PG ${pg} persisted record ${r.lsn} without a queue entry of its current epoch ${x.epoch}`;
      }
    }
  }
  return null;
}

export const fencing: Invariant = {
  id: 'fencing', tag: 'always',
  title: 'A request of a stale volume or membership epoch is refused and changes nothing on the segment',
  why: 'The epoch bump on a write quorum fences the old writer without waiting for a lease; membership epochs keep an old configuration out.',
  check: (v) => staleDeliveryTaken(v) ?? staleStateTaken(v),
};

/**
 * Liveness is owed only within the fault budget: a PG whose intact (not blank) members no longer
 * hold a read quorum has lost more than AZ+1 allows, and nothing can recover it.
 */
export const liveness: Invariant = {
  id: 'liveness', tag: 'eventually',
  title: 'After the last fault heals, recovery completes and every pending write commits or is annulled',
  why: 'Retransmission, gossip, hydration and recovery retries must make progress once the network is whole.',
  check(v) {
    return withinFaultBudget(v.final) ? settled(v.final, v.oracle) : null;
  },
};

/** Every PG still has a read quorum of intact (not blank) segments: the AZ+1 budget holds. */
export function withinFaultBudget(s: State): boolean {
  return s.control.pgs.every((m, pg) => specReadQuorum(s.config, m, intactMembers(s, pg)));
}

export const writesWithAzDown: Invariant = {
  id: 'writes-with-az-down', tag: 'eventually',
  title: 'With one whole AZ down, writes still commit',
  why: 'Four of six segments survive an AZ loss, which is still a write quorum.',
  check(v) {
    if (!withinFaultBudget(v.final)) return null;
    for (let az = 0; az < AZS.length; az++) {
      const problem = azDrill(v.final, az);
      if (problem !== null) return `AZ ${AZS[az]} down: ${problem}`;
    }
    return null;
  },
};
