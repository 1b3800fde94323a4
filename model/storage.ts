// Storage nodes: each holds one segment of every PG.
//
// Foreground work (SIGMOD 2017 §3.3): (1) receive records into a queue, (2) persist and
// acknowledge with the segment's SCL. Background work on tick: (3) find gaps through backlinks,
// (4) gossip with peers to fill them. Every request carries a volume epoch; a request of an epoch
// older than the segment's promise is refused, which is how an old writer is fenced without a
// lease. Records annulled by a truncation range are never kept.

import type { Draft } from 'immer';
import type { Ctx } from './network.js';
import { send } from './network.js';
import type { SegmentDurable, StorageNode } from './state.js';
import type { Message, NodeId, RedoRecord } from './types.js';
import { WRITER } from './types.js';
import { hasHoles, pageValueAt, recordAnnulled, segmentCompleteLsn, sortByLsn } from './log.js';

export function initialSegment(): SegmentDurable {
  return { epoch: 1, sealedEpoch: 1, ranges: [], records: [] };
}

export function segmentOf(ctx: Ctx, node: NodeId, pg: number): Draft<SegmentDurable> {
  return ctx.s.storage[node]!.durable.segments[pg]!;
}

/** A message from the writer side, handled by a storage node that is up. */
export function storageReceive(ctx: Ctx, node: NodeId, msg: Message): void {
  const seg = segmentOf(ctx, node, msg.pg);
  if (msg.kind === 'gossipReq') return answerGossip(ctx, node, seg, msg);
  if (msg.kind === 'gossipResp') return takeGossip(ctx, node, seg, msg);
  if (msg.kind !== 'write' && msg.kind !== 'readReq' && msg.kind !== 'recoverReq' && msg.kind !== 'seal') {
    throw new Error(`storage node ${node} got ${msg.kind}`);
  }
  if (msg.epoch < seg.epoch) {
    ctx.out.push({ kind: 'staleRefused', node, pg: msg.pg, epoch: seg.epoch, stale: msg.epoch, what: msg.kind });
    send(ctx, { kind: 'rejected', from: node, to: msg.from, epoch: seg.epoch, pg: msg.pg, stale: msg.epoch });
    return;
  }
  switch (msg.kind) {
    case 'write':
      // A writer of an epoch this segment has not been sealed into yet: wait for its seal.
      if (msg.epoch !== seg.sealedEpoch) return;
      return enqueue(ctx, node, msg.pg, msg.records, msg.epoch);
    case 'readReq': {
      const value = pageValueAt(seg.ranges, seg.records, msg.page, msg.readPoint);
      send(ctx, { kind: 'readResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg, read: msg.read, page: msg.page, value });
      return;
    }
    case 'recoverReq':
      seg.epoch = msg.epoch;
      send(ctx, {
        kind: 'recoverResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg,
        records: [...seg.records], ranges: [...seg.ranges], scl: segmentCompleteLsn(seg.records),
      });
      return;
    case 'seal':
      // The epoch and truncation ranges are durable as one write, then annulled records go.
      seg.epoch = msg.epoch;
      seg.sealedEpoch = msg.epoch;
      seg.ranges = [...msg.ranges];
      seg.records = seg.records.filter((r) => !recordAnnulled(msg.ranges, r));
      enqueue(ctx, node, msg.pg, msg.repair, msg.epoch);
      acknowledge(ctx, node, msg.pg);
      return;
  }
}

function enqueue(ctx: Ctx, node: NodeId, pg: number, records: readonly RedoRecord[], epoch: number): void {
  const queue = ctx.s.storage[node]!.volatile.queue;
  for (const record of records) queue.push({ pg, record, epoch });
}

function acknowledge(ctx: Ctx, node: NodeId, pg: number): void {
  const seg = segmentOf(ctx, node, pg);
  send(ctx, { kind: 'ack', from: node, to: WRITER, epoch: seg.sealedEpoch, pg, scl: segmentCompleteLsn(seg.records) });
}

/**
 * Persist the queue, then acknowledge every PG that got records (persist before acknowledge:
 * an ack promises the records survive a crash). Records of a message older than the segment's
 * promise, annulled ones and ones already held are dropped.
 */
export function persist(ctx: Ctx, node: NodeId): void {
  const n = ctx.s.storage[node]!;
  if (!n.volatile.up || n.volatile.queue.length === 0) return;
  const touched = new Set<number>();
  for (const { pg, record, epoch } of n.volatile.queue) {
    const seg = n.durable.segments[pg]!;
    touched.add(pg);
    if (epoch < seg.epoch || recordAnnulled(seg.ranges, record)) continue;
    if (seg.records.some((r) => r.lsn === record.lsn)) continue;
    seg.records = sortByLsn([...seg.records, record]);
  }
  n.volatile.queue = [];
  for (const pg of [...touched].sort((a, b) => a - b)) acknowledge(ctx, node, pg);
}

/** Background: a segment with holes asks one peer (round robin by time) for what follows its SCL. */
export function gossip(ctx: Ctx, node: NodeId, membersOf: (pg: number) => readonly NodeId[]): void {
  const n = ctx.s.storage[node] as StorageNode;
  if (!n.volatile.up) return;
  n.durable.segments.forEach((seg, pg) => {
    if (!hasHoles(seg.records)) return;
    const others = membersOf(pg).filter((p) => p !== node);
    const peer = others[ctx.s.world.time % others.length]!;
    send(ctx, { kind: 'gossipReq', from: node, to: peer, epoch: seg.sealedEpoch, pg, after: segmentCompleteLsn(seg.records) });
  });
}

function answerGossip(ctx: Ctx, node: NodeId, seg: Draft<SegmentDurable>, msg: Extract<Message, { kind: 'gossipReq' }>): void {
  if (msg.epoch !== seg.sealedEpoch) return;
  const records = seg.records.filter((r) => r.lsn > msg.after);
  if (records.length === 0) return;
  send(ctx, { kind: 'gossipResp', from: node, to: msg.from, epoch: msg.epoch, pg: msg.pg, records: [...records] });
}

function takeGossip(ctx: Ctx, node: NodeId, seg: Draft<SegmentDurable>, msg: Extract<Message, { kind: 'gossipResp' }>): void {
  if (msg.epoch !== seg.sealedEpoch) return;
  enqueue(ctx, node, msg.pg, msg.records, msg.epoch);
}

export function crashStorage(ctx: Ctx, node: NodeId): void {
  ctx.s.storage[node]!.volatile = { up: false, queue: [] };
}

export function restartStorage(ctx: Ctx, node: NodeId): void {
  ctx.s.storage[node]!.volatile = { up: true, queue: [] };
}
