// The writer (the database instance): allocates LSNs, ships redo records to the segments of each
// PG and the redo stream to the replicas, tracks acknowledgements, advances VCL and VDL,
// acknowledges commits, serves reads, and recovers after a crash or a failover. It keeps the
// records it allocated until every member holds them and no read can need them (`release`), and
// its cached pages' versions until no read in use is below them (reads.ts cacheFold).
//
// Commits never block the caller: a transaction is accepted (or refused) at once and its commit is
// acknowledged later, exactly when VDL reaches its commit LSN. Back-pressure is the LSN
// allocation limit: no LSN above VDL + LAL. Retransmission, hedging and recovery retries happen
// on tick. Nothing here is durable: a crash of the writer loses all of it. Which compute node is
// the writer, and each PG's membership, the writer reads from the control plane.

import type { Ctx } from './network.js';
import { mod, nextRead, send, setWorld } from './network.js';
import { setControl } from './control.js';
import type { RecoveryPlan, RecoveryResponse, State, WriterRecovering, WriterUp } from './state.js';
import { DOWN, isWriterUp, setCompute } from './state.js';
import type { Lsn, Message, NodeId, RedoRecord } from './types.js';
import { bug, computeNodes, membersOf, pageServers, pgOfPage, quorumsFor } from './types.js';
import { MTRS_PER_TXN_MAX, WRITES_PER_MTR_MAX, writeValue, type Event } from './events.js';
import { pgFloor, pgRecordsAbove, watermarks, type Watermarks } from './watermarks.js';
import { wins } from './quorum.js';
import { planRecovery } from './recovery.js';
import { anyOf, appended, eachOf, filterOf, frozenDeep, frozenList, kept, opaque, opaqueWith, tailOf, withAt, type Edit } from './frozen.js';
import { cacheApply, cacheFold, cacheInsert, hedgeReads, issueRead, lowestReadPoint, rotation, takeReadResp, type Route } from './reads.js';

export function writerUp(plan: RecoveryPlan, epoch: number, status: WriterUp['status'], pgCount: number): WriterUp {
  return writerValue({
    status, epoch, plan: frozenDeep(plan), base: plan.truncateTo,
    scl: frozenList(Array.from({ length: pgCount }, () => known({}))),
    sealed: frozenList(Array.from({ length: pgCount }, () => known({}))),
    incarnations: frozenList(Array.from({ length: pgCount }, () => known({}))),
    reached: frozenList(Array.from({ length: pgCount }, () => -1)),
    records: frozenList([]), released: plan.truncateTo, releasedCpl: plan.truncateTo, releasedLastPg: frozenList([...plan.lastPg]),
    pendingTxns: frozenList([]), reads: frozenList([]), cache: frozenList([]),
    replicaPoints: known({}), gcAnnounced: frozenList([]), resendUpTo: plan.truncateTo,
  });
}

/**
 * A writer's state is a value, frozen and never drafted (read plainly): its parts are immutable
 * values, and a change replaces it whole.
 */
export function writerValue(w: WriterUp): WriterUp {
  return Object.freeze(writerCopy(w));
}

/** A writer's writable copy, part by part (one fixed shape: frozen.ts Copy). */
function writerCopy(w: WriterUp): WriterEdit {
  return {
    status: w.status, epoch: w.epoch, plan: w.plan, base: w.base, scl: w.scl, sealed: w.sealed, incarnations: w.incarnations, reached: w.reached,
    records: w.records, released: w.released, releasedCpl: w.releasedCpl, releasedLastPg: w.releasedLastPg,
    pendingTxns: w.pendingTxns, reads: w.reads, cache: w.cache, replicaPoints: w.replicaPoints,
    gcAnnounced: w.gcAnnounced, resendUpTo: w.resendUpTo,
  };
}

/**
 * A writer being changed by one handler: a writable shallow copy of its value, whose parts are
 * replaced (never changed in place) and which `commit` makes the node's state.
 */
type WriterEdit = Edit<WriterUp>;

/** The writer at `node`, to edit (null: no writer up there). */
function edit(ctx: Ctx, node: NodeId): WriterEdit | null {
  const c = ctx.s.compute[node];
  return isWriterUp(c) ? writerCopy(c) : null;
}

