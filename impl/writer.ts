// The writer (the database instance) once sealed into its epoch: allocates LSNs, ships redo
// records to every member of each PG and the redo stream to the replicas, takes acknowledgements,
// advances VCL/VDL (watermarks.ts), acknowledges commits, serves reads, retransmits and announces
// the PGMRPL on tick. Recovery (recovery.ts) builds it; nothing here is durable.
//
// Commits never block: a transaction is accepted or refused at once, and its commit is
// acknowledged exactly when VDL reaches its commit LSN, in commit order. Back-pressure is the LSN
// allocation limit: no LSN above VDL + LAL. Effects are observations (returned in order) and
// messages (queued in send order); the world decides delivery.

import type { Event } from '../model/events.js';
import { MTRS_PER_TXN_MAX, WRITES_PER_MTR_MAX, writeValue as writeValue_ } from '../model/events.js';
import type { Config, Lsn, Membership, Message, NodeId, RedoRecord } from '../model/types.js';
import { bug as bug_, pgOfPage as pgOfPage_ } from '../model/types.js';
import { assert as assert_, mod as mod_ } from './assert.js';
import type { Cluster, ComputeNode } from './cluster.js';
import { sealRecord as sealRecord_, versionOf as versionOf_ } from './log.js';
import type { RecoveryPlan } from './plan.js';
import { Reader, hedgeReads as hedgeReads_, issueRead as issueRead_, rotation as rotation_, takeReadResp as takeReadResp_, type Route } from './reads.js';
import { completeSealing as completeSealing_, recoveringTick as recoveringTick_, sendSeals as sendSeals_, takeRecoveryResponse as takeRecoveryResponse_ } from './recovery.js';
import { NODES as NODES_, Watermarks, storageIndex as storageIndex_ } from './watermarks.js';
import { WriterLog } from './writerlog.js';
import { WorkSet } from './workset.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const writeValue: typeof writeValue_ = writeValue_;
const bug: typeof bug_ = bug_;
const pgOfPage: typeof pgOfPage_ = pgOfPage_;
const assert: typeof assert_ = assert_;
const mod: typeof mod_ = mod_;
const sealRecord: typeof sealRecord_ = sealRecord_;
const versionOf: typeof versionOf_ = versionOf_;
const hedgeReads: typeof hedgeReads_ = hedgeReads_;
const issueRead: typeof issueRead_ = issueRead_;
const rotation: typeof rotation_ = rotation_;
const takeReadResp: typeof takeReadResp_ = takeReadResp_;
const completeSealing: typeof completeSealing_ = completeSealing_;
const recoveringTick: typeof recoveringTick_ = recoveringTick_;
const sendSeals: typeof sendSeals_ = sendSeals_;
const takeRecoveryResponse: typeof takeRecoveryResponse_ = takeRecoveryResponse_;
const storageIndex: typeof storageIndex_ = storageIndex_;
// (An imported const is read from its module cell with a hole check at every use; bound once,
// it folds to the constant in optimized code.)
const NODES: number = NODES_;

/**
 * Accepted transactions whose commit VDL has not reached, in commit order: a queue of two number
 * columns (no object per transaction) read from a head; the columns only grow (emptying resets
 * the head, a long-consumed prefix is compacted away), never shrink (a trimmed array regrew).
 */
export class PendingTxns {
  private readonly txns: number[] = [];
  private readonly commits: Lsn[] = [];
  private head = 0;
  private end = 0;

  get length(): number {
    return this.end - this.head;
  }

  push(txn: number, commitLsn: Lsn): void {
    const end = this.end;
    if (end < this.txns.length) {
      this.txns[end] = txn;
      this.commits[end] = commitLsn;
    } else {
      this.txns.push(txn);
      this.commits.push(commitLsn);
    }
    this.end = end + 1;
  }

  /** The k-th pending transaction (k below length), and its commit LSN. */
  txnAt(k: number): number {
    return this.txns[this.head + k]!;
  }

  commitLsnAt(k: number): Lsn {
    return this.commits[this.head + k]!;
  }

  /**
   * Removes the first n (the ones just acknowledged). The compaction is out of line: small,
   * dropFirst is inlined into acknowledgeCommits, where it was a call per run of commits.
   */
  dropFirst(n: number): void {
    assert(n >= 0 && n <= this.length, 'drop pending transactions that exist');
    const head = this.head + n;
    if (head === this.end) {
      this.head = 0;
      this.end = 0;
    } else if (head >= 1024 && head * 2 >= this.end) this.compact(head);
    else this.head = head;
  }

