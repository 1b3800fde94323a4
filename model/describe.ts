// One canonical description for every event, message and observation (etcd's DescribeMessage):
// used in failures, counterexamples, timelines and logs alike.

import type { Event } from './events.js';
import type { Message, Observation, RedoRecord } from './types.js';
import { ALL_NODES, STORAGE_NODES } from './types.js';

const at = <T>(xs: readonly T[], i: number): T => xs[((Math.trunc(i) % xs.length) + xs.length) % xs.length]!;

export function describeEvent(e: Event): string {
  switch (e.type) {
    case 'txn': return `txn ${e.mtrs.map((m) => `[${m.join(' ')}]`).join('')}`;
    case 'read': return `read pages ${e.pages.join(',')}`;
    case 'deliver': case 'drop': case 'duplicate': return `${e.type} ->${at(ALL_NODES, e.node)} #${e.k}`;
    case 'deliverAll': return 'deliver all';
    case 'crashNode': return `crash ${at(STORAGE_NODES, e.node)}`;
    case 'restartNode': return `restart ${at(STORAGE_NODES, e.node)}`;
    case 'persist': return `persist ${at(STORAGE_NODES, e.node)}`;
    case 'partition': return `partition {${e.nodes.map((n) => at(ALL_NODES, n)).join(',')}}`;
    case 'partitionAz': return `partition AZ ${'ABC'[((e.az % 3) + 3) % 3]}`;
    case 'heal': return 'heal';
    case 'crashWriter': return 'crash writer';
    case 'recover': return 'recover writer';
    case 'tick': return 'tick';
  }
}

export function describeRecord(r: RedoRecord): string {
  const what = r.page === null ? 'commit' : `p${r.page}=${r.value}`;
  return `${r.lsn}${r.cpl ? '*' : ''}:${what}@e${r.epoch}`;
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.kind} e${m.epoch} pg${m.pg}`;
  switch (m.kind) {
    case 'write': case 'gossipResp': return `${head} [${m.records.map(describeRecord).join(' ')}]`;
    case 'ack': return `${head} scl=${m.scl}`;
    case 'rejected': return `${head} stale=e${m.stale}`;
    case 'readReq': return `${head} read#${m.read} p${m.page}@${m.readPoint}`;
    case 'readResp': return `${head} read#${m.read} p${m.page}=${m.value}`;
    case 'recoverReq': return head;
    case 'recoverResp': return `${head} scl=${m.scl} records=${m.records.length} ranges=${m.ranges.length}`;
    case 'seal': return `${head} ranges=${m.ranges.map((r) => `e${r.epoch}(${r.from},${r.to}]`).join(',')} repair=${m.repair.length}`;
    case 'gossipReq': return `${head} after=${m.after}`;
  }
}

export function describeObservation(o: Observation): string {
  switch (o.kind) {
    case 'accepted': return `txn ${o.txn} accepted: LSNs ${o.firstLsn}..${o.commitLsn}`;
    case 'refused': return `txn ${o.txn} refused: ${o.reason}`;
    case 'committed': return `txn ${o.txn} committed at ${o.commitLsn}`;
    case 'readOk': return `read ${o.read} at ${o.readPoint}: ${o.values.map((v) => `p${v.page}=${v.value} (${v.from})`).join(', ')}`;
    case 'readRefused': return `read ${o.read} refused: ${o.reason}`;
    case 'hedged': return `read ${o.read} p${o.page} hedged ${o.from} -> ${o.to}`;
    case 'recoveryStarted': return `recovery started, epoch ${o.epoch}`;
    case 'recoveryBlocked': return `recovery epoch ${o.epoch} waits for a read quorum of PG ${o.pgs.join(',')}`;
    case 'recovered': return `recovered epoch ${o.epoch}: VDL ${o.vdl}, truncated (${o.truncateFrom}, ${o.truncateTo}], annulled ${o.annulled}`;
    case 'fenced': return `writer of epoch ${o.epoch} fenced by epoch ${o.by}`;
    case 'staleRefused': return `${o.node} pg${o.pg} refused ${o.what} of epoch ${o.stale} (promised ${o.epoch})`;
    case 'noop': return `no-op: ${o.reason}`;
  }
}
