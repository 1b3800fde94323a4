// Crash recovery and failover at a compute node, up to the moment the writer is active.
//
// 1. recovering: ask every member of every PG (recoverReq under a fresh epoch; a segment that
//    answers promises that epoch, so an old writer is fenced). Unanswered members are asked
//    again on every tick; recoveryBlocked says which PGs still lack a read quorum.
// 2. With a read quorum of every PG, plan (plan.ts) and become a sealing writer: seal every
//    segment (epoch, truncation ranges, repair records up to the VDL, GC base) not yet caught up.
// 3. Active once a write quorum of every PG is sealed and holds the PG's log up to the VDL.
// Volatile, all of it: a crash mid-way simply starts over under a newer epoch.

import type { Message, NodeId } from '../model/types.js';
import { bug as bug_, membersOf as membersOf_, quorumsFor as quorumsFor_ } from '../model/types.js';
import { wins } from '../model/quorum.js';
import { assert as assert_ } from './assert.js';
import type { Cluster } from './cluster.js';
import { planRecovery, type RecoveryResponse } from './plan.js';
import { storageIndex as storageIndex_ } from './watermarks.js';
import { WriterUp, updateReplicas as updateReplicas_ } from './writer.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const bug: typeof bug_ = bug_;
const membersOf: typeof membersOf_ = membersOf_;
const quorumsFor: typeof quorumsFor_ = quorumsFor_;
const assert: typeof assert_ = assert_;
const updateReplicas: typeof updateReplicas_ = updateReplicas_;
const storageIndex: typeof storageIndex_ = storageIndex_;

export class Recovering {
  readonly status = 'recovering';
  /** Per PG, the latest response of each segment, in arrival order. */
  readonly responses: RecoveryResponse[][];

  constructor(readonly epoch: number, pgCount: number) {
    assert(epoch >= 2, 'recovery runs under a fresh epoch');
    this.responses = Array.from({ length: pgCount }, () => []);
  }

  responded(pg: number, node: NodeId): boolean {
    return (this.responses[pg] ?? []).some((r) => r.node === node);
  }
}

/** Crash recovery (or a failover) at `node`: ask every segment under a fresh epoch. */
export function startRecovery(c: Cluster, node: NodeId): void {
  const epoch = c.control.epochNext++;
  const x = new Recovering(epoch, c.control.pgs.length);
  c.setCompute(node, x);
  c.observe({ kind: 'recoveryStarted', epoch, at: node });
  askForRecovery(c, node, x);
}

function askForRecovery(c: Cluster, node: NodeId, x: Recovering): void {
  c.control.pgs.forEach((m, pg) => {
    for (const to of membersOf(m)) {
      if (!x.responded(pg, to)) c.send({ kind: 'recoverReq', from: node, to, epoch: x.epoch, membership: m.epoch, pg });
    }
  });
}

function pgsWithoutReadQuorum(c: Cluster, x: Recovering): number[] {
  const out: number[] = [];
  c.control.pgs.forEach((m, pg) => {
    const responders = (x.responses[pg] ?? []).map((r) => r.node);
    if (!(bug(c.config, 'recovery-below-read-quorum') ? responders.length >= 2 : wins(quorumsFor(c.config, m).read, responders))) out.push(pg);
  });
  return out;
}

export function recoveringTick(c: Cluster, node: NodeId, x: Recovering): void {
  assert(c.compute.get(node) === x, 'the recovering node ticks');
  const blocked = pgsWithoutReadQuorum(c, x);
  if (blocked.length > 0) c.observe({ kind: 'recoveryBlocked', epoch: x.epoch, pgs: blocked });
  askForRecovery(c, node, x);
}

export function takeRecoveryResponse(c: Cluster, node: NodeId, x: Recovering, msg: Extract<Message, { kind: 'recoverResp' }>): void {
  assert(msg.epoch === x.epoch, 'responses of this recovery only');
  while (x.responses.length < c.control.pgs.length) x.responses.push([]);
  const rs = x.responses[msg.pg]!;
  const i = rs.findIndex((r) => r.node === msg.from);
  if (i >= 0) rs.splice(i, 1);
  rs.push({ node: msg.from, records: msg.records, ranges: msg.ranges, gcPoint: msg.gcPoint });
  if (pgsWithoutReadQuorum(c, x).length > 0) return;
  const plan = planRecovery(c.config, x.epoch, x.responses);
  const w = new WriterUp(c.config, plan, x.epoch, 'sealing', c.control.pgs.length);
  c.setCompute(node, w);
  sendSeals(c, node, w);
}

/** Seal (epoch + truncation ranges + repair records) every segment not yet caught up with the plan. */
export function sendSeals(c: Cluster, node: NodeId, w: WriterUp): void {
  w.syncControl(c.control.version, c.control.pgs.length);
  // Only PGs in sealWork can need a seal: a PG leaves it once every member is caught up, and
  // comes back on an ack of it or a membership write.
  const todo = w.sealWork;
  for (let k = 0, end = todo.sorted(); k < end; k++) {
    const pg = todo.at(k);
    const m = c.control.pgs[pg]!;
    const lastPg = w.plan.lastPg[pg] ?? 0;
    let needed = false;
    const members = c.members(pg);
    for (let j = 0; j < members.length; j++) {
      const to = members[j]!;
      const i = storageIndex(to);
      const scl = w.sealedIncarnation(pg, i) >= 0 ? w.marks.sclAt(pg, i) : undefined;
      if (scl !== undefined && scl >= lastPg) continue;
      needed = true;
      const repair = (w.plan.records[pg] ?? []).filter((r) => r.lsn > (scl ?? 0));
      c.send({ kind: 'seal', from: node, to, epoch: w.epoch, membership: m.epoch, pg, ranges: w.plan.ranges, repair, base: w.plan.gcPoint });
    }
    if (!needed) w.sealWork.delete(pg);
  }
}

/** Recovery ends when a write quorum of every PG is sealed and holds the PG's log up to the VDL. */
export function completeSealing(c: Cluster, node: NodeId, w: WriterUp): void {
  assert(c.compute.get(node) === w, 'the sealing writer is the node');
  if (w.status !== 'sealing') return;
  for (const [pg, m] of c.control.pgs.entries()) {
    const floor = w.plan.lastPg[pg] ?? 0;
    const caughtUp = membersOf(m).filter((n) => w.covers(pg, n, floor));
    if (!wins(quorumsFor(c.config, m).write, caughtUp)) return;
  }
  w.status = 'active';
  c.observe({
    kind: 'recovered', epoch: w.epoch, at: node, vdl: w.plan.vdl,
    truncateFrom: w.plan.vdl, truncateTo: w.plan.truncateTo, annulled: w.plan.annulled,
  });
  updateReplicas(c, node, w);
}