/** The edited writer becomes the node's state (kept as it was if nothing changed). */
function commit(ctx: Ctx, node: NodeId, w: WriterEdit): void {
  const old = ctx.s.compute[node] as WriterUp;
  const next = kept(old, w);
  if (next !== old) setCompute(ctx, node, next);
}

/** Edit the writer at `node` with `change`, if it is up, and keep the result. */
function editWriter(ctx: Ctx, node: NodeId, change: (w: WriterEdit) => void): void {
  const w = edit(ctx, node);
  if (w === null) return;
  change(w);
  commit(ctx, node, w);
}

function replicasOf(ctx: Ctx, writer: NodeId): NodeId[] {
  return filterOf(computeNodes(ctx.config), (n) => n !== writer);
}

function marks(ctx: Ctx, w: WriterUp) {
  return watermarks(ctx.config, ctx.s.control.pgs, w);
}

// ---- Client work ---------------------------------------------------------------------------

export function clientTxn(ctx: Ctx, event: Extract<Event, { type: 'txn' }>): void {
  const s = ctx.s;
  const txn = s.world.txnCount;
  setWorld(ctx, { txnCount: txn + 1 });
  const node = s.control.writer;
  const w = edit(ctx, node);
  if (w === null || w.status !== 'active') {
    ctx.out.push({ kind: 'refused', txn, reason: 'noWriter' });
    return;
  }
  const mtrs = event.mtrs.slice(0, MTRS_PER_TXN_MAX).map((m) => m.slice(0, WRITES_PER_MTR_MAX)).filter((m) => m.length > 0);
  const writes = mtrs.reduce((n, m) => n + m.length, 0);
  const { vdl, allocated } = marks(ctx, w);
  const firstLsn = allocated + 1;
  const commitLsn = allocated + writes + 1;
  if ((bug(ctx.config, 'lal-checks-first-lsn') ? firstLsn : commitLsn) > vdl + ctx.config.lal) {
    ctx.out.push({ kind: 'refused', txn, reason: 'lal' });
    return;
  }
  const pageCount = s.control.pgs.length * ctx.config.pagesPerPg;
  const fresh: RedoRecord[] = [];
  let index = 0;
  mtrs.forEach((mtr, m) => mtr.forEach((page, i) => {
    const last = i === mtr.length - 1 && m < mtrs.length - 1;
    const p = mod(page, pageCount);
    allocate(w, fresh, { pg: pgOfPage(ctx.config, p), txn, commitLsn, cpl: last, page: p, value: writeValue(txn, index++) });
  }));
  const lastPg = fresh.length === 0 ? mod(txn, s.control.pgs.length) : fresh[fresh.length - 1]!.pg;
  allocate(w, fresh, { pg: lastPg, txn, commitLsn, cpl: true, page: null, value: 0 });
  // The log is a value: replaced by a longer one (the txn's records appended at once), never changed in place.
  w.records = frozenList([...w.records, ...fresh]);
  w.pendingTxns = appended(w.pendingTxns, Object.freeze({ txn, commitLsn }));
  commit(ctx, node, w);
  ctx.out.push({ kind: 'accepted', txn, firstLsn, commitLsn });
  eachOf(s.control.pgs, (membership, pg) => {
    // One frozen list, sent as it is to every member.
    const records = frozenList(fresh.filter((r) => r.pg === pg));
    if (records.length === 0) return;
    for (const to of membersOf(membership)) {
      send(ctx, { kind: 'write', from: node, to, epoch: w.epoch, membership: membership.epoch, pg, records });
    }
  });
  const stream = frozenList(fresh);
  for (const to of replicasOf(ctx, node)) send(ctx, { kind: 'stream', from: node, to, epoch: w.epoch, records: stream });
}

/**
 * The next record of the log, allocated after the writer's log and then `fresh` (the txn's records
 * so far), to which it is added. The first record of the incarnation links back to the recovered
 * VDL; a released log's next record to the last one released.
 */
