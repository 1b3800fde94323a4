// One canonical description for every event, message and observation (etcd's DescribeMessage):
// used in failures, counterexamples, timelines and logs alike.

import type { Event } from './events.js';
import type { Message, Observation, RedoRecord } from './types.js';
import type { Config } from './types.js';
import { STORAGE_NODES, allNodes } from './types.js';

const at = <T>(xs: readonly T[], i: number): T => xs[((Math.trunc(i) % xs.length) + xs.length) % xs.length]!;

export function describeEvent(e: Event, config: Config): string {
  const nodes = allNodes(config);
  switch (e.type) {
    case 'txn': return `txn ${e.mtrs.map((m) => `[${m.join(' ')}]`).join('')}`;
    case 'read': return `read pages ${e.pages.join(',')}`;
    case 'deliver': case 'drop': case 'duplicate': return `${e.type} ->${at(nodes, e.node)} #${e.k}`;
    case 'deliverAll': return 'deliver all';
    case 'crashNode': return `crash ${at(STORAGE_NODES, e.node)}`;
    case 'restartNode': return `restart ${at(STORAGE_NODES, e.node)}`;
    case 'partition': return `partition {${e.nodes.map((n) => at(nodes, n)).join(',')}}`;
    case 'partitionAz': return `partition AZ ${'ABC'[((e.az % 3) + 3) % 3]}`;
    case 'heal': return 'heal';
    case 'loseDisk': return `lose disk of ${at(STORAGE_NODES, e.node)}`;
    case 'crashWriter': return 'crash writer';
    case 'recover': return 'recover writer';
    case 'readReplica': return `read pages ${e.pages.join(',')} at replica#${e.replica}`;
    case 'crashReplica': return `crash replica#${e.replica}`;
    case 'restartReplica': return `restart replica#${e.replica}`;
    case 'failover': return `fail over to replica#${e.replica}`;
    case 'addPg': return 'add a PG';
    case 'tick': return 'tick';
    case 'persist': return `persist ${at(STORAGE_NODES, e.node)}`;
  }
}

export function describeRecord(r: RedoRecord): string {
  const what = r.page === null ? 'commit' : `p${r.page}=${r.value}`;
  return `${r.lsn}${r.cpl ? '*' : ''}:${what}@e${r.epoch}`;
}

export function describeMessage(m: Message): string {
  if (m.kind === 'stream') return `${m.from}->${m.to} stream e${m.epoch} [${m.records.map(describeRecord).join(' ')}]`;
  if (m.kind === 'vdlUpdate') return `${m.from}->${m.to} vdl e${m.epoch} ${m.vdl}`;
  if (m.kind === 'replicaStatus') return `${m.from}->${m.to} replicaStatus e${m.epoch} point=${m.point}`;
  const head = `${m.from}->${m.to} ${m.kind} e${m.epoch}${'membership' in m ? `/m${m.membership}` : ''} pg${m.pg}`;
  switch (m.kind) {
    case 'write': return `${head} [${m.records.map(describeRecord).join(' ')}]`;
    case 'gossipResp': return `${head} [${m.records.map(describeRecord).join(' ')}]${m.base ? ` base=${m.base}` : ''}`;
    case 'ack': return `${head} scl=${m.scl} inc=${m.incarnation}`;
    case 'rejected': return `${head} stale=e${m.stale}`;
    case 'readReq': return `${head} read#${m.read} p${m.page}@${m.readPoint}`;
    case 'readResp': return m.tooOld ? `${head} read#${m.read} p${m.page} too old` : `${head} read#${m.read} p${m.page}=${m.value}${m.pending.length ? ` pending=${m.pending.length}` : ''}`;
    case 'recoverReq': return head;
    case 'recoverResp': return `${head} scl=${m.scl} records=${m.records.length} ranges=${m.ranges.length}`;
    case 'seal': return `${head} ranges=${m.ranges.map((r) => `e${r.epoch}(${r.from},${r.to}]`).join(',')} repair=${m.repair.length}${m.base ? ` base=${m.base}` : ''}`;
    case 'gossipReq': return `${head} after=${m.after}`;
    case 'gc': return `${head} pgmrpl=${m.point}`;
  }
}

export function describeObservation(o: Observation): string {
  switch (o.kind) {
    case 'accepted': return `txn ${o.txn} accepted: LSNs ${o.firstLsn}..${o.commitLsn}`;
    case 'refused': return `txn ${o.txn} refused: ${o.reason}`;
    case 'committed': return `txn ${o.txn} committed at ${o.commitLsn} by ${o.by}`;
    case 'readOk': return `read ${o.read} at ${o.at} @${o.readPoint}: ${o.values.map((v) => `p${v.page}=${v.value} (${v.from})`).join(', ')}`;
    case 'readRefused': return `read ${o.read}${o.at ? ` at ${o.at}` : ''} refused: ${o.reason}`;
    case 'hedged': return `read ${o.read} p${o.page} hedged ${o.from} -> ${o.to}`;
    case 'recoveryStarted': return `recovery started at ${o.at}, epoch ${o.epoch}`;
    case 'recoveryBlocked': return `recovery epoch ${o.epoch} waits for a read quorum of PG ${o.pgs.join(',')}`;
    case 'recovered': return `${o.at} recovered epoch ${o.epoch}: VDL ${o.vdl}, truncated (${o.truncateFrom}, ${o.truncateTo}], annulled ${o.annulled}`;
    case 'fenced': return `writer ${o.node} of epoch ${o.epoch} fenced by epoch ${o.by}`;
    case 'staleRefused': return `${o.node} pg${o.pg} refused ${o.what} of ${o.membership ? 'membership' : 'epoch'} ${o.stale}${o.membership ? '' : ` (promised ${o.epoch})`}`;
    case 'membership': return `PG ${o.pg} membership ${o.step} (m${o.epoch}): ${o.sets.map((s) => s.join('')).join(' + ')}`;
    case 'pgAdded': return `PG ${o.pg} added: pages ${o.pages[0]}..${o.pages[1]}`;
    case 'noop': return `no-op: ${o.reason}`;
  }
}
