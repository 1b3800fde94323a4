// `sometimes` witnesses: situations the generator must reach, so that the `always` guarantees
// are known to have been exercised there and not passed vacuously.

import type { Invariant, StepView } from '../invariant.js';
import type { Observation } from '../../model/types.js';
import { AZS, STORAGE_NODES, WRITER, nodesOfAz } from '../../model/types.js';
import { delivered, linkDown, marksOf, writerOf } from '../views.js';
import { anyOf } from '../../model/frozen.js';

/**
 * The kinds of the step's observations, gathered once per step (per observations list, a value
 * no one changes once the step is made): twenty witnesses ask after a kind, and most steps
 * observe none of the kinds they ask after, which one set lookup answers.
 */
const kindsMemo: { observations: StepView['observations'] | null; kinds: Set<string> } = { observations: null, kinds: new Set() };
function kindsOf(v: StepView): Set<string> {
  if (kindsMemo.observations !== v.observations) {
    const kinds = new Set<string>();
    for (const o of v.observations) kinds.add(o.kind);
    kindsMemo.observations = v.observations;
    kindsMemo.kinds = kinds;
  }
  return kindsMemo.kinds;
}

const obs = (v: StepView, kind: string) => kindsOf(v).has(kind);

/** Some observation of the step of this kind satisfies p (asked only when the step has one). */
function observed<K extends Observation['kind']>(v: StepView, kind: K, p: (o: Extract<Observation, { kind: K }>) => boolean): boolean {
  return obs(v, kind) && v.observations.some((o) => o.kind === kind && p(o as Extract<Observation, { kind: K }>));
}