function allocate(w: WriterEdit, fresh: RedoRecord[], r: Omit<RedoRecord, 'lsn' | 'epoch' | 'prevPg' | 'prevVol'>): void {
  const previous = fresh.length > 0 ? fresh[fresh.length - 1]!.lsn : w.records.length > 0 ? w.records[w.records.length - 1]!.lsn : w.released;
  const prevVol = previous === w.base ? w.plan.vdl : previous;
  const lsn = previous + 1;
  const record: RedoRecord = Object.freeze({
    lsn, epoch: w.epoch, pg: r.pg, prevPg: lastOfPg(w, fresh, r.pg), prevVol,
    txn: r.txn, commitLsn: r.commitLsn, cpl: r.cpl, page: r.page, value: r.value,
  });
  fresh.push(record);
  if (record.page !== null) cacheApply(w, record.page, { lsn, commitLsn: record.commitLsn, value: record.value });
}

/** The PG backlink of a record allocated now: the PG's last LSN in `fresh`, else in the log, else the released or the plan's (0: none). */
function lastOfPg(w: WriterUp, fresh: readonly RedoRecord[], pg: number): Lsn {
  for (let i = fresh.length - 1; i >= 0; i--) if (fresh[i]!.pg === pg) return fresh[i]!.lsn;
  return pgFloor(w, pg, Infinity);
}

export function clientRead(ctx: Ctx, event: Extract<Event, { type: 'read' }>): void {
  const s = ctx.s;
  const node = s.control.writer;
  const w = edit(ctx, node);
  if (w === null || w.status !== 'active') {
    ctx.out.push({ kind: 'readRefused', read: nextRead(ctx), at: null, reason: 'noWriter' });
    return;
  }
  issueRead(ctx, node, w, w.epoch, marks(ctx, w).vdl, event.pages, routeBySCL(ctx, w));
  commit(ctx, node, w);
}

/** Sealed into this epoch, and its reported SCL reaches `floor`. */
function covers(k: Acked, pg: number, node: NodeId, floor: number): boolean {
  return k.sealed[pg]?.[node] !== undefined && (k.scl[pg]?.[node] ?? -1) >= floor;
}

/** What acknowledgements told the writer, per PG and member: sealed incarnations and SCLs. */
interface Acked {
  readonly sealed: readonly Readonly<Record<NodeId, number>>[];
  readonly scl: readonly Readonly<Record<NodeId, Lsn>>[];
}

/**
 * A segment whose reported SCL covers the read point: it holds every record of the PG at or below
 * it. The writer knows SCLs from acknowledgements.
 */
function routeBySCL(ctx: Ctx, w: WriterUp): Route {
  return (pg, readPoint, read, after) => {
    const floor = pgFloor(w, pg, readPoint);
    const servers = pageServers(ctx.config, ctx.s.control.pgs[pg]!);
    const k: Acked = w;
    return rotation(servers, read, after).find((m) => bug(ctx.config, 'read-any-page-server') || covers(k, pg, m, floor)) ?? null;
  };
}

// ---- Messages to the writer ----------------------------------------------------------------

export function writerReceive(ctx: Ctx, node: NodeId, msg: Message): void {
  const s = ctx.s;
  const c = s.compute[node]!;
  if (c.status === 'down' || c.status === 'replica') return;
  if (msg.kind === 'rejected') {
    if (msg.epoch > c.epoch) {
      ctx.out.push({ kind: 'fenced', node, epoch: c.epoch, by: msg.epoch });
      setCompute(ctx, node, DOWN);
    }
    return;
  }
  // A segment asking for a seal (-1) may not know the epoch yet.
  const needsSeal = msg.kind === 'ack' && msg.scl < 0;
  if (msg.epoch !== c.epoch && !needsSeal) return;
  if (c.status === 'recovering') {
    if (msg.kind === 'recoverResp') takeRecoveryResponse(ctx, node, msg);
    return;
  }
  editWriter(ctx, node, (w) => writerTakes(ctx, node, w, msg));
}

function writerTakes(ctx: Ctx, node: NodeId, w: WriterEdit, msg: Message): void {
  if (msg.kind === 'ack') {
    const before = marks(ctx, w).vdl;
    takeAck(w, msg);
    const { vdl } = remember(ctx, w);
    if (w.status === 'sealing') return completeSealing(ctx, node, w);
    acknowledgeCommits(ctx, node, w, vdl);
    if (vdl > before) updateReplicas(ctx, node, w, vdl);
  } else if (msg.kind === 'replicaStatus') {
    w.replicaPoints = opaqueWith(w.replicaPoints, msg.from, msg.point);
  } else if (msg.kind === 'readResp' && w.status === 'active') {
    const done = takeReadResp(ctx, w, msg);
    if (done === null) return;
    const own = filterOf(w.records, (r) => r.page === msg.page && r.lsn > done.readPoint)
      .map((r) => ({ lsn: r.lsn, commitLsn: r.commitLsn, value: r.value }));
    cacheInsert(w, ctx.config.cachePages, { page: msg.page, asOf: done.readPoint, value: msg.value, versions: [...msg.pending, ...own] });
  }
}

