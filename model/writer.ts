// The writer (the database instance): allocates LSNs, ships redo records to the six segments of
// each PG, tracks acknowledgements, advances VCL and VDL, acknowledges commits, and serves reads.
//
// Commits never block the caller: a transaction is accepted (or refused) at once and its commit is
// acknowledged later, exactly when VDL reaches its commit LSN. Back-pressure is the LSN
// allocation limit: no LSN above VDL + LAL. Retransmission, hedging and recovery retries happen
// on tick. Nothing here is durable: a crash of the writer loses all of it.

import type { Draft } from 'immer';
import type { Ctx } from './network.js';
import { mod, send } from './network.js';
import type { PendingPageRead, RecoveryPlan, RecoveryResponse, State, WriterUp } from './state.js';
import type { Lsn, Message, NodeId, RedoRecord } from './types.js';
import { WRITER, pgOfPage, quorumsFor } from './types.js';
import { MTRS_PER_TXN_MAX, WRITES_PER_MTR_MAX, writeValue, type Event } from './events.js';
import { membersOf, pgFloor, watermarks } from './watermarks.js';
import { wins } from './quorum.js';
import { planRecovery } from './recovery.js';

export function writerUp(plan: RecoveryPlan, epoch: number, status: WriterUp['status'], pgCount: number): WriterUp {
  return {
    status, epoch, plan, base: plan.truncateTo,
    scl: Array.from({ length: pgCount }, () => ({})),
    records: [], pendingTxns: [], reads: [], cache: [],
  };
}

function activeWriter(s: Draft<State>): Draft<WriterUp> | null {
  return s.writer.status === 'active' ? s.writer : null;
}

// ---- Client work ---------------------------------------------------------------------------

export function clientTxn(ctx: Ctx, event: Extract<Event, { type: 'txn' }>): void {
  const s = ctx.s;
  const txn = s.world.txnCount++;
  const w = activeWriter(s);
  if (w === null) {
    ctx.out.push({ kind: 'refused', txn, reason: 'noWriter' });
    return;
  }
  const mtrs = event.mtrs.slice(0, MTRS_PER_TXN_MAX).map((m) => m.slice(0, WRITES_PER_MTR_MAX)).filter((m) => m.length > 0);
  const writes = mtrs.reduce((n, m) => n + m.length, 0);
  const { vdl, allocated } = watermarks(s.config, w);
  const firstLsn = allocated + 1;
  const commitLsn = allocated + writes + 1;
  if (commitLsn > vdl + s.config.lal) {
    ctx.out.push({ kind: 'refused', txn, reason: 'lal' });
    return;
  }
  const fresh: RedoRecord[] = [];
  let index = 0;
  mtrs.forEach((mtr, m) => mtr.forEach((page, i) => {
    const last = i === mtr.length - 1 && m < mtrs.length - 1;
    const p = mod(page, s.config.pageCount);
    fresh.push(allocate(w, { pg: pgOfPage(s.config, p), txn, commitLsn, cpl: last, page: p, value: writeValue(txn, index++) }));
  }));
  const lastPage = fresh.length === 0 ? txn : fresh[fresh.length - 1]!.page!;
  fresh.push(allocate(w, { pg: pgOfPage(s.config, lastPage), txn, commitLsn, cpl: true, page: null, value: 0 }));
  w.pendingTxns.push({ txn, commitLsn });
  ctx.out.push({ kind: 'accepted', txn, firstLsn, commitLsn });
  for (let pg = 0; pg < s.config.pgCount; pg++) {
    const records = fresh.filter((r) => r.pg === pg);
    if (records.length === 0) continue;
    for (const to of membersOf(s.config, pg)) {
      send(ctx, { kind: 'write', from: WRITER, to, epoch: w.epoch, pg, records });
    }
  }
}