  /** Moves the live entries, from `head` on, to the front. */
  private compact(head: number): void {
    const live = this.end - head;
    for (let i = 0; i < live; i++) {
      this.txns[i] = this.txns[head + i]!;
      this.commits[i] = this.commits[head + i]!;
    }
    this.head = 0;
    this.end = live;
  }
}

export class WriterUp {
  status: 'sealing' | 'active';
  readonly base: Lsn;
  /**
   * Per PG, per storage node (at pg * NODES + node number): the segment incarnation known sealed
   * into this epoch, -1 for none (seal it). A flat array instead of a Map per PG. Read through
   * sealedIncarnation, except on two hot paths that read a PG's slots directly, as it does:
   * retransmit (the marks' one-pass lag check) and announceMinReadPoint.
   */
  readonly sealedAt: readonly number[] = [];
  /**
   * Per PG, per storage node (as sealedAt): the newest segment incarnation heard of there, from an
   * ack or from the control plane taking the node as a replacement; 0 for none. Never below
   * sealedAt's. An ack of an older incarnation is stale, and what an older one reported is
   * forgotten once a newer one is heard of (model/state.ts WriterUp.incarnations).
   */
  readonly heardAt: number[] = [];
  readonly log: WriterLog;
  readonly marks: Watermarks;
  /** Accepted transactions whose commit VDL has not reached, in commit order. */
  readonly pendingTxns = new PendingTxns();
  readonly reader = new Reader();
  /** Per replica: the lowest read point it reported using in this epoch. */
  readonly replicaPoints = new Map<NodeId, Lsn>();
  /** Per PG: the PGMRPL last announced to it in this epoch (0: none yet). */
  readonly gcAnnounced: number[] = [];
  /** Per PG: the highest commit LSN of its records in this epoch (0: none). */
  readonly pgCommitMax: number[] = [];
  /**
   * Per PG: the lowest SCL its members reported, as the release found it in round `releaseRound`
   * (releaseStamp: the round it was found in): a round releases several records of a PG, and
   * finding it once per PG, not per record, took marginal instructions per record (cachegrind)
   * at 2 PGs 9,309 -> 9,117 (8,945 with no release at all), at 64 PGs 15,905 -> 15,855 (15,534).
   */
  readonly releaseLow: number[] = [];
  readonly releaseStamp: number[] = [];
  releaseRound = 0;
  /**
   * The highest LSN allocated when the writer ticked just before its next retransmit round, which
   * resends only records at or below it (one allocated since has had no round trip). The base at
   * first.
   */
  resendUpTo: Lsn;
  /**
   * Work sets, so a tick costs what the active PGs cost, not the volume's size:
   *   gcWork: PGs holding records that commit above the PGMRPL last announced to them;
   *   retransmitWork: PGs where some sealed member may lag the PG's last record (on allocation
   *     and on every ack of the PG; dropped once no member lags);
   *   sealWork: PGs where some member may need a seal (every PG at first; on an ack of the PG
   *     that forgets a member sealed; dropped once none does).
   * A membership write (control version) puts every PG in retransmitWork and sealWork.
   */
  readonly gcWork = new WorkSet();
  readonly retransmitWork = new WorkSet();
  readonly sealWork = new WorkSet();
  controlVersion = -1;

  constructor(config: Config, readonly plan: RecoveryPlan, readonly epoch: number, status: 'sealing' | 'active', pgCount: number) {
    assert(epoch >= 1, 'epochs start at 1');
    assert(plan.truncateTo >= plan.vdl, 'the base is at or above the recovered VDL');
    this.status = status;
    this.base = plan.truncateTo;
    this.resendUpTo = plan.truncateTo;
    this.log = new WriterLog(this.base, plan.vdl, plan.lastPg);
    this.marks = new Watermarks(config, this.log, pgCount);
    this.ensureSealed(pgCount - 1);
    // A slot per PG from the start (0 reads as the missing entry did): written in whatever order
    // PGs are first written or announced to, they grew holey (or, far past the end, sparse).
    for (let pg = 0; pg < pgCount; pg++) {
      this.gcAnnounced.push(0);
      this.pgCommitMax.push(0);
      this.releaseLow.push(-1);
      this.releaseStamp.push(0);
    }
    assert(this.gcAnnounced.length === pgCount && this.pgCommitMax.length === pgCount, 'a slot per PG');
  }

  private ensureSealed(pg: number): void {
    const a = this.sealedAt as number[];
    while (a.length < (pg + 1) * NODES) a.push(-1);
    const h = this.heardAt;
    while (h.length < (pg + 1) * NODES) h.push(0);
  }