/**
 * SCLs only grow within a segment's incarnation. An ack of an older incarnation than the newest
 * heard of is stale. One of a newer incarnation (a replacement, a new disk) means the segment the
 * writer knew is gone: what it reported is forgotten. An ack of -1 says the segment is not sealed
 * into this epoch: forget that it was, so the next tick seals it.
 */
function takeAck(w: WriterEdit, msg: Extract<Message, { kind: 'ack' }>): void {
  const pg = msg.pg;
  const heard = w.incarnations[pg]?.[msg.from] ?? 0;
  if (msg.incarnation < heard) return;
  if (msg.incarnation > heard) forgetSegment(w, pg, msg.from, msg.incarnation);
  let scl = w.scl[pg];
  if (scl === undefined) w.scl = withAt(w.scl, pg, (scl = known({}))) as WriterUp['scl'];
  const sealed = w.sealed[pg] ?? known({});
  if (msg.scl < 0) {
    if (msg.from in sealed) w.sealed = withAt(w.sealed, pg, without(sealed, msg.from)) as WriterUp['sealed'];
    return;
  }
  if (sealed[msg.from] !== msg.incarnation) w.sealed = withAt(w.sealed, pg, opaqueWith(sealed, msg.from, msg.incarnation)) as WriterUp['sealed'];
  if (scl[msg.from] === undefined || msg.scl > scl[msg.from]!) w.scl = withAt(w.scl, pg, opaqueWith(scl, msg.from, msg.scl)) as WriterUp['scl'];
}

/**
 * The segment of `node` in the PG is now incarnation `incarnation`: forget the SCL and the seal of
 * the one before, and take only this incarnation's acks from now on.
 */
function forgetSegment(w: WriterEdit, pg: number, node: NodeId, incarnation: number): void {
  const scl = w.scl[pg];
  if (scl !== undefined && node in scl) w.scl = withAt(w.scl, pg, without(scl, node)) as WriterUp['scl'];
  const sealed = w.sealed[pg];
  if (sealed !== undefined && node in sealed) w.sealed = withAt(w.sealed, pg, without(sealed, node)) as WriterUp['sealed'];
  w.incarnations = withAt(w.incarnations, pg, opaqueWith(w.incarnations[pg] ?? known({}), node, incarnation)) as WriterUp['incarnations'];
}

/**
 * The control plane took `node` as a replacement in the PG: its segment there is a new, empty
 * incarnation. Every writer up is told (as it reads each PG's membership from the control plane)
 * and forgets what the node's earlier segment reported, before that SCL could count in the new
 * set's write quorum.
 */
export function replacementBegun(ctx: Ctx, pg: number, node: NodeId, incarnation: number): void {
  if (bug(ctx.config, 'writer-keeps-spare-scl')) return;
  for (const n of computeNodes(ctx.config)) editWriter(ctx, n, (w) => forgetSegment(w, pg, node, incarnation));
}

/** The values without `node`'s. */
function without(values: Readonly<Record<NodeId, number>>, node: NodeId): Readonly<Record<NodeId, number>> {
  return known(Object.fromEntries(Object.entries(values).filter(([n]) => n !== node)));
}

/**
 * Per member, what one PG's acknowledgements said (an SCL, or a sealed incarnation): a value,
 * replaced whole on change, that immer hands out as it is.
 */
export function known(values: Readonly<Record<NodeId, number>>): Readonly<Record<NodeId, number>> {
  return opaque(values);
}

/**
 * Remember the PGCLs reached, so a harder quorum (a membership change) never lowers them.
 * Returns the watermarks, which remembering does not move.
 */
function remember(ctx: Ctx, w: WriterEdit): Watermarks {
  const m = marks(ctx, w);
  let reached = w.reached;
  m.pgcl.forEach((p, pg) => { if (reached[pg] !== p) reached = withAt(reached, pg, p); });
  if (reached !== w.reached) w.reached = reached as WriterUp['reached'];
  return m;
}

