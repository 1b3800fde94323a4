// Guarantees about durability, availability, fencing and liveness.

import type { Invariant, StepView } from '../invariant.js';
import { ruleKey, specReadQuorum, specWriteQuorum } from '../spec.js';
import type { SegmentDurable, State, StorageNode } from '../../model/state.js';
import type { Config, Lsn, Membership, NodeId } from '../../model/types.js';
import { AZS, STORAGE_NODES, isStorage, membersOf, nodesOfAz } from '../../model/types.js';
import { recoveredVdl } from '../../model/recovery.js';
import { findIn } from '../../model/frozen.js';
import { isCommitted } from '../oracle.js';
import { azDrill, settled } from '../drills.js';
import { delivered, fromOracle, linkDown } from '../views.js';

/**
 * Per LSN (an index: LSNs are small positive integers), the PG of the first segment found holding
 * it (node by node, PG by PG) and, as bits of STORAGE_NODES, the nodes whose segment of a PG holds
 * it. Two arrays rather than a map of a set per LSN: built on every change of what storage holds,
 * the map and its sets were most of the check's allocation (the nodes, for a message, are the
 * mask's: STORAGE_NODES order, the order they were added to the set in).
 */
interface Holders {
  readonly pg: number[];
  readonly mask: number[];
}

/** The nodes in a mask of STORAGE_NODES bits, in STORAGE_NODES order. */
function nodesIn(mask: number): NodeId[] {
  return STORAGE_NODES.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** holdersByLsn of the last storage value asked: `durability` asks twice in a step that acknowledges. */
let holdersMemo: { readonly storage: State['storage']; readonly holders: Holders } | null = null;

/** lsn -> (PG, holders): the storage nodes whose segment of that PG persisted it (as bits of STORAGE_NODES). */
function holdersByLsn(s: State): Holders {
  // A pure function of the storage value (immutable), so the last answer stands while it is the same.
  if (holdersMemo !== null && holdersMemo.storage === s.storage && Object.isFrozen(s.storage)) return holdersMemo.holders;
  const out = holdersOf(s);
  holdersMemo = { storage: s.storage, holders: out };
  return out;
}

function holdersOf(s: State): Holders {
  const out: Holders = { pg: [], mask: [] };
  for (let i = 0; i < STORAGE_NODES.length; i++) {
    const segments = s.storage[STORAGE_NODES[i]!]!.durable.segments;
    for (let pg = 0; pg < segments.length; pg++) {
      for (const r of segments[pg]!.records) {
        if (out.pg[r.lsn] === undefined) {
          out.pg[r.lsn] = pg;
          out.mask[r.lsn] = 0;
        }
        out.mask[r.lsn]! |= 1 << i;
      }
    }
  }
  return out;
}

/** coalescedPast as bits of STORAGE_NODES. */
function coalescedPastMask(s: State, pg: number, lsn: Lsn): number {
  let bits = 0;
  for (let i = 0; i < STORAGE_NODES.length; i++) if ((s.storage[STORAGE_NODES[i]!]!.durable.segments[pg]?.gcPoint ?? 0) >= lsn) bits |= 1 << i;
  return bits;
}

/** intactMembers as bits of STORAGE_NODES. */
function intactMask(s: State, pg: number): number {
  let bits = 0;
  for (const n of intactMembers(s, pg)) bits |= 1 << STORAGE_NODES.indexOf(n);
  return bits;
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

function durableStamp(s: State): Stamp {
  return { pgs: s.control.pgs, nodes: STORAGE_NODES.map((n) => s.storage[n]!) };
}

/** The stamp of `s` is `a`'s: the same memberships, and every storage node holds the same. */
function sameStamp(a: Stamp, s: State): boolean {
  if (a.pgs !== s.control.pgs) return false;
  for (let i = 0; i < STORAGE_NODES.length; i++) if (!sameHoldings(a.nodes[i]!, s.storage[STORAGE_NODES[i]!]!)) return false;
  return true;
}

/** The two node values' segments hold the same (log, ranges, GC point, blank), part by part. */
function sameHoldings(a: StorageNode, b: StorageNode): boolean {
  if (a === b || a.durable === b.durable) return true;
  const x = a.durable.segments;
  const y = b.durable.segments;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let pg = 0; pg < x.length; pg++) {
    const p = x[pg]!;
    const q = y[pg]!;
    if (p !== q && (p.records !== q.records || p.ranges !== q.ranges || p.gcPoint !== q.gcPoint || p.blank !== q.blank)) return false;
  }
  return true;
}

/** The step acknowledged a commit or finished a recovery. */
function commitOrRecovery(observations: StepView['observations']): boolean {
  for (const o of observations) if (o.kind === 'committed' || o.kind === 'recovered') return true;
  return false;
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
    if (v.prev.storage === v.next.storage && v.prev.control === v.next.control && !commitOrRecovery(v.observations)) return null;
    // The committed transactions, read in place (most steps check none of them anew).
    const txns = v.oracle.txns;
    if (!txns.some(isCommitted)) return null;
    // A committed transaction stays committed, and whether its records are held depends only on
    // what the segments hold and the memberships: while those are unchanged, only the
    // transactions committed since the last check need checking.
    const last = v.memo.derived.get('durability') as { stamp: Stamp; checked: Set<number> } | undefined;
    let checked: Set<number>;
    if (last !== undefined && sameStamp(last.stamp, v.next)) checked = last.checked;
    else v.memo.derived.set('durability', { stamp: durableStamp(v.next), checked: (checked = new Set<number>()) });
    let holdersMemo: Holders | null = null;
    const intactOf: number[] = [];
    for (const t of txns) {
      if (!isCommitted(t) || checked.has(t.txn)) continue;
      checked.add(t.txn);
      const holders = (holdersMemo ??= holdersByLsn(v.next));
      for (let lsn = t.firstLsn; lsn <= t.commitLsn; lsn++) {
        const pg = t.pgs[lsn - t.firstLsn]!;
        const hPg = holders.pg[lsn] ?? pg;
        const hMask = holders.mask[lsn] ?? 0;
        const intact = (intactOf[pg] ??= intactMask(v.next, pg));
        if (hPg !== pg) return `txn ${t.txn}: record ${lsn} is in PG ${hPg}, but its write belongs to PG ${pg}`;
        // The intact members that neither hold the record nor coalesced past it, as bits.
        const missingMask = intact & ~hMask & ~coalescedPastMask(v.next, pg, lsn);
        if (readQuorumOf(v.config, v.next.control.pgs[hPg]!, missingMask)) {
          const past = coalescedPast(v.next, pg, lsn);
          const held = nodesIn(hMask);
          const missing = intactMembers(v.next, pg).filter((n) => !held.includes(n) && !past.includes(n));
          return `txn ${t.txn} (committed at ${t.commitLsn}): record ${lsn} of PG ${hPg} is held by {${held}}; read quorum {${missing}} misses it`;
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
      // As bits of STORAGE_NODES first (the usual answer, memoized); as nodes for the message.
      const mask = (holders.mask[lsn] ?? 0) | coalescedPastMask(v.next, pg, lsn) | blankMask(v.next, pg);
      if (!writeQuorumOf(v.config, v.next.control.pgs[pg]!, mask)) {
        const blank = STORAGE_NODES.filter((n) => v.next.storage[n]!.durable.segments[pg]?.blank === true);
        const nodes = new Set([...nodesIn(holders.mask[lsn] ?? 0), ...coalescedPast(v.next, pg, lsn), ...blank]);
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

/** An AZ and one more storage node down; `alive` has bit i set for STORAGE_NODES[i] left up. */
interface Cut {
  readonly az: number;
  readonly extra: NodeId;
  readonly alive: number;
}

const CUTS: readonly Cut[] = AZS.flatMap((_, az) => {
  const down = nodesOfAz(az);
  return STORAGE_NODES.filter((n) => !down.includes(n)).map((extra) => ({
    az, extra,
    alive: STORAGE_NODES.reduce((bits, n, i) => (!down.includes(n) && n !== extra ? bits | (1 << i) : bits), 0),
  }));
});

/** What recovery read under a cut, when it last ran: per PG the membership and the responders, then each responder's parts. */
interface CutInput {
  readonly pgs: readonly Membership[];
  /** Per PG, bit i: STORAGE_NODES[i] responded. */
  readonly masks: readonly number[];
  /** records, ranges, gcPoint of each response, PG by PG. */
  readonly parts: readonly unknown[];
  /** The same, without a response that repeats the one just before it (see vdlOfSameReads). */
  readonly reads: readonly unknown[];
  readonly vdl: Lsn | null;
}

/**
 * A quorum rule over node sets given as bits of STORAGE_NODES, memoized per membership, layout
 * and node set. The spec's rules read only the membership's sets and full segments (and the
 * layout), so memberships with the same sets and full segments share answers: every history
 * starts from new membership values with the same contents, and reuses what earlier ones found.
 */
function maskQuorum(spec: (config: Config, m: Membership, nodes: NodeId[]) => boolean): (config: Config, m: Membership, mask: number) => boolean {
  const byContent = new Map<string, Map<number, boolean>>();
  const memo = new WeakMap<Membership, Map<number, boolean>>();
  return (config, m, mask) => {
    let known = memo.get(m);
    if (known === undefined) {
      const key = ruleKey(m);
      known = byContent.get(key);
      if (known === undefined) byContent.set(key, (known = new Map()));
      memo.set(m, known);
    }
    const key = config.layout === 'fullTail' ? mask | (1 << STORAGE_NODES.length) : mask;
    let out = known.get(key);
    if (out === undefined) {
      out = spec(config, m, STORAGE_NODES.filter((_, i) => (mask & (1 << i)) !== 0));
      known.set(key, out);
    }
    return out;
  };
}

/** specReadQuorum of the nodes in a mask. */
const readQuorumOf = maskQuorum(specReadQuorum);

/** Storage nodes whose segment of `pg` is blank (lost disk, hydrating), as bits of STORAGE_NODES. */
function blankMask(s: State, pg: number): number {
  let bits = 0;
  for (let i = 0; i < STORAGE_NODES.length; i++) if (s.storage[STORAGE_NODES[i]!]!.durable.segments[pg]?.blank === true) bits |= 1 << i;
  return bits;
}

/** specWriteQuorum of the nodes in a mask. */
const writeQuorumOf = maskQuorum(specWriteQuorum);

/** The input recorded in `last` is what the cut reads now (same memberships, responders and parts). */
function sameInput(last: CutInput, s: State, masks: readonly number[]): boolean {
  const pgs = s.control.pgs;
  if (last.masks.length !== masks.length) return false;
  let k = 0;
  for (let pg = 0; pg < masks.length; pg++) {
    if (last.pgs[pg] !== pgs[pg] || last.masks[pg] !== masks[pg]) return false;
    for (let i = 0; i < STORAGE_NODES.length; i++) {
      if ((masks[pg]! & (1 << i)) === 0) continue;
      const seg = s.storage[STORAGE_NODES[i]!]!.durable.segments[pg]!;
      if (last.parts[k] !== seg.records || last.parts[k + 1] !== seg.ranges || last.parts[k + 2] !== seg.gcPoint) return false;
      k += 3;
    }
  }
  return true;
}

/**
 * For every cut of an AZ and one more node that leaves a read quorum of every PG: the VDL
 * recovery finds from the durable state of what is left. A pure function of the durable storage
 * and the memberships, so it is reused while they are the same values; per cut, recovery's VDL is
 * reused while it would read the same (the same responders holding the same), and within a step
 * it is computed once for cuts whose responders are the same, or whose responders return the same
 * (vdlOfSameReads).
 */
function recoveredCuts(v: StepView): readonly { az: number; extra: NodeId; vdl: Lsn }[] {
  const known = v.memo.derived.get('az-plus-one') as { stamp: Stamp; cuts: readonly { az: number; extra: NodeId; vdl: Lsn }[] } | undefined;
  if (known !== undefined && sameStamp(known.stamp, v.next)) return known.cuts;
  const s = v.next;
  const pgs = s.control.pgs;
  // Per PG, the members whose segment is not blank: the ones recovery may ask.
  const intact = pgs.map((m, pg) => membersOf(m).reduce((bits, n) => (s.storage[n]!.durable.segments[pg]!.blank ? bits : bits | (1 << STORAGE_NODES.indexOf(n))), 0));
  const inputs = (v.memo.derived.get('az-plus-one cuts') as (CutInput | undefined)[] | undefined) ?? [];
  const cuts: { az: number; extra: NodeId; vdl: Lsn }[] = [];
  const masksOf: number[][] = [];
  // Per pair of (PG, node) responses of this state, whether the second repeats the first (0: not
  // asked yet, 1: it does, 2: it does not). The cuts rebuilt in one call ask about the same pairs,
  // each answer scanning two logs element for element; sound to reuse within the call, where each
  // (PG, node) is one segment value of `s` (frozen) and the answer a function of the two values.
  const width = pgs.length * STORAGE_NODES.length;
  let repeats: Int8Array | undefined;
  for (let c = 0; c < CUTS.length; c++) {
    const cut = CUTS[c]!;
    const masks = intact.map((bits) => bits & cut.alive);
    masksOf.push(masks);
    const last = inputs[c];
    if (last === undefined || !sameInput(last, s, masks)) {
      // A cut earlier in this step with the same responders read exactly the same.
      let same: CutInput | undefined;
      for (let d = 0; d < c && same === undefined; d++) {
        const other = masksOf[d]!;
        if (other.every((m, pg) => m === masks[pg])) same = inputs[d]!;
      }
      if (same !== undefined) inputs[c] = same;
      else {
        const parts: unknown[] = [];
        const reads: unknown[] = [];
        repeats ??= new Int8Array(width * width);
        // The response last put in `reads`: its (PG, node) index and segment.
        let last = -1;
        let lastSeg: SegmentDurable | undefined;
        for (let pg = 0; pg < masks.length; pg++) {
          for (let i = 0; i < STORAGE_NODES.length; i++) {
            if ((masks[pg]! & (1 << i)) === 0) continue;
            const seg = s.storage[STORAGE_NODES[i]!]!.durable.segments[pg]!;
            parts.push(seg.records, seg.ranges, seg.gcPoint);
            const key = pg * STORAGE_NODES.length + i;
            if (lastSeg !== undefined) {
              const slot = last * width + key;
              if (repeats[slot] === 0) repeats[slot] = repeatsResponse(lastSeg, seg) ? 1 : 2;
              if (repeats[slot] === 1) continue;
            }
            reads.push(seg.records, seg.ranges, seg.gcPoint);
            last = key;
            lastSeg = seg;
          }
        }
        const readable = masks.every((mask, pg) => readQuorumOf(v.config, pgs[pg]!, mask));
        inputs[c] = { pgs, masks, parts, reads, vdl: readable ? (vdlOfSameReads(inputs, c, reads) ?? recoveredVdl(v.config, responsesOf(s, masks))) : null };
      }
    }
    const vdl = inputs[c]!.vdl;
    if (vdl !== null) cuts.push({ az: cut.az, extra: cut.extra, vdl });
  }
  v.memo.derived.set('az-plus-one cuts', inputs);
  v.memo.derived.set('az-plus-one', { stamp: durableStamp(s), cuts });
  return cuts;
}

/** What recovery reads under a cut: per PG, each responder's (in `masks`) records, ranges and GC point. */
function responsesOf(s: State, masks: readonly number[]): { node: NodeId; records: SegmentDurable['records']; ranges: SegmentDurable['ranges']; gcPoint: Lsn }[][] {
  return masks.map((mask, pg) => {
    const rs: { node: NodeId; records: SegmentDurable['records']; ranges: SegmentDurable['ranges']; gcPoint: Lsn }[] = [];
    for (let i = 0; i < STORAGE_NODES.length; i++) {
      if ((mask & (1 << i)) === 0) continue;
      const node = STORAGE_NODES[i]!;
      const seg = s.storage[node]!.durable.segments[pg]!;
      rs.push({ node, records: seg.records, ranges: seg.ranges, gcPoint: seg.gcPoint });
    }
    return rs;
  });
}

/**
 * The VDL an earlier cut of this step (inputs[0..c)) found from the same `reads`: element for
 * element the same records and ranges (the same values) and the same GC points, in the same
 * order, once a response that repeats the one read just before it is dropped.
 *
 * Why that is the same VDL: recovery's VDL is a function of what the responders returned, in the
 * order read (PG by PG, node by node), not of which nodes or PGs they are. And a response that
 * repeats the one just before it changes nothing: recovery unions what it read (model/recovery.ts)
 * and keeps one record per LSN and epoch and one range per epoch, from and to, each the last copy
 * seen in the place of the first, and the highest GC point; reading the same copies again right
 * after leaves every one of those as it was. Segments that took the same writes hold the same
 * record values, so most cuts read what another cut read: 76% of the recoveries az-plus-one
 * asked in explore --runs 50 --seed 1 by responses alone, and 57% of the rest in explore --runs
 * 200 --seed 1 once repeats are dropped. Undefined when no earlier cut read the same.
 */
function vdlOfSameReads(inputs: readonly (CutInput | undefined)[], c: number, reads: readonly unknown[]): Lsn | undefined {
  for (let d = 0; d < c; d++) {
    const other = inputs[d]!;
    if (other.vdl !== null && other.reads.length === reads.length && sameParts(other.reads, reads)) return other.vdl;
  }
  return undefined;
}

/** `seg` returns, element for element, what `prev` returns. */
function repeatsResponse(prev: SegmentDurable, seg: SegmentDurable): boolean {
  return prev.gcPoint === seg.gcPoint && samePart(prev.records, seg.records) && samePart(prev.ranges, seg.ranges);
}

/** The same parts: the same values, or lists of the same values (records, ranges) element for element. */
function sameParts(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!samePart(a[i], b[i])) return false;
  return true;
}

function samePart(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  return true;
}

export const azPlusOne: Invariant = {
  id: 'az-plus-one-recovery', tag: 'always',
  title: 'With an AZ and one more node down, recovery still finds every acknowledged commit',
  why: 'The design target AZ+1: losing a whole AZ plus one more node loses no data.',
  check(v) {
    if (v.prev.storage === v.next.storage && v.prev.control === v.next.control && !commitOrRecovery(v.observations)) return null;
    // The highest commit LSN of a committed transaction (none committed: nothing to find).
    let need = -Infinity;
    for (const t of v.oracle.txns) if (isCommitted(t) && t.commitLsn > need) need = t.commitLsn;
    if (need === -Infinity) return null;
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
    // The entries of the old queue, as a set: built once per node, and only when an entry of the
    // new queue could be a stale one (most steps queue nothing stale).
    let queued: Set<StorageNode['volatile']['queue'][number]> | undefined;
    for (let pg = 0; pg < a.durable.segments.length; pg++) {
      const x = a.durable.segments[pg]!;
      const y = b.durable.segments[pg]!;
      if (x.incarnation !== y.incarnation) continue;
      if (y.epoch < x.epoch || y.sealedEpoch < x.sealedEpoch || y.membership < x.membership) {
        return `${n} PG ${pg} went back from epoch ${x.epoch}/sealed ${x.sealedEpoch}/membership ${x.membership} to ${y.epoch}/${y.sealedEpoch}/${y.membership}`;
      }
      // The first entry new in this step (not in the old queue), in queue order, queued for this
      // PG under an older epoch than the segment had promised.
      let stale: StorageNode['volatile']['queue'][number] | undefined;
      if (a.volatile.queue !== b.volatile.queue) {
        for (const e of b.volatile.queue) {
          if (e.pg !== pg || e.epoch >= x.epoch) continue;
          queued ??= new Set(a.volatile.queue);
          if (!queued.has(e)) {
            stale = e;
            break;
          }
        }
      }
      if (stale !== undefined) return `${n} PG ${pg} queued record ${stale.record.lsn} under epoch ${stale.epoch} after promising epoch ${x.epoch}`;
      if (x.records === y.records) continue;
      // The records y holds that x did not (by identity), in y's order. Persisting usually appends
      // to x's records: then only the appended ones can be new.
      const xs = x.records;
      const ys = y.records;
      let start = 0;
      while (start < xs.length && start < ys.length && xs[start] === ys[start]) start++;
      const appended = start === xs.length;
      const held = appended ? null : new Set(xs);
      for (let i = start; i < ys.length; i++) {
        const r = ys[i]!;
        if (held !== null ? held.has(r) : xs.includes(r)) continue;
        const from = findIn(a.volatile.queue, (e) => e.pg === pg && e.record.lsn === r.lsn && e.epoch >= x.epoch);
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