  /**
   * The segment of storage node number i in the PG is now incarnation `incarnation`: forget the
   * SCL and the seal of the one before, and take only this incarnation's acks from now on.
   */
  newIncarnation(pg: number, i: number, incarnation: number): void {
    this.ensureSealed(pg);
    assert(incarnation > this.heardAt[pg * NODES + i]!, 'incarnations only grow');
    this.heardAt[pg * NODES + i] = incarnation;
    (this.sealedAt as number[])[pg * NODES + i] = -1;
    this.marks.forget(pg, i);
    // It may need a seal now (sendSeals drops a PG only when no member needs one).
    this.sealWork.add(pg);
  }

  /** The incarnation of storage node number i's segment of the PG known sealed (-1: none). */
  sealedIncarnation(pg: number, i: number): number {
    return this.sealedAt[pg * NODES + i] ?? -1;
  }

  setSealed(pg: number, i: number, incarnation: number): void {
    this.ensureSealed(pg);
    assert(incarnation <= this.heardAt[pg * NODES + i]!, 'the incarnation sealed is one heard of');
    (this.sealedAt as number[])[pg * NODES + i] = incarnation;
  }

  /** After a membership write (or a PG added), every PG may need seals or retransmission. */
  syncControl(version: number, pgCount: number): void {
    if (this.controlVersion === version) return;
    this.controlVersion = version;
    for (let pg = 0; pg < pgCount; pg++) {
      this.sealWork.add(pg);
      this.retransmitWork.add(pg);
    }
  }

  /** Sealed into this epoch, and its reported SCL reaches `floor`. */
  covers(pg: number, node: NodeId, floor: Lsn): boolean {
    const i = storageIndex(node);
    return this.sealedIncarnation(pg, i) >= 0 && (this.marks.sclAt(pg, i) ?? -1) >= floor;
  }
}

/** The control plane's writer, if it is active. */
function activeWriter(c: Cluster): WriterUp | null {
  const w = c.computeNode(c.control.writer);
  return w instanceof WriterUp && w.status === 'active' ? w : null;
}

function replicasOf(c: Cluster, writer: NodeId): NodeId[] {
  const out: NodeId[] = [];
  const ids = c.computeIds;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== writer) out.push(ids[i]!);
  return out;
}

/** Whether any compute node other than `writer` exists (the bench's volumes have none). */
function hasReplicas(c: Cluster, writer: NodeId): boolean {
  const ids = c.computeIds;
  // Two compute nodes or more: one is not the writer (no name compared, as on every ack).
  return ids.length > 1 || (ids.length === 1 && ids[0] !== writer);
}

// ---- Client work ---------------------------------------------------------------------------

export function clientTxn(c: Cluster, event: Extract<Event, { type: 'txn' }>): void {
  const txn = c.txnCount++;
  const w = activeWriter(c);
  if (w === null) {
    c.observe({ kind: 'refused', txn, reason: 'noWriter' });
    return;
  }
  // The MTRs taken (at most MTRS_PER_TXN_MAX, each cut to WRITES_PER_MTR_MAX, empty ones left
  // out): the event's own list when it needs no cutting (the usual case: no copy).
  const given = event.mtrs;
  let mtrs: readonly (readonly number[])[] = given;
  let writes = 0;
  let asGiven = given.length <= MTRS_PER_TXN_MAX;
  for (let m = 0; m < given.length && asGiven; m++) {
    const n = given[m]!.length;
    if (n === 0 || n > WRITES_PER_MTR_MAX) asGiven = false;
    else writes += n;
  }
  if (!asGiven) {
    const taken: (readonly number[])[] = [];
    writes = 0;
    for (let m = 0; m < given.length && m < MTRS_PER_TXN_MAX; m++) {
      const mtr = given[m]!;
      if (mtr.length === 0) continue;
      const cut = mtr.length > WRITES_PER_MTR_MAX ? mtr.slice(0, WRITES_PER_MTR_MAX) : mtr;
      taken.push(cut);
      writes += cut.length;
    }
    mtrs = taken;
  }
  const { vdl } = w.marks.current(c.control);
  const firstLsn = w.log.allocated + 1;
  const commitLsn = w.log.allocated + writes + 1;
  if ((bug(c.config, 'lal-checks-first-lsn') ? firstLsn : commitLsn) > vdl + c.config.lal) {
    c.observe({ kind: 'refused', txn, reason: 'lal' });
    return;
  }
  const pgCount = c.control.pgs.length;
  const pageCount = pgCount * c.config.pagesPerPg;
  // Sized up front (writes + the commit record), every slot filled below.
  const fresh = new Array<RedoRecord>(writes + 1);
  let index = 0;
  for (let m = 0; m < mtrs.length; m++) {
    const mtr = mtrs[m]!;
    for (let i = 0; i < mtr.length; i++) {
      const p = mod(mtr[i]!, pageCount);
      const cpl = i === mtr.length - 1 && m < mtrs.length - 1;
      fresh[index] = allocate(w, pgOfPage(c.config, p), txn, commitLsn, cpl, p, writeValue(txn, index));
      index++;
    }
  }
  assert(index === writes, 'every write taken is allocated');
  const lastPg = index === 0 ? mod(txn, pgCount) : fresh[index - 1]!.pg;
  fresh[index] = allocate(w, lastPg, txn, commitLsn, true, null, 0);
  assert(fresh[index]!.lsn === commitLsn, 'the commit record has the commit LSN');
  w.pendingTxns.push(txn, commitLsn);
  c.observe({ kind: 'accepted', txn, firstLsn, commitLsn });
  shipRecords(c, w, fresh);
}