/** Commit acknowledgements go out, in commit order, exactly when VDL reaches the commit LSN. */
function acknowledgeCommits(ctx: Ctx, node: NodeId, w: WriterEdit, vdl: Lsn): void {
  const pending = w.pendingTxns;
  let done = 0;
  while (done < pending.length && (pending[done]!.commitLsn <= vdl || ownPg(ctx, w, pending[done]!.commitLsn))) {
    const { txn, commitLsn } = pending[done++]!;
    ctx.out.push({ kind: 'committed', txn, commitLsn, by: node });
  }
  if (done > 0) w.pendingTxns = frozenList(tailOf(pending, done));
}

/** Only with the commit-on-own-pg bug: the commit record's own PG is complete to it. */
function ownPg(ctx: Ctx, w: WriterUp, lsn: Lsn): boolean {
  return bug(ctx.config, 'commit-on-own-pg') && marks(ctx, w).pgcl[w.records.find((r) => r.lsn === lsn)!.pg]! >= lsn;
}

/** Tell the replicas the VDL and which segments cover it. */
function updateReplicas(ctx: Ctx, node: NodeId, w: WriterUp, vdl: Lsn): void {
  const s = ctx.s;
  const k: Acked = w;
  const covering = frozenList(s.control.pgs.map((m, pg) => {
    const floor = pgFloor(w, pg, vdl);
    return frozenList(pageServers(ctx.config, m).filter((n) => covers(k, pg, n, floor)));
  }));
  for (const to of replicasOf(ctx, node)) send(ctx, { kind: 'vdlUpdate', from: node, to, epoch: w.epoch, vdl, covering });
}

// ---- Recovery ------------------------------------------------------------------------------

/** A recovering writer's state: a value, its responses frozen. */
function recovering(epoch: number, responses: readonly (readonly RecoveryResponse[])[]): WriterRecovering {
  return opaque({ status: 'recovering' as const, epoch, responses: frozenDeep(responses.map((rs) => [...rs])) });
}

/** Crash recovery (or a failover) at `node`: ask every segment under a fresh epoch. */
export function startRecovery(ctx: Ctx, node: NodeId): void {
  const s = ctx.s;
  const epoch = s.control.epochNext;
  setControl(ctx, { epochNext: epoch + 1 });
  setCompute(ctx, node, recovering(epoch, s.control.pgs.map(() => [])));
  ctx.out.push({ kind: 'recoveryStarted', epoch, at: node });
  askForRecovery(ctx, node, epoch, () => true);
}

function askForRecovery(ctx: Ctx, node: NodeId, epoch: number, ask: (pg: number, to: NodeId) => boolean): void {
  eachOf(ctx.s.control.pgs, (m, pg) => {
    for (const to of membersOf(m)) {
      if (ask(pg, to)) send(ctx, { kind: 'recoverReq', from: node, to, epoch, membership: m.epoch, pg });
    }
  });
}

function pgsWithoutReadQuorum(ctx: Ctx, node: NodeId): number[] {
  const w = ctx.s.compute[node]!;
  if (w.status !== 'recovering') return [];
  const out: number[] = [];
  eachOf(ctx.s.control.pgs, (m, pg) => {
    const responders = (w.responses[pg] ?? []).map((r) => r.node);
    if (!(bug(ctx.config, 'recovery-below-read-quorum') ? responders.length >= 2 : wins(quorumsFor(ctx.config, m).read, responders))) out.push(pg);
  });
  return out;
}

function takeRecoveryResponse(ctx: Ctx, node: NodeId, msg: Extract<Message, { kind: 'recoverResp' }>): void {
  const w = (ctx.s.compute as State['compute'])[node]!;
  if (w.status !== 'recovering') return;
  const responses = [...w.responses];
  while (responses.length < ctx.s.control.pgs.length) responses.push([]);
  // A segment's latest response replaces its earlier one.
  const response: RecoveryResponse = { node: msg.from, records: msg.records, ranges: msg.ranges, gcPoint: msg.gcPoint };
  responses[msg.pg] = [...responses[msg.pg]!.filter((r) => r.node !== msg.from), response];
  setCompute(ctx, node, recovering(w.epoch, responses));
  if (pgsWithoutReadQuorum(ctx, node).length > 0) return;
  const plan = planRecovery(ctx.config, w.epoch, responses);
  const up = writerUp(plan, w.epoch, 'sealing', ctx.s.control.pgs.length);
  setCompute(ctx, node, up);
  sendSeals(ctx, node, up);
}