function allocate(
  w: Draft<WriterUp>, r: Omit<RedoRecord, 'lsn' | 'epoch' | 'prevPg' | 'prevVol'>,
): RedoRecord {
  const prevVol = w.records.length === 0 ? w.plan.vdl : w.records[w.records.length - 1]!.lsn;
  const lsn = w.records.length === 0 ? w.base + 1 : prevVol + 1;
  const record: RedoRecord = { ...r, lsn, epoch: w.epoch, prevPg: pgFloor(w, r.pg, lsn), prevVol };
  w.records.push(record);
  return record;
}

export function clientRead(ctx: Ctx, event: Extract<Event, { type: 'read' }>): void {
  const s = ctx.s;
  const read = s.world.readCount++;
  const w = activeWriter(s);
  if (w === null) {
    ctx.out.push({ kind: 'readRefused', read, reason: 'noWriter' });
    return;
  }
  const readPoint = watermarks(s.config, w).vdl;
  const pages = [...new Set(event.pages.map((p) => mod(p, s.config.pageCount)))];
  const parts: PendingPageRead[] = pages.map((page) => {
    const pg = pgOfPage(s.config, page);
    const cached = cacheLookup(w, page, readPoint);
    if (cached !== null) return { page, pg, asked: null, askedAt: s.world.time, value: cached, from: 'cache' };
    const to = pickSegment(ctx, w, pg, readPoint, read, null);
    send(ctx, { kind: 'readReq', from: WRITER, to, epoch: w.epoch, pg, read, page, readPoint });
    return { page, pg, asked: to, askedAt: s.world.time, value: null, from: null };
  });
  w.reads.push({ read, readPoint, pages: parts });
  finishReads(ctx, w);
}

/**
 * The cache serves a page read at storage at point `asOf` for any later read point: the value is
 * this incarnation's last write to the page committed in (asOf, readPoint], else the value read.
 */
function cacheLookup(w: Draft<WriterUp>, page: number, readPoint: Lsn): number | null {
  const i = w.cache.findIndex((c) => c.page === page);
  if (i < 0) return null;
  const [entry] = w.cache.splice(i, 1);
  w.cache.push(entry!);
  let value = entry!.value;
  for (const r of w.records) {
    if (r.page === page && r.commitLsn > entry!.asOf && r.commitLsn <= readPoint) value = r.value;
  }
  return value;
}

function cacheInsert(ctx: Ctx, w: Draft<WriterUp>, page: number, asOf: Lsn, value: number): void {
  if (ctx.s.config.cachePages === 0) return;
  const i = w.cache.findIndex((c) => c.page === page);
  if (i >= 0 && w.cache[i]!.asOf >= asOf) return;
  if (i >= 0) w.cache.splice(i, 1);
  w.cache.push({ page, asOf, value });
  if (w.cache.length > ctx.s.config.cachePages) w.cache.shift();
}

/**
 * A segment whose reported SCL covers the read point: it holds every record of the PG at or below
 * it. Starting at a member chosen by the read number (to spread load), after `after` if hedging.
 */
function pickSegment(ctx: Ctx, w: Draft<WriterUp>, pg: number, readPoint: Lsn, read: number, after: NodeId | null): NodeId {
  const members = membersOf(ctx.s.config, pg);
  const floor = pgFloor(w, pg, readPoint);
  const start = after === null ? mod(read, members.length) : members.indexOf(after) + 1;
  for (let i = 0; i < members.length; i++) {
    const m = members[(start + i) % members.length]!;
    if (m !== after && (w.scl[pg]![m] ?? -1) >= floor) return m;
  }
  if (after !== null) return after;
  throw new Error(`no segment of PG ${pg} covers read point ${readPoint}: VDL is not durable`);
}

function finishReads(ctx: Ctx, w: Draft<WriterUp>): void {
  for (const r of [...w.reads]) {
    if (r.pages.some((p) => p.value === null)) continue;
    ctx.out.push({
      kind: 'readOk', read: r.read, readPoint: r.readPoint,
      values: r.pages.map((p) => ({ page: p.page, value: p.value!, from: p.from! })),
    });
    w.reads.splice(w.reads.findIndex((x) => x.read === r.read), 1);
  }
}

// ---- Messages to the writer ----------------------------------------------------------------