/**
 * The storage numbers of `members` (c.members(pg) of membership `m`), as the marks keep them, so
 * sends find a member's queue with no name decoded (Network.sendToStorage); null when the marks
 * are not synced to `m` (the caller decodes the names).
 */
function memberNumbers(w: WriterUp, pg: number, m: Membership, members: readonly NodeId[]): readonly number[] | null {
  const numbers = w.marks.memberNumbersOf(pg, m);
  assert(numbers === null || numbers.length === members.length, 'a number per member');
  return numbers;
}

/** Each PG's share to every member; the whole transaction to every replica. */
function shipRecords(c: Cluster, w: WriterUp, fresh: readonly RedoRecord[]): void {
  const node = c.control.writer;
  const net = c.net;
  const epoch = w.epoch;
  const n = fresh.length;
  // The PGs this transaction touched, ascending (as the model walks every PG in order): each is
  // the least PG above the last one shipped, found with its record count by one pass over the
  // records (a txn spans a few PGs), until every record is shipped. A scratch list of the PGs
  // with includes() and a sort call, then a count pass per PG, cost more.
  for (let prev = -1, shipped = 0; shipped < n;) {
    let pg = -1;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const p = fresh[i]!.pg;
      if (p <= prev) continue;
      if (count === 0 || p < pg) {
        pg = p;
        count = 1;
      } else if (p === pg) count++;
    }
    assert(count > 0, 'a PG above the last one shipped holds the records left');
    const membership = c.control.pgs[pg]!;
    const records = count === n ? fresh : recordsOfPg(fresh, pg, count);
    const members = c.members(pg);
    // The members' storage numbers, as the marks keep them (null: not synced to this membership).
    const numbers = memberNumbers(w, pg, membership, members);
    const version = membership.epoch;
    if (numbers !== null) {
      for (let i = 0; i < members.length; i++) net.sendToStorage(numbers[i]!, { kind: 'write', from: node, to: members[i]!, epoch, membership: version, pg, records });
    } else {
      for (let i = 0; i < members.length; i++) c.send({ kind: 'write', from: node, to: members[i]!, epoch, membership: version, pg, records });
    }
    prev = pg;
    shipped += count;
  }
  if (hasReplicas(c, node)) for (const to of replicasOf(c, node)) c.send({ kind: 'stream', from: node, to, epoch: w.epoch, records: fresh });
}

/** The PG's records (`n` of them), as an array of exactly that length. */
function recordsOfPg(records: readonly RedoRecord[], pg: number, n: number): RedoRecord[] {
  const out = new Array<RedoRecord>(n);
  let k = 0;
  for (let i = 0; i < records.length; i++) if (records[i]!.pg === pg) out[k++] = records[i]!;
  assert(k === n, 'the PG holds the records counted');
  return out;
}

function allocate(w: WriterUp, pg: number, txn: number, commitLsn: Lsn, cpl: boolean, page: number | null, value: number): RedoRecord {
  const lsn = w.log.nextLsn;
  const record = sealRecord({ lsn, epoch: w.epoch, pg, prevPg: w.log.floor(pg, lsn), prevVol: w.log.prevVol, txn, commitLsn, cpl, page, value });
  w.log.append(record);
  if (commitLsn > (w.pgCommitMax[pg] ?? 0)) w.pgCommitMax[pg] = commitLsn;
  w.gcWork.add(pg);
  w.retransmitWork.add(pg);
  if (page !== null) w.reader.cacheApplyRecord(page, record);
  return record;
}