/** Seal (epoch + truncation ranges + repair records) every segment not yet caught up with the plan. */
function sendSeals(ctx: Ctx, node: NodeId, w: WriterUp): void {
  const k: Acked = w;
  eachOf(ctx.s.control.pgs, (m, pg) => {
    const lastPg = w.plan.lastPg[pg] ?? 0;
    for (const to of membersOf(m)) {
      const scl = k.sealed[pg]?.[to] === undefined ? undefined : k.scl[pg]?.[to];
      if (scl !== undefined && scl >= lastPg) continue;
      const repair = frozenList((w.plan.records[pg] ?? []).filter((r) => r.lsn > (scl ?? 0)));
      send(ctx, { kind: 'seal', from: node, to, epoch: w.epoch, membership: m.epoch, pg, ranges: w.plan.ranges, repair, base: w.plan.gcPoint });
    }
  });
}

/** Recovery ends when a write quorum of every PG is sealed and holds the PG's log up to the VDL. */
function completeSealing(ctx: Ctx, node: NodeId, w: WriterEdit): void {
  if (w.status !== 'sealing') return;
  const k: Acked = w;
  for (const [pg, m] of ctx.s.control.pgs.entries()) {
    const caughtUp = membersOf(m).filter((n) => covers(k, pg, n, w.plan.lastPg[pg] ?? 0));
    if (!wins(quorumsFor(ctx.config, m).write, caughtUp)) return;
  }
  w.status = 'active';
  ctx.out.push({
    kind: 'recovered', epoch: w.epoch, at: node, vdl: w.plan.vdl,
    truncateFrom: w.plan.vdl, truncateTo: w.plan.truncateTo, annulled: w.plan.annulled,
  });
  updateReplicas(ctx, node, w, marks(ctx, w).vdl);
}

// ---- Time ----------------------------------------------------------------------------------

export function writerTick(ctx: Ctx, node: NodeId): void {
  const c = ctx.s.compute[node]!;
  if (c.status === 'down' || c.status === 'replica') return;
  if (c.status === 'recovering') {
    const blocked = pgsWithoutReadQuorum(ctx, node);
    if (blocked.length > 0) ctx.out.push({ kind: 'recoveryBlocked', epoch: c.epoch, pgs: blocked });
    askForRecovery(ctx, node, c.epoch, (pg, to) => !anyOf(c.responses[pg] ?? [], (r) => r.node === to));
    return;
  }
  editWriter(ctx, node, (w) => writerTicks(ctx, node, w));
}

function writerTicks(ctx: Ctx, node: NodeId, w: WriterEdit): void {
  sendSeals(ctx, node, w);
  // A membership step can move PGCL without an ack (a joint quorum became a single one): it is
  // remembered while sealing too, or a change that began before the writer went active lowered
  // it again (shrinks/pgcl-backwards-while-sealing.json). Since a change no longer completes or
  // rolls back while a writer seals (control.ts controlTick), no step while sealing raises it;
  // remembering it stays, as the rule.
  const { vdl } = remember(ctx, w);
  if (w.status === 'sealing') return completeSealing(ctx, node, w);
  acknowledgeCommits(ctx, node, w, vdl);
  const time = ctx.s.world.time;
  if (time % ctx.config.retransmitTicks === 0) {
    retransmit(ctx, node, w);
    updateReplicas(ctx, node, w, vdl);
    announceMinReadPoint(ctx, node, w, vdl);
    release(ctx, w);
    cacheFold(w, lowestReadPoint(w, vdl));
  }
  // The tick before a round: what is allocated by now will have had a round trip by then.
  if ((time + 1) % ctx.config.retransmitTicks === 0) w.resendUpTo = w.records.at(-1)?.lsn ?? w.released;
  hedgeReads(ctx, node, w, w.epoch, routeBySCL(ctx, w));
}

/**
 * PGMRPL: the lowest read point in use, across the writer (its VDL and pending reads) and every
 * replica (as last reported in this epoch; one that has not reported holds it at the epoch's
 * base). Storage may coalesce below it, never at or above it.
 */