export const WITNESSES: readonly Invariant[] = [
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
    title: 'A seal of a new epoch removed annulled records from a segment',
    why: 'Shows truncation really removed unacknowledged records from storage.',
    hit: (v) => v.next.storage !== v.prev.storage && STORAGE_NODES.some((n) => v.next.storage[n]!.durable !== v.prev.storage[n]!.durable && anyOf(v.next.storage[n]!.durable.segments, (y, pg) => {
      const x = v.prev.storage[n]!.durable.segments[pg];
      return x !== undefined && x.incarnation === y.incarnation && y.sealedEpoch > x.sealedEpoch && y.records.length < x.records.length;
    })),
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
    hit: (v) => observed(v, 'recovered', (o) => o.epoch > 2) && v.memo.eventTypes.has('crashWriter'),
  },
  {
    id: 'hedged-read', tag: 'sometimes',
    title: 'A read hedged to another segment after a timeout',
    why: 'Shows a slow or unreachable segment does not stall reads.',
    hit: (v) => obs(v, 'hedged'),
  },
  {
    id: 'read-from-segment', tag: 'sometimes',
    title: 'A read at the writer served by a storage segment',
    why: 'Shows the SCL-based read routing was used, not only the cache.',
    hit: (v) => observed(v, 'readOk', (o) => o.at === v.next.control.writer && o.values.some((x) => x.from !== 'cache')),
  },
  {
    id: 'read-from-cache', tag: 'sometimes',
    title: 'A read at the writer served from its cache',
    why: 'Shows the cache stays correct as the volume moves on.',
    hit: (v) => observed(v, 'readOk', (o) => o.at === v.next.control.writer && o.values.some((x) => x.from === 'cache')),
  },
  {
    id: 'lal-reached', tag: 'sometimes',
    title: 'A transaction refused at the LSN allocation limit',
    why: 'Shows back-pressure engages when VDL lags.',
    hit: (v) => observed(v, 'refused', (o) => o.reason === 'lal'),
  },
  {
    id: 'ooo-ack-quorum', tag: 'sometimes',
    title: 'A PG quorum completed by an acknowledgement delivered before one sent earlier',
    why: 'Shows watermarks advance correctly under reordering.',
    hit(v) {
      const msg = delivered(v);
      if (msg === null || msg.kind !== 'ack') return false;
      const queue = v.prev.world.net[msg.to]!;
      const at = queue.indexOf(msg);
      const earlier = anyOf(queue, (m, i) => i < at && m.kind === 'ack');
      const a = writerOf(v.prev);
      const b = writerOf(v.next);
      if (!earlier || a === null || b === null || a.node !== msg.to || b.node !== msg.to || a.w.epoch !== b.w.epoch) return false;
      return marksOf(v.next, b.w).pgcl[msg.pg]! > marksOf(v.prev, a.w).pgcl[msg.pg]!;
    },
  },
  {
    id: 'commit-az-partitioned', tag: 'sometimes',
    title: 'A commit acknowledged while a whole AZ was partitioned away from the writer',
    why: 'Shows writes stay available without one AZ.',
    hit: (v) => obs(v, 'committed') && AZS.some((_, az) => nodesOfAz(az).every((n) => linkDown(v.next, n, v.next.control.writer))),
  },
  {
    id: 'stale-epoch-refused', tag: 'sometimes',
    title: 'A segment refused a request of a stale volume epoch',
    why: 'Shows fencing was exercised.',
    hit: (v) => observed(v, 'staleRefused', (o) => !o.membership),
  },
  {
    id: 'gossip-filled-hole', tag: 'sometimes',
    title: 'A segment persisted a record it was missing that came from a peer\'s gossip',
    why: 'Shows segments repair holes among themselves, without the writer.',
    hit: (v) => v.next.storage !== v.prev.storage && STORAGE_NODES.some((n) => {
      const before = v.prev.storage[n]!;
      const after = v.next.storage[n]!;
      if (after.durable === before.durable) return false;
      // Only a record that came from a gossip entry of the queue counts: none queued, none came.
      if (!anyOf(before.volatile.queue, (e) => e.via === 'gossip')) return false;
      return anyOf(after.durable.segments, (seg, pg) => {
        const old = before.durable.segments[pg]?.records;
        if (old === seg.records) return false;
        const held = new Set(old ?? []);
        return anyOf(seg.records, (r) => !held.has(r) && anyOf(before.volatile.queue, (e) => e.pg === pg && e.record.lsn === r.lsn && e.via === 'gossip'));
      });
    }),
  },
  {
    id: 'failover-in-flight', tag: 'sometimes',
    title: 'A failover to a replica while the old writer had commits in flight, completed',
    why: 'Shows every acknowledged commit survives a failover, and in-flight ones are settled by recovery.',
    hit: (v) => v.memo.failoverInFlight && observed(v, 'recovered', (o) => o.at !== WRITER),
  },
  {
    id: 'old-writer-fenced', tag: 'sometimes',
    title: 'A live old writer learned of a newer epoch and stepped down',
    why: 'Shows fencing stops a partitioned old writer without a lease.',
    hit: (v) => obs(v, 'fenced'),
  },
  {
    id: 'replica-read', tag: 'sometimes',
    title: 'A read served at a replica, from a segment and from its cache',
    why: 'Shows replicas read at their own VDL both ways.',
    hit: (v) => observed(v, 'readOk', (o) => o.at !== v.next.control.writer && o.values.some((x) => x.from === 'cache'))
      && v.memo.observationKinds.has('readOk'),
  },
  {
    id: 'replica-lag-caught-up', tag: 'sometimes',
    title: 'A replica lagged behind the writer\'s VDL, then caught up',
    why: 'Shows replica lag is real in these runs and recovers.',
    hit(v) {
      // A pass over the same compute nodes, writer and memberships as the last step's finds
      // what that pass found and left in memo.lagging: no replica caught up.
      if (v.index > 0 && v.prev.compute === v.next.compute && v.prev.control === v.next.control) return false;
      const x = writerOf(v.next);
      if (x === null || x.w.status !== 'active') return false;
      const vdl = marksOf(v.next, x.w).vdl;
      let caught = false;
      for (const [n, c] of Object.entries(v.next.compute)) {
        if (c.status !== 'replica' || c.epoch !== x.w.epoch || c.vdl === null) continue;
        if (c.vdl < vdl) v.memo.lagging.add(n);
        else if (v.memo.lagging.delete(n)) caught = true;
      }
      return caught;
    },
  },
  {
    id: 'membership-completed', tag: 'sometimes',
    title: 'A membership change replaced a failed segment and completed',
    why: 'Shows self-healing: a new segment hydrated from its peers and joined.',
    hit: (v) => observed(v, 'membership', (o) => o.step === 'complete'),
  },
  {
    id: 'membership-rolled-back', tag: 'sometimes',
    title: 'A membership change rolled back because the old segment returned',
    why: 'Shows a transient failure does not force a replacement.',
    hit: (v) => observed(v, 'membership', (o) => o.step === 'rollback'),
  },
  {
    id: 'stacked-failure', tag: 'sometimes',
    title: 'A second failure during a membership change stacked another set',
    why: 'Shows joint quorums over three sets keep reads and writes going.',
    hit: (v) => observed(v, 'membership', (o) => o.step === 'begin' && o.sets.length >= 3),
  },
  {
    id: 'hydrated-past-release', tag: 'sometimes',
    title: 'A replacement joined a PG after the writer released records of it, and the change completed',
    why: 'Shows the writer may drop what every member holds: a member added later gets it from its peers.',
    hit: (v) => observed(v, 'membership', (o) => o.step === 'complete'
      && o.sets[0]!.some((n) => !v.prev.control.pgs[o.pg]!.sets[0]!.includes(n) && v.memo.joinedBehindRelease.has(`${n}/${o.pg}`))),
  },
  {
    id: 'read-from-hydrated', tag: 'sometimes',
    title: 'A read served by a segment that joined through a membership change',
    why: 'Shows a hydrated segment serves correct data.',
    hit: (v) => observed(v, 'readOk', (o) => o.values.some((x) => v.memo.hydrated.has(x.from))),
  },
  {
    id: 'gc-under-load', tag: 'sometimes',
    title: 'A segment garbage collected while transactions or reads were in flight',
    why: 'Shows coalescing below PGMRPL runs alongside live work without breaking reads.',
    hit(v) {
      // Whether a segment collected garbage first (cheap: most steps change no segment), then
      // whether anything was in flight.
      return v.next.storage !== v.prev.storage && STORAGE_NODES.some((n) => v.next.storage[n]!.durable !== v.prev.storage[n]!.durable && anyOf(v.next.storage[n]!.durable.segments, (y, pg) => {
        const x = v.prev.storage[n]!.durable.segments[pg];
        return x !== undefined && y.gcPoint > x.gcPoint && y.records.length < x.records.length;
      })) && Object.values(v.next.compute).some((c) => (c.status === 'active' && (c.pendingTxns.length > 0 || c.reads.length > 0)) || (c.status === 'replica' && c.reads.length > 0));
    },
  },
  {
    id: 'commit-in-new-pg', tag: 'sometimes',
    title: 'A commit that wrote a page of a PG added while the volume ran',
    why: 'Shows volume growth: new pages land in new PGs and commit there.',
    hit: (v) => observed(v, 'committed', (o) => v.oracle.txns[o.txn]!.writes.some((w) => Math.floor(w.page / v.config.pagesPerPg) >= v.config.pgCount)),
  },
];