export function clientRead(c: Cluster, event: Extract<Event, { type: 'read' }>): void {
  const w = activeWriter(c);
  if (w === null) {
    c.observe({ kind: 'readRefused', read: c.readCount++, at: null, reason: 'noWriter' });
    return;
  }
  issueRead(c, c.control.writer, w.reader, w.epoch, w.marks.current(c.control).vdl, event.pages, routeBySCL(c, w));
}

/** A page server sealed into this epoch whose reported SCL covers the read point. */
function routeBySCL(c: Cluster, w: WriterUp): Route {
  return (pg, readPoint, read, after) => {
    const floor = w.log.floor(pg, readPoint);
    return rotation(c.pageServers(pg), read, after).find((m) => bug(c.config, 'read-any-page-server') || w.covers(pg, m, floor)) ?? null;
  };
}

// ---- Messages to a writer ------------------------------------------------------------------

export function writerReceive(c: Cluster, node: NodeId, msg: Message): void {
  const x = c.computeNode(node);
  writerReceiveAt(c, node, x, msg);
}

/** writerReceive, with the compute node's state already looked up (deliver has it: one lookup). */
export function writerReceiveAt(c: Cluster, node: NodeId, x: ComputeNode, msg: Message): void {
  if (x.status === 'down' || x.status === 'replica') return;
  if (msg.kind === 'rejected') {
    if (msg.epoch > x.epoch && !bug(c.config, 'writer-ignores-rejection')) {
      c.observe({ kind: 'fenced', node, epoch: x.epoch, by: msg.epoch });
      c.setDown(node);
    }
    return;
  }
  // A segment asking for a seal (-1) may not know the epoch yet.
  const needsSeal = msg.kind === 'ack' && msg.scl < 0;
  if (msg.epoch !== x.epoch && !needsSeal) return;
  if (x.status === 'recovering') {
    if (msg.kind === 'recoverResp') takeRecoveryResponse(c, node, x, msg);
    return;
  }
  assert(x instanceof WriterUp, 'a writer that is up');
  if (msg.kind === 'ack') takeAckAndAdvance(c, node, x, msg);
  else if (msg.kind === 'replicaStatus') x.replicaPoints.set(msg.from, msg.point);
  else if (msg.kind === 'readResp' && x.status === 'active') takeOwnReadResp(c, x, msg);
}

/**
 * deliverAll's way with a run of acks to the active writer of a volume with no replicas: each
 * ack's SCL is taken at once, and the catch-up that takeAckAndAdvance does after every ack
 * (remember the PGCLs, acknowledge commits) is owed and done once by writerCatchUp, which
 * deliverAll calls before the next message of the run that is not such an ack and at the run's
 * end. The same as catching up per ack: within the run nothing else reads the marks or the
 * pending transactions and the control plane does not change, so each PG's quorum answer only
 * rises and its PGCL is max(reached, answer) either way, the VDL only moves forward, and the
 * commits acknowledged are the same ones, in the same order, at the same place among the
 * event's observations (no other observation comes between).
 *
 * ackTaker: the writer that takes acks so, `x` if it is an active writer of a volume with no
 * replicas, else null (writerTakeAckBy takes one). deliverAll asks once per run of a node's
 * messages, and again after anything but such an ack (a delivery may change x's status in place;
 * acks do not), instead of on every ack (~60 instructions an ack: instanceof, status, the
 * replica test).
 */
export function ackTaker(c: Cluster, node: NodeId, x: ComputeNode): WriterUp | null {
  return x instanceof WriterUp && x.status === 'active' && !hasReplicas(c, node) ? x : null;
}

/**
 * An ack to `w`, which ackTaker returned (and would still return), taken deferred. 0: an ack
 * writerReceiveAt ignores (stale epoch), nothing done and nothing owed; 1: taken, a catch-up owed.
 */
export function writerTakeAckBy(c: Cluster, w: WriterUp, msg: Extract<Message, { kind: 'ack' }>): 0 | 1 {
  // As writerReceiveAt: a segment asking for a seal (-1) may not know the epoch yet.
  if (msg.epoch !== w.epoch && msg.scl >= 0) return 0;
  takeAck(c, w, msg);
  assert(w.status === 'active', 'taking an ack leaves the writer active');
  return 1;
}

/** The catch-up owed after acks taken by writerTakeAckBy (takeAckAndAdvance's tail). */
export function writerCatchUp(c: Cluster, node: NodeId, w: WriterUp): void {
  assert(w.status === 'active' && !hasReplicas(c, node), 'a catch-up is owed only by an active writer with no replicas');
  w.marks.remember(c.control);
  acknowledgeCommits(c, node, w);
}