export function writerReceive(ctx: Ctx, msg: Message): void {
  const s = ctx.s;
  if (s.writer.status === 'down') return;
  if (msg.kind === 'rejected') {
    if (msg.epoch > s.writer.epoch) {
      ctx.out.push({ kind: 'fenced', epoch: s.writer.epoch, by: msg.epoch });
      s.writer = { status: 'down' };
    }
    return;
  }
  if (msg.epoch !== s.writer.epoch) return;
  if (s.writer.status === 'recovering') {
    if (msg.kind === 'recoverResp') takeRecoveryResponse(ctx, msg);
    return;
  }
  const w = s.writer;
  if (msg.kind === 'ack') {
    const known = w.scl[msg.pg]![msg.from];
    if (known === undefined || msg.scl > known) w.scl[msg.pg]![msg.from] = msg.scl;
    if (w.status === 'sealing') completeSealing(ctx);
    else acknowledgeCommits(ctx, w);
  } else if (msg.kind === 'readResp' && w.status === 'active') {
    const read = w.reads.find((r) => r.read === msg.read);
    const part = read?.pages.find((p) => p.page === msg.page && p.value === null);
    if (read === undefined || part === undefined) return;
    part.value = msg.value;
    part.from = msg.from;
    cacheInsert(ctx, w, msg.page, read.readPoint, msg.value);
    finishReads(ctx, w);
  }
}

/** Commit acknowledgements go out, in commit order, exactly when VDL reaches the commit LSN. */
function acknowledgeCommits(ctx: Ctx, w: Draft<WriterUp>): void {
  const { vdl } = watermarks(ctx.s.config, w);
  while (w.pendingTxns.length > 0 && w.pendingTxns[0]!.commitLsn <= vdl) {
    const { txn, commitLsn } = w.pendingTxns.shift()!;
    ctx.out.push({ kind: 'committed', txn, commitLsn });
  }
}

// ---- Recovery ------------------------------------------------------------------------------

export function startRecovery(ctx: Ctx): void {
  const s = ctx.s;
  if (s.writer.status !== 'down') {
    ctx.out.push({ kind: 'noop', reason: `writer is ${s.writer.status}` });
    return;
  }
  const epoch = s.control.epochNext++;
  s.writer = { status: 'recovering', epoch, responses: Array.from({ length: s.config.pgCount }, () => []) };
  ctx.out.push({ kind: 'recoveryStarted', epoch });
  askForRecovery(ctx, epoch, () => true);
}

function askForRecovery(ctx: Ctx, epoch: number, ask: (pg: number, node: NodeId) => boolean): void {
  for (let pg = 0; pg < ctx.s.config.pgCount; pg++) {
    for (const to of membersOf(ctx.s.config, pg)) {
      if (ask(pg, to)) send(ctx, { kind: 'recoverReq', from: WRITER, to, epoch, pg });
    }
  }
}

function pgsWithoutReadQuorum(ctx: Ctx): number[] {
  const w = ctx.s.writer;
  if (w.status !== 'recovering') return [];
  const out: number[] = [];
  w.responses.forEach((rs, pg) => {
    const members = membersOf(ctx.s.config, pg);
    if (!wins(quorumsFor(ctx.s.config, members).read, rs.map((r) => r.node))) out.push(pg);
  });
  return out;
}

function takeRecoveryResponse(ctx: Ctx, msg: Extract<Message, { kind: 'recoverResp' }>): void {
  const w = ctx.s.writer;
  if (w.status !== 'recovering') return;
  const rs = w.responses[msg.pg]!;
  const i = rs.findIndex((r) => r.node === msg.from);
  if (i >= 0) rs.splice(i, 1);
  rs.push({ node: msg.from, records: msg.records, ranges: msg.ranges } as Draft<RecoveryResponse>);
  if (pgsWithoutReadQuorum(ctx).length > 0) return;
  const plan = planRecovery(ctx.s.config, w.epoch, w.responses);
  ctx.s.writer = writerUp(plan, w.epoch, 'sealing', ctx.s.config.pgCount) as Draft<WriterUp>;
  sendSeals(ctx, ctx.s.writer as Draft<WriterUp>);
}