export function minReadPoint(
  s: State, node: NodeId, w: WriterUp, vdl: Lsn = watermarks(s.config, s.control.pgs, w).vdl,
): Lsn {
  const own = lowestReadPoint(w, vdl);
  const replicas = filterOf(computeNodes(s.config), (n) => n !== node).map((n) => w.replicaPoints[n] ?? w.base);
  return Math.min(own, ...replicas);
}

function announceMinReadPoint(ctx: Ctx, node: NodeId, w: WriterEdit, vdl: Lsn): void {
  const point = bug(ctx.config, 'pgmrpl-ignores-replicas') ? lowestReadPoint(w, vdl) : minReadPoint(ctx.s, node, w, vdl);
  const k: Acked = w;
  eachOf(ctx.s.control.pgs, (m, pg) => {
    // Only a PG holding records of this epoch that commit above the point it was last told, and
    // at or below the new one, can coalesce anything new: an idle volume of many PGs costs
    // nothing per tick, and a PG whose newest records still wait for their commit is told once
    // they commit, not before as well (a lost announcement waits for the PG's next write).
    const told = w.gcAnnounced[pg] ?? 0;
    if (point <= told || !commitsIn(w, pg, told, point)) return;
    w.gcAnnounced = withAt(w.gcAnnounced, pg, point);
    for (const to of membersOf(m)) {
      if (k.sealed[pg]?.[to] !== undefined) send(ctx, { kind: 'gc', from: node, to, epoch: w.epoch, pg, point });
    }
  });
}

/**
 * Some record of `pg` in this epoch commits in (told, point]: coalescing at the point drops what it
 * could not at `told` (commit LSNs never decrease along the log, so the scan stops at `told`).
 */
function commitsIn(w: WriterUp, pg: number, told: Lsn, point: Lsn): boolean {
  const records = w.records;
  for (let i = records.length - 1; i >= 0 && records[i]!.commitLsn > told; i--) {
    const r = records[i]!;
    if (r.pg === pg && r.commitLsn <= point) return true;
  }
  return false;
}

/**
 * Release the log's prefix that no one needs from the writer any more (state.ts `released`): every
 * member of the record's PG reported an SCL at or above it, and the PG was told a PGMRPL at or
 * above its commit. Checked once a round, after the PGMRPL announcements.
 */
function release(ctx: Ctx, w: WriterEdit): void {
  const records = w.records;
  const pgs = ctx.s.control.pgs;
  const k: Acked = w;
  let n = 0;
  while (n < records.length) {
    const r = records[n]!;
    if (r.commitLsn > (w.gcAnnounced[r.pg] ?? 0) && !bug(ctx.config, 'release-ignores-pgmrpl')) break;
    const scl = k.scl[r.pg] ?? {};
    if (!membersOf(pgs[r.pg]!).every((m) => (scl[m] ?? -1) >= r.lsn)) break;
    n++;
  }
  if (n === 0) return;
  let cpl = w.releasedCpl;
  const lastPg = [...w.releasedLastPg];
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    if (r.cpl) cpl = r.lsn;
    lastPg[r.pg] = r.lsn;
  }
  w.released = records[n - 1]!.lsn;
  w.releasedCpl = cpl;
  w.releasedLastPg = frozenList(lastPg);
  w.records = frozenList(tailOf(records, n));
}

/**
 * Resend to each segment every record of its PG above the SCL it last reported that has had a
 * round trip to be acknowledged (at or below resendUpTo), of those the writer still holds: a
 * segment that lacks released ones (a member added since) hydrates them from its peers by gossip.
 */
function retransmit(ctx: Ctx, node: NodeId, w: WriterUp): void {
  const k: Acked = w;
  const upTo = w.resendUpTo;
  eachOf(ctx.s.control.pgs, (m, pg) => {
    for (const to of membersOf(m)) {
      const scl = k.scl[pg]?.[to];
      if (scl === undefined || k.sealed[pg]?.[to] === undefined) continue;
      const records = frozenList(filterOf(pgRecordsAbove(w.records, pg, scl), (r) => r.lsn <= upTo));
      if (records.length > 0) send(ctx, { kind: 'write', from: node, to, epoch: w.epoch, membership: m.epoch, pg, records });
    }
  });
}