function takeAckAndAdvance(c: Cluster, node: NodeId, w: WriterUp, msg: Extract<Message, { kind: 'ack' }>): void {
  // The VDL before the ack matters only to replicas (updateReplicas); without any, current() is
  // left to acknowledgeCommits (bringing the marks up to date earlier or later ends the same:
  // raiseAt and remember sync first, and advance only walks the prefix forward).
  const replicas = hasReplicas(c, node);
  const before = replicas ? w.marks.current(c.control).vdl : 0;
  takeAck(c, w, msg);
  w.marks.remember(c.control);
  if (w.status === 'sealing') return completeSealing(c, node, w);
  acknowledgeCommits(c, node, w);
  if (replicas && w.marks.current(c.control).vdl > before) updateReplicas(c, node, w);
}

/**
 * SCLs only grow within a segment's incarnation. An ack of an older incarnation than the newest
 * heard of is stale. One of a newer incarnation means the segment the writer knew is gone: what
 * it reported is forgotten. An ack of -1 says the segment is not sealed into this epoch: forget
 * that it was, so the next tick seals it.
 */
function takeAck(c: Cluster, w: WriterUp, msg: Extract<Message, { kind: 'ack' }>): void {
  const pg = msg.pg;
  const i = storageIndex(msg.from);
  // Usually a member already (allocation put it there; it leaves once no member lags): has() is
  // small enough to be inlined always, where add() did not fit the ack path's inlining budget
  // beside raiseAt and storageIndex and was called on every ack at 64 PGs. With storageIndex's
  // map fallback out of line, the whole ack is one function there (marginal instructions per
  // record, cachegrind: 2 PGs 12,377 -> 12,348, 64 PGs 24,924 -> 24,578).
  if (!w.retransmitWork.has(pg)) w.retransmitWork.add(pg);
  // As sealedIncarnation (0: none heard of, or the PG's slots not made yet).
  const heard = w.heardAt[pg * NODES + i] ?? 0;
  if (msg.incarnation < heard) return;
  if (msg.incarnation > heard) w.newIncarnation(pg, i, msg.incarnation);
  if (msg.scl < 0) {
    // Only this branch and a new incarnation can make a member need a seal (forgotten as sealed).
    // The other leaves it sealed with an SCL that only rose: if it needs a seal now it did
    // before, so its PG is in sealWork already (sendSeals drops a PG only when no member needs one).
    w.sealWork.add(pg);
    if (w.sealedIncarnation(pg, i) >= 0) w.setSealed(pg, i, -1);
    return;
  }
  if (msg.incarnation !== w.sealedIncarnation(pg, i)) w.setSealed(pg, i, msg.incarnation);
  w.marks.raiseAt(c.control, pg, i, msg.scl);
}

function takeOwnReadResp(c: Cluster, w: WriterUp, msg: Extract<Message, { kind: 'readResp' }>): void {
  const done = takeReadResp(c, w.reader, msg);
  if (done === null) return;
  const own = w.log.pageAbove(msg.page, done.readPoint).map(versionOf);
  w.reader.cacheInsert(c.config.cachePages, { page: msg.page, asOf: done.readPoint, value: msg.value, versions: [...msg.pending, ...own] });
}

/** Commit acknowledgements go out, in commit order, exactly when VDL reaches the commit LSN. */
function acknowledgeCommits(c: Cluster, node: NodeId, w: WriterUp): void {
  const pending = w.pendingTxns;
  // Nothing to acknowledge: the marks are left for their next reader, who brings them up to date
  // (current(); catching up later ends where catching up now would, as in takeAckAndAdvance).
  if (pending.length === 0) return;
  const { vdl, pgcl } = w.marks.current(c.control);
  const ownPg = bug(c.config, 'commit-on-own-pg');
  let n = 0;
  const count = pending.length;
  while (n < count) {
    const commitLsn = pending.commitLsnAt(n);
    if (!(commitLsn <= vdl || (ownPg && pgcl[w.log.pgAt(commitLsn - w.log.base - 1)]! >= commitLsn))) break;
    c.observe({ kind: 'committed', txn: pending.txnAt(n), commitLsn, by: node });
    n++;
  }
  if (n > 0) pending.dropFirst(n);
}

/** Tell the replicas the VDL and, per PG, which page servers cover it. */
export function updateReplicas(c: Cluster, node: NodeId, w: WriterUp): void {
  if (!hasReplicas(c, node)) return;
  const replicas = replicasOf(c, node);
  const { vdl } = w.marks.current(c.control);
  const covering = c.control.pgs.map((_, pg) => {
    const floor = w.log.floor(pg, vdl);
    return c.pageServers(pg).filter((n) => w.covers(pg, n, floor));
  });
  for (const to of replicas) c.send({ kind: 'vdlUpdate', from: node, to, epoch: w.epoch, vdl, covering });
}

