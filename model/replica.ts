// Read replicas (up to 15): they get the redo stream and VDL updates from the writer through the
// same faulty network, and serve reads at their own VDL.
//
// Rules (SIGMOD 2017 §4.2.4): a replica applies only records at or below the VDL it knows, one
// whole MTR at a time (a VDL is always an MTR end, and everything up to it is applied in one
// step), and only to pages it has cached; records for other pages are discarded. A gap in the
// stream (a lost message) cannot be applied around: the replica drops its cache instead and
// reads those pages from storage again. A newer writer epoch means the log was truncated: the
// replica starts over, empty, and reads nothing until it hears that writer's VDL.

import type { Ctx } from './network.js';
import type { Replica } from './state.js';
import { setCompute } from './state.js';
import type { Lsn, Message, NodeId, RedoRecord } from './types.js';
import { cacheApply, cacheFold, cacheInsert, hedgeReads, issueRead, lowestReadPoint, rotation, takeReadResp, type Route } from './reads.js';
import { nextRead, send } from './network.js';
import { bug } from './types.js';
import { frozenList, kept, type Edit } from './frozen.js';

/**
 * A replica's state is a value, frozen and never drafted (read plainly), its parts frozen
 * values: a handler edits a shallow copy, replacing parts, and keeps it as the node's state.
 */
export function emptyReplica(): Replica {
  return replicaValue({ status: 'replica', epoch: 0, writer: null, vdl: null, buffer: frozenList([]), covering: frozenList([]), reads: frozenList([]), cache: frozenList([]) });
}

export function replicaValue(r: Replica): Replica {
  const out = replicaCopy(r);
  out.covering = frozenList(r.covering.map((c) => frozenList([...c])));
  return Object.freeze(out);
}

/** A replica's writable copy, part by part (one fixed shape: frozen.ts Copy). */
function replicaCopy(r: Replica): ReplicaEdit {
  return { status: r.status, epoch: r.epoch, writer: r.writer, vdl: r.vdl, buffer: r.buffer, covering: r.covering, reads: r.reads, cache: r.cache };
}

type ReplicaEdit = Edit<Replica>;

/** Edit the replica at `node` with `change`, if it is one, and keep the result. */
function editReplica(ctx: Ctx, node: NodeId, change: (r: ReplicaEdit) => void): void {
  const c = ctx.s.compute[node];
  if (c === undefined || c.status !== 'replica') return;
  const old = c as Replica;
  const r = replicaCopy(old);
  change(r);
  const next = kept(old, r);
  if (next !== old) setCompute(ctx, node, next);
}

export function replicaReceive(ctx: Ctx, node: NodeId, msg: Message): void {
  editReplica(ctx, node, (r) => replicaTakes(ctx, r, msg));
}

function replicaTakes(ctx: Ctx, r: ReplicaEdit, msg: Message): void {
  if (msg.kind === 'stream' || msg.kind === 'vdlUpdate') {
    if (msg.epoch < r.epoch) return;
    if (msg.epoch > r.epoch) Object.assign(r, emptyReplica(), { epoch: msg.epoch, writer: msg.from });
  }
  switch (msg.kind) {
    case 'stream':
      buffer(r, msg.records);
      if (bug(ctx.config, 'replica-applies-on-arrival')) for (const rec of msg.records) if (rec.page !== null) cacheApply(r, rec.page, { lsn: rec.lsn, commitLsn: rec.commitLsn, value: rec.value });
      return;
    case 'vdlUpdate':
      return advance(r, msg.vdl, msg.covering);
    case 'readResp': {
      if (msg.epoch !== r.epoch) return;
      const done = takeReadResp(ctx, r, msg);
      // Cache only a page read at the current VDL: versions applied since were discarded.
      if (done !== null && done.readPoint === r.vdl) {
        cacheInsert(r, ctx.config.cachePages, { page: msg.page, asOf: done.readPoint, value: msg.value, versions: [...msg.pending] });
      }
      return;
    }
    default:
      return;
  }
}

/** Stream records above the VDL, not yet buffered, join the buffer (a new frozen list). */
function buffer(r: ReplicaEdit, records: readonly RedoRecord[]): void {
  const held = r.buffer;
  const next = [...held];
  for (const rec of records) if ((r.vdl === null || rec.lsn > r.vdl) && !next.some((b) => b.lsn === rec.lsn)) next.push(rec);
  if (next.length > held.length) r.buffer = frozenList(next);
}

/** Apply every buffered record up to the new VDL, if the stream has no gap; else drop the cache. */
function advance(r: ReplicaEdit, vdl: Lsn, covering: readonly (readonly NodeId[])[]): void {
  if (r.vdl !== null && vdl <= r.vdl) return;
  const buffer = r.buffer;
  const chain = r.vdl === null ? null : streamChain(buffer, r.vdl, vdl);
  if (chain === null) r.cache = frozenList([]);
  else for (const rec of chain) if (rec.page !== null) cacheApply(r, rec.page, { lsn: rec.lsn, commitLsn: rec.commitLsn, value: rec.value });
  r.vdl = vdl;
  r.buffer = frozenList(buffer.filter((b) => b.lsn > vdl));
  r.covering = frozenList(covering.map((c) => frozenList([...c])));
}

/** The buffered records in (from, to], in LSN order, if volume backlinks show none is missing. */
function streamChain(buffer: readonly RedoRecord[], from: Lsn, to: Lsn): RedoRecord[] | null {
  const byLsn = new Map(buffer.map((b) => [b.lsn, b] as const));
  const chain: RedoRecord[] = [];
  let at = to;
  while (at > from) {
    const rec = byLsn.get(at);
    if (rec === undefined) return null;
    chain.push(rec);
    at = rec.prevVol;
  }
  return at === from ? chain.reverse() : null;
}

/** A replica reads at its own VDL, from cache or from a segment the writer said covers it. */
export function replicaRead(ctx: Ctx, node: NodeId, pages: readonly number[]): void {
  const c = ctx.s.compute[node];
  if (c === undefined || c.status !== 'replica' || c.vdl === null) {
    ctx.out.push({ kind: 'readRefused', read: nextRead(ctx), at: node, reason: 'replicaNotReady' });
    return;
  }
  editReplica(ctx, node, (r) => issueRead(ctx, node, r, r.epoch, r.vdl!, pages, routeByCovering(r)));
}

function routeByCovering(r: Replica): Route {
  const covering = r.covering;
  return (pg, _readPoint, read, after) => rotation(covering[pg] ?? [], read, after)[0] ?? null;
}

/** Hedge reads, fold cached versions below the lowest read point in use, and tell the writer that point (for PGMRPL). */
export function replicaTick(ctx: Ctx, node: NodeId): void {
  editReplica(ctx, node, (r) => replicaTicks(ctx, node, r));
}

function replicaTicks(ctx: Ctx, node: NodeId, r: ReplicaEdit): void {
  hedgeReads(ctx, node, r, r.epoch, routeByCovering(r));
  if (r.vdl !== null) cacheFold(r, lowestReadPoint(r, r.vdl));
  if (r.vdl !== null && r.writer !== null) {
    send(ctx, { kind: 'replicaStatus', from: node, to: r.writer, epoch: r.epoch, point: lowestReadPoint(r, r.vdl) });
  }
}
