// Read replicas (up to 15): they follow the writer's redo stream and VDL updates over the same
// faulty network and serve reads at their own VDL. All volatile: a restart starts empty.
//
// Rules (SIGMOD 2017 §4.2.4): apply only records at or below the VDL known, one whole MTR at a
// time (a VDL is an MTR end; everything up to it is applied in one step), and only to cached
// pages (others are discarded). A gap in the stream (a lost message) cannot be applied around:
// the cache is dropped and pages are read from storage again. A newer writer epoch means the log
// was truncated: start over, empty, and read nothing until that writer's VDL arrives.
//
// Method: stream records wait in a Map by LSN (dedup is a lookup); a VDL advance walks the volume
// backlinks from the new VDL down to the old one, so a gap is found without sorting.

import type { Lsn, Message, NodeId, RedoRecord } from '../model/types.js';
import { bug as bug_ } from '../model/types.js';
import { assert as assert_ } from './assert.js';
import type { Cluster } from './cluster.js';
import { versionOf as versionOf_ } from './log.js';
import { Reader, hedgeReads as hedgeReads_, issueRead as issueRead_, rotation as rotation_, takeReadResp as takeReadResp_, type Route } from './reads.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const bug: typeof bug_ = bug_;
const assert: typeof assert_ = assert_;
const versionOf: typeof versionOf_ = versionOf_;
const hedgeReads: typeof hedgeReads_ = hedgeReads_;
const issueRead: typeof issueRead_ = issueRead_;
const rotation: typeof rotation_ = rotation_;
const takeReadResp: typeof takeReadResp_ = takeReadResp_;

export class Replica {
  readonly status = 'replica';
  /** The writer epoch it follows (0: none yet). */
  epoch = 0;
  writer: NodeId | null = null;
  /** The VDL it knows and has applied up to (null: none yet in this epoch). */
  vdl: Lsn | null = null;
  /** Stream records above vdl, waiting for VDL to reach them. */
  buffer = new Map<Lsn, RedoRecord>();
  /** Per PG, the page servers whose SCL covered vdl (from the writer). */
  covering: (readonly NodeId[])[] = [];
  reader = new Reader();

  /** A newer writer epoch: everything known so far (pending reads included) goes. */
  follow(epoch: number, writer: NodeId): void {
    assert(epoch > this.epoch, 'replicas only follow newer epochs');
    this.epoch = epoch;
    this.writer = writer;
    this.vdl = null;
    this.buffer = new Map();
    this.covering = [];
    this.reader = new Reader();
  }
}

export function replicaReceive(c: Cluster, r: Replica, msg: Message): void {
  if (msg.kind === 'stream' || msg.kind === 'vdlUpdate') {
    if (msg.epoch < r.epoch) return;
    if (msg.epoch > r.epoch) r.follow(msg.epoch, msg.from);
  }
  switch (msg.kind) {
    case 'stream':
      for (const rec of msg.records) if ((r.vdl === null || rec.lsn > r.vdl) && !r.buffer.has(rec.lsn)) r.buffer.set(rec.lsn, rec);
      if (bug(c.config, 'replica-applies-on-arrival')) for (const rec of msg.records) if (rec.page !== null) r.reader.cacheApply(rec.page, versionOf(rec));
      return;
    case 'vdlUpdate':
      return advance(r, msg.vdl, msg.covering, bug(c.config, 'replica-applies-across-gap'));
    case 'readResp': {
      if (msg.epoch !== r.epoch) return;
      const done = takeReadResp(c, r.reader, msg);
      // Cache only a page read at the current VDL: versions applied since were discarded.
      if (done !== null && done.readPoint === r.vdl) {
        r.reader.cacheInsert(c.config.cachePages, { page: msg.page, asOf: done.readPoint, value: msg.value, versions: [...msg.pending] });
      }
      return;
    }
    default:
      return;
  }
}

/** Apply every buffered record up to the new VDL, if the stream has no gap; else drop the cache. */
function advance(r: Replica, vdl: Lsn, covering: readonly (readonly NodeId[])[], acrossGap = false): void {
  if (r.vdl !== null && vdl <= r.vdl) return;
  const chain = r.vdl === null ? null : streamChain(r.buffer, r.vdl, vdl) ?? (acrossGap ? [...r.buffer.values()].filter((b) => b.lsn <= vdl).sort((a, b) => a.lsn - b.lsn) : null);
  if (chain === null) r.reader.cache = [];
  else for (const rec of chain) if (rec.page !== null) r.reader.cacheApply(rec.page, versionOf(rec));
  r.vdl = vdl;
  for (const lsn of r.buffer.keys()) if (lsn <= vdl) r.buffer.delete(lsn);
  r.covering = covering.map((x) => [...x]);
  assert(r.vdl === vdl, 'the replica is at the VDL it was told');
}

/** The buffered records in (from, to], LSN order, if volume backlinks show none is missing. */
function streamChain(buffer: ReadonlyMap<Lsn, RedoRecord>, from: Lsn, to: Lsn): RedoRecord[] | null {
  assert(to > from, 'a chain moves forward');
  const chain: RedoRecord[] = [];
  let at = to;
  while (at > from) {
    const rec = buffer.get(at);
    if (rec === undefined) return null;
    chain.push(rec);
    at = rec.prevVol;
  }
  return at === from ? chain.reverse() : null;
}

/** A replica reads at its own VDL, from cache or from a segment the writer said covers it. */
export function replicaRead(c: Cluster, node: NodeId, r: Replica, pages: readonly number[]): void {
  if (r.vdl === null) {
    c.observe({ kind: 'readRefused', read: c.readCount++, at: node, reason: 'replicaNotReady' });
    return;
  }
  issueRead(c, node, r.reader, r.epoch, r.vdl, pages, routeByCovering(r));
}

function routeByCovering(r: Replica): Route {
  return (pg, _readPoint, read, after) => rotation(r.covering[pg] ?? [], read, after)[0] ?? null;
}

/** Hedge reads, fold cached versions below the lowest read point in use, and tell the writer that point (for PGMRPL). */
export function replicaTick(c: Cluster, node: NodeId, r: Replica): void {
  hedgeReads(c, node, r.reader, r.epoch, routeByCovering(r));
  if (r.vdl !== null && r.reader.cache.length > 0) r.reader.cacheFold(r.reader.lowestReadPoint(r.vdl));
  if (r.vdl !== null && r.writer !== null) {
    c.send({ kind: 'replicaStatus', from: node, to: r.writer, epoch: r.epoch, point: r.reader.lowestReadPoint(r.vdl) });
  }
}