// ---- Time ----------------------------------------------------------------------------------

export function writerTick(c: Cluster, node: NodeId): void {
  const x = c.computeNode(node);
  if (x.status === 'down' || x.status === 'replica') return;
  if (x.status === 'recovering') return recoveringTick(c, node, x);
  assert(x instanceof WriterUp, 'a writer that is up');
  x.syncControl(c.control.version, c.control.pgs.length);
  sendSeals(c, node, x);
  // A membership step can move PGCL without an ack (a joint quorum became a single one); sealing
  // too (model/writer.ts writerTicks).
  x.marks.remember(c.control);
  if (x.status === 'sealing') return completeSealing(c, node, x);
  acknowledgeCommits(c, node, x);
  if (c.time % c.config.retransmitTicks === 0) {
    retransmit(c, node, x);
    updateReplicas(c, node, x);
    announceMinReadPoint(c, node, x);
    release(c, x);
    if (x.reader.cache.length > 0) x.reader.cacheFold(writerReadPoint(c, x));
  }
  // The tick before a round: what is allocated by now will have had a round trip by then.
  if ((c.time + 1) % c.config.retransmitTicks === 0) x.resendUpTo = x.log.allocated;
  if (x.reader.reads.size > 0) hedgeReads(c, node, x.reader, x.epoch, routeBySCL(c, x));
}

/**
 * PGMRPL: the lowest read point in use, across the writer (its VDL and pending reads) and every
 * replica (as last reported in this epoch; one that has not reported holds it at the base).
 */
function minReadPoint(c: Cluster, node: NodeId, w: WriterUp): Lsn {
  let point = writerReadPoint(c, w);
  // (No replica, the bench's case: no list of them made and iterated.)
  if (hasReplicas(c, node)) for (const n of replicasOf(c, node)) point = Math.min(point, w.replicaPoints.get(n) ?? w.base);
  return point;
}

/** The writer's own lowest read point: its VDL, or a pending read's point below it. */
function writerReadPoint(c: Cluster, w: WriterUp): Lsn {
  const vdl = w.marks.current(c.control).vdl;
  // No pending read (the usual case): no iterator over the empty map.
  return w.reader.reads.size === 0 ? vdl : w.reader.lowestReadPoint(vdl);
}

/**
 * A PG is told the PGMRPL when it holds records of this epoch committing above the point last
 * announced to it and at or below the new one (as the model: an idle PG is not told again, nor
 * one whose newest records still wait for their commit). Only PGs in gcWork can qualify.
 */
function announceMinReadPoint(c: Cluster, node: NodeId, w: WriterUp): void {
  if (w.gcWork.size === 0) return;
  const point = bug(c.config, 'pgmrpl-ignores-replicas') ? writerReadPoint(c, w) : minReadPoint(c, node, w);
  const todo = w.gcWork;
  const epoch = w.epoch;
  const net = c.net;
  for (let k = 0, end = todo.sorted(); k < end; k++) {
    const pg = todo.at(k);
    const told = w.gcAnnounced[pg] ?? 0;
    if (point > told && w.log.firstCommitAbove(pg, told) <= point) {
      w.gcAnnounced[pg] = point;
      const members = c.members(pg);
      const numbers = memberNumbers(w, pg, c.control.pgs[pg]!, members);
      if (numbers !== null) {
        // The usual case in a loop of its own, reading sealedAt as sealedIncarnation does from
        // the PG's slots, found once (at 64 PGs ~4.5 messages a record; the shared loop tested
        // numbers and reloaded the writer's fields for each).
        const sealed = w.sealedAt;
        const slots = pg * NODES;
        for (let j = 0; j < members.length; j++) {
          const i = numbers[j]!;
          if ((sealed[slots + i] ?? -1) >= 0) net.sendToStorage(i, { kind: 'gc', from: node, to: members[j]!, epoch, pg, point });
        }
      } else {
        for (let j = 0; j < members.length; j++) {
          const to = members[j]!;
          const i = storageIndex(to);
          if (w.sealedIncarnation(pg, i) >= 0) net.sendToStorage(i, { kind: 'gc', from: node, to, epoch, pg, point });
        }
      }
    }
    if ((w.pgCommitMax[pg] ?? 0) <= (w.gcAnnounced[pg] ?? 0)) w.gcWork.delete(pg);
  }
}

/**
 * Release the log's prefix no one needs from the writer any more (model/state.ts `released`):
 * every member of the record's PG in the current membership reported an SCL at or above it, and
 * the PG was told a PGMRPL at or above its commit. Once a round, after the announcements; the
 * walk stops at the first record that must stay, so each record is passed once.
 */