/** Seal (epoch + truncation ranges + repair records) every segment not yet caught up with the plan. */
function sendSeals(ctx: Ctx, w: Draft<WriterUp>): void {
  for (let pg = 0; pg < ctx.s.config.pgCount; pg++) {
    for (const to of membersOf(ctx.s.config, pg)) {
      const scl = w.scl[pg]![to];
      if (scl !== undefined && scl >= w.plan.lastPg[pg]!) continue;
      const repair = w.plan.records[pg]!.filter((r) => r.lsn > (scl ?? 0));
      send(ctx, { kind: 'seal', from: WRITER, to, epoch: w.epoch, pg, ranges: w.plan.ranges, repair });
    }
  }
}

/** Recovery ends when a write quorum of every PG is sealed and holds the PG's log up to the VDL. */
function completeSealing(ctx: Ctx): void {
  const w = ctx.s.writer;
  if (w.status !== 'sealing') return;
  for (let pg = 0; pg < ctx.s.config.pgCount; pg++) {
    const members = membersOf(ctx.s.config, pg);
    const caughtUp = members.filter((m) => (w.scl[pg]![m] ?? -1) >= w.plan.lastPg[pg]!);
    if (!wins(quorumsFor(ctx.s.config, members).write, caughtUp)) return;
  }
  w.status = 'active';
  ctx.out.push({
    kind: 'recovered', epoch: w.epoch, vdl: w.plan.vdl,
    truncateFrom: w.plan.vdl, truncateTo: w.plan.truncateTo, annulled: w.plan.annulled,
  });
}

export function crashWriter(ctx: Ctx): void {
  if (ctx.s.writer.status === 'down') {
    ctx.out.push({ kind: 'noop', reason: 'writer is down' });
    return;
  }
  ctx.s.writer = { status: 'down' };
}

// ---- Time ----------------------------------------------------------------------------------

export function writerTick(ctx: Ctx): void {
  const w = ctx.s.writer;
  if (w.status === 'down') return;
  if (w.status === 'recovering') {
    const blocked = pgsWithoutReadQuorum(ctx);
    if (blocked.length > 0) ctx.out.push({ kind: 'recoveryBlocked', epoch: w.epoch, pgs: blocked });
    askForRecovery(ctx, w.epoch, (pg, node) => !w.responses[pg]!.some((r) => r.node === node));
    return;
  }
  sendSeals(ctx, w);
  if (w.status !== 'active') return;
  if (ctx.s.world.time % ctx.s.config.retransmitTicks === 0) retransmit(ctx, w);
  hedgeReads(ctx, w);
}

/** Resend to each segment every record of its PG above the SCL it last reported. */
function retransmit(ctx: Ctx, w: Draft<WriterUp>): void {
  for (let pg = 0; pg < ctx.s.config.pgCount; pg++) {
    for (const to of membersOf(ctx.s.config, pg)) {
      const scl = w.scl[pg]![to];
      if (scl === undefined) continue;
      const records = w.records.filter((r) => r.pg === pg && r.lsn > scl);
      if (records.length > 0) send(ctx, { kind: 'write', from: WRITER, to, epoch: w.epoch, pg, records });
    }
  }
}

/** A page read unanswered for hedgeTicks ticks is asked again of another covering segment. */
function hedgeReads(ctx: Ctx, w: Draft<WriterUp>): void {
  const now = ctx.s.world.time;
  for (const r of w.reads) {
    for (const p of r.pages) {
      if (p.value !== null || p.asked === null || now - p.askedAt < ctx.s.config.hedgeTicks) continue;
      const to = pickSegment(ctx, w, p.pg, r.readPoint, r.read, p.asked);
      if (to !== p.asked) ctx.out.push({ kind: 'hedged', read: r.read, page: p.page, from: p.asked, to });
      p.asked = to;
      p.askedAt = now;
      send(ctx, { kind: 'readReq', from: WRITER, to, epoch: w.epoch, pg: p.pg, read: r.read, page: p.page, readPoint: r.readPoint });
    }
  }
}