function release(c: Cluster, w: WriterUp): void {
  const log = w.log;
  const first = log.releasedLength;
  const count = log.length;
  const base = log.base;
  const marks = w.marks;
  const ignoresPgmrpl = bug(c.config, 'release-ignores-pgmrpl');
  const round = ++w.releaseRound;
  const lows = w.releaseLow;
  const stamps = w.releaseStamp;
  let i = first;
  for (; i < count; i++) {
    const pg = log.pgAt(i);
    if (log.commitAt(i) > (w.gcAnnounced[pg] ?? 0) && !ignoresPgmrpl) break;
    let low: number;
    if (stamps[pg] === round) low = lows[pg]!;
    else {
      const members = c.members(pg);
      const numbers = memberNumbers(w, pg, c.control.pgs[pg]!, members);
      low = numbers !== null ? marks.lowestOf(pg, numbers) : lowestByName(marks, pg, members);
      // (A PG added since the writer came up has no slot: found again per record, as it is rare.)
      if (pg < stamps.length) {
        stamps[pg] = round;
        lows[pg] = low;
      }
    }
    if (low < base + 1 + i) break;
  }
  if (i === first) return;
  assert(base + i <= marks.current(c.control).vcl, 'the released prefix is within VCL');
  log.releaseTo(i);
}

/** The lowest SCL the members (by name) reported for the PG, -1 if one reported none. */
function lowestByName(marks: Watermarks, pg: number, members: readonly NodeId[]): Lsn {
  let low = Infinity;
  for (let j = 0; j < members.length; j++) low = Math.min(low, marks.sclAt(pg, storageIndex(members[j]!)) ?? -1);
  return low;
}

/**
 * Resend to each sealed member every record of its PG above the SCL it last reported that has had
 * a round trip to be acknowledged (at or below resendUpTo), of those the writer still holds: a
 * member missing released ones (one added since) hydrates them from its peers by gossip. A PG
 * stays in retransmitWork while a member lags its last record, resent or not yet.
 */
function retransmit(c: Cluster, node: NodeId, w: WriterUp): void {
  const todo = w.retransmitWork;
  for (let k = 0, end = todo.sorted(); k < end; k++) {
    const pg = todo.at(k);
    const m = c.control.pgs[pg]!;
    const last = w.log.lastOf(pg);
    const members = c.members(pg);
    const numbers = memberNumbers(w, pg, m, members);
    // The PG's last record of this epoch old enough to resend, 0 if none (-1: not looked up yet;
    // it is only if some member lags).
    let upTo = -1;
    if (numbers !== null) {
      // The usual round first, in one pass with no call inside: no member lags, or those that
      // do lag only by records too young to resend (every member, in the bench's rounds: the
      // acks of the last txn are in flight). The walk below, per member through sclAt and
      // sealedIncarnation, reloaded the writer's and the marks' fields for each.
      const low = w.marks.lowestLagging(pg, numbers, w.sealedAt, last);
      if (low < 0) {
        w.retransmitWork.delete(pg);
        continue;
      }
      const floor = w.log.floor(pg, w.resendUpTo);
      upTo = floor > w.log.released ? floor : 0;
      if (upTo === 0 || low >= upTo) continue;
    }
    let lagging = false;
    // Members lagging at the same SCL (the usual case: they acknowledged the same writes) share
    // one records list, as shipRecords' members do (messages never change their lists).
    let sharedScl = -1;
    let shared: RedoRecord[] = [];
    for (let j = 0; j < members.length; j++) {
      const to = members[j]!;
      const i = numbers !== null ? numbers[j]! : storageIndex(to);
      const scl = w.marks.sclAt(pg, i);
      if (scl === undefined || w.sealedIncarnation(pg, i) < 0 || scl >= last) continue;
      lagging = true;
      if (upTo < 0) {
        const floor = w.log.floor(pg, w.resendUpTo);
        upTo = floor > w.log.released ? floor : 0;
      }
      if (upTo === 0 || scl >= upTo) continue;
      if (scl !== sharedScl) {
        shared = w.log.pgAboveUpTo(pg, scl, upTo);
        sharedScl = scl;
      }
      const records = shared;
      assert(records.length > 0, 'a lagging member misses records');
      c.sendToStorage(i, { kind: 'write', from: node, to, epoch: w.epoch, membership: m.epoch, pg, records });
    }
    // Nothing can lag again without an allocation, an ack of this PG or a membership write.
    if (!lagging) w.retransmitWork.delete(pg);
  }
}
