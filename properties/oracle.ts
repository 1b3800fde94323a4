// The oracle: a tiny ideal store, independent of the model's bookkeeping.
//
// It reads the history's own events (which pages each transaction writes, in which MTRs) and the
// engine's observations (which LSNs a transaction got, which commits were acknowledged, what
// recovery decided), and applies committed transactions atomically in commit order. A read is
// then checked against the ideal store at its read point. It never looks at engine state.

import type { Event } from '../model/events.js';
import { MTRS_PER_TXN_MAX, WRITES_PER_MTR_MAX, writeValue } from '../model/events.js';
import type { Config, Lsn, Observation } from '../model/types.js';

export type TxnStatus = 'issued' | 'refused' | 'accepted' | 'committed' | 'recoveredCommit' | 'annulled';

export interface OracleTxn {
  readonly txn: number;
  /** Page writes in LSN order, with the value each stores. */
  readonly writes: readonly { readonly page: number; readonly value: number }[];
  /** MTR sizes, in records (the last MTR includes the commit record). */
  readonly mtrSizes: readonly number[];
  /** The PG of each record, in LSN order: each write's page's PG, then the commit record in the last write's PG. */
  readonly pgs: readonly number[];
  status: TxnStatus;
  firstLsn: Lsn;
  commitLsn: Lsn;
}

export interface Finding {
  readonly invariant: string;
  readonly message: string;
}

export class Oracle {
  readonly txns: OracleTxn[] = [];
  private readonly readFloor = new Map<number, Lsn>();
  private readCount = 0;
  /** Consistency points an engine may use as a read point or a recovered VDL. */
  private readonly consistencyPoints = new Set<Lsn>([0]);
  /** The highest commit LSN acknowledged (or made durable by recovery) so far. */
  committedFloor: Lsn = 0;
  /** Pages in the volume now (it grows with each PG added). */
  private pageCount: number;
  /** The epoch of the newest recovery that has completed. */
  private newestRecovery = 0;
  /** Per replica: the reads it answered since the last recovery, as (read number, read point). */
  private readonly replicaReads = new Map<string, { read: number; readPoint: Lsn }[]>();

  constructor(private readonly config: Config) {
    this.pageCount = config.pgCount * config.pagesPerPg;
  }

  /** Feed one step: the event and what the engine observed. Returns what the step broke. */
  observe(event: Event, observations: readonly Observation[]): Finding[] {
    if (event.type === 'txn') this.issueTxn(event);
    // Read-after-commit binds reads at the writer; a replica reads at the VDL it knows.
    if (event.type === 'read') this.readFloor.set(this.readCount, this.committedFloor);
    if (event.type === 'read' || event.type === 'readReplica') this.readCount++;
    const findings: Finding[] = [];
    for (const o of observations) findings.push(...this.take(o));
    return findings;
  }

  /** Transactions whose commit was acknowledged to the client. */
  acknowledged(): OracleTxn[] {
    return this.txns.filter((t) => t.status === 'committed');
  }

  /** Accepted transactions whose fate is still open (neither committed nor annulled). */
  unresolved(): OracleTxn[] {
    return this.txns.filter((t) => t.status === 'accepted');
  }

  /** The ideal store's value of a page at a read point. */
  valueAt(page: number, readPoint: Lsn): number {
    let best: { commitLsn: Lsn; value: number } | null = null;
    for (const t of this.txns) {
      if (!isCommitted(t) || t.commitLsn > readPoint) continue;
      for (const w of t.writes) {
        if (w.page === page && (best === null || t.commitLsn >= best.commitLsn)) best = { commitLsn: t.commitLsn, value: w.value };
      }
    }
    return best === null ? 0 : best.value;
  }

  private issueTxn(event: Extract<Event, { type: 'txn' }>): void {
    const txn = this.txns.length;
    const mtrs = event.mtrs.slice(0, MTRS_PER_TXN_MAX).map((m) => m.slice(0, WRITES_PER_MTR_MAX)).filter((m) => m.length > 0);
    const pages = mtrs.flat().map((p) => ((Math.trunc(p) % this.pageCount) + this.pageCount) % this.pageCount);
    const mtrSizes = mtrs.length === 0 ? [1] : mtrs.map((m, i) => m.length + (i === mtrs.length - 1 ? 1 : 0));
    const pgOf = (page: number) => Math.floor(page / this.config.pagesPerPg);
    const writePgs = pages.map(pgOf);
    const commitPg = writePgs.length === 0 ? txn % (this.pageCount / this.config.pagesPerPg) : writePgs[writePgs.length - 1]!;
    this.txns.push({
      txn, writes: pages.map((page, i) => ({ page, value: writeValue(txn, i) })), mtrSizes, pgs: [...writePgs, commitPg],
      status: 'issued', firstLsn: 0, commitLsn: 0,
    });
  }

  private take(o: Observation): Finding[] {
    switch (o.kind) {
      case 'accepted': return this.accepted(o);
      case 'refused': return this.transition(o.txn, 'issued', 'refused');
      case 'committed': return this.committed(o);
      case 'recovered': return this.recovered(o);
      case 'readOk': return this.readOk(o);
      case 'pgAdded':
        this.pageCount = o.pages[1] + 1;
        return [];
      default: return [];
    }
  }

  private accepted(o: Extract<Observation, { kind: 'accepted' }>): Finding[] {
    const t = this.txns[o.txn];
    const out = this.transition(o.txn, 'issued', 'accepted');
    if (t === undefined || out.length > 0) return out;
    t.firstLsn = o.firstLsn;
    t.commitLsn = o.commitLsn;
    const records = t.mtrSizes.reduce((a, b) => a + b, 0);
    if (o.commitLsn - o.firstLsn + 1 !== records) {
      return [{ invariant: 'commit-rule', message: `txn ${o.txn} got LSNs ${o.firstLsn}..${o.commitLsn} for ${records} records` }];
    }
    let end = o.firstLsn - 1;
    for (const size of t.mtrSizes) this.consistencyPoints.add((end += size));
    return [];
  }

  private committed(o: Extract<Observation, { kind: 'committed' }>): Finding[] {
    const t = this.txns[o.txn];
    // A deposed writer that has not heard of the new epoch yet may acknowledge a commit after the
    // new writer's recovery kept it (its acks were sent before their segments promised the new
    // epoch): the client hears the outcome recovery decided, once. An acknowledgement of a txn
    // recovery annulled, or a second one, is still wrong (shrinks/late-ack-after-recovery.json).
    const out = this.transition(o.txn, t?.status === 'recoveredCommit' ? 'recoveredCommit' : 'accepted', 'committed');
    if (t === undefined || out.length > 0) return out;
    if (t.commitLsn !== o.commitLsn) {
      return [{ invariant: 'commit-rule', message: `txn ${o.txn} committed at ${o.commitLsn} but was accepted with commit LSN ${t.commitLsn}` }];
    }
    this.committedFloor = Math.max(this.committedFloor, o.commitLsn);
    return [];
  }

  /**
   * Recovery decides the fate of every transaction the crashed writer left open: committed when
   * its commit is at or below the recovered VDL, annulled when it lies in the truncation range.
   * An acknowledged commit above the recovered VDL is lost data.
   *
   * A recovery that completes after a newer one completed decides nothing. (`recovered` is
   * observed when a recovery completes: a write quorum of every PG sealed and caught up.) Its
   * completion rests on acknowledgements sent before those segments promised the newer epoch,
   * and the writer is fenced at its next contact with storage; the newer recovery has decided
   * every txn older writers left open, and the newer writer's own txns, above the older plan's
   * range, are not the older one's to decide. Reads a deposed writer serves meanwhile are still
   * checked against the newer decisions (found as shrinks/stale-recovery-completes-late.json; oracle.test.ts holds it).
   */
  private recovered(o: Extract<Observation, { kind: 'recovered' }>): Finding[] {
    if (o.epoch < this.newestRecovery) return [];
    this.newestRecovery = o.epoch;
    const out: Finding[] = [];
    if (!this.consistencyPoints.has(o.vdl)) {
      out.push({ invariant: 'no-half-mtr', message: `recovery ${o.epoch} chose VDL ${o.vdl}, which ends no MTR` });
    }
    for (const t of this.txns) {
      if (t.status === 'committed' && t.commitLsn > o.vdl) {
        out.push({ invariant: 'durability', message: `txn ${t.txn} was acknowledged at ${t.commitLsn} but recovery ${o.epoch} kept only up to VDL ${o.vdl}` });
      }
      if (t.status !== 'accepted') continue;
      if (t.commitLsn <= o.vdl) t.status = 'recoveredCommit';
      else if (t.commitLsn <= o.truncateTo) t.status = 'annulled';
      else out.push({ invariant: 'watermark-order', message: `txn ${t.txn} has commit LSN ${t.commitLsn} above recovery ${o.epoch}'s truncation end ${o.truncateTo}` });
    }
    this.committedFloor = Math.max(this.committedFloor, o.vdl);
    this.consistencyPoints.add(o.truncateTo);
    this.replicaReads.clear();
    return out;
  }

  private readOk(o: Extract<Observation, { kind: 'readOk' }>): Finding[] {
    const out: Finding[] = [];
    const floor = this.readFloor.get(o.read) ?? 0;
    if (this.readFloor.has(o.read)) {
      this.readFloor.delete(o.read);
    } else {
      // Monotonic in issue order: a read issued later never reads an older state.
      const done = this.replicaReads.get(o.at) ?? [];
      const bad = done.find((d) => (d.read < o.read && d.readPoint > o.readPoint) || (d.read > o.read && d.readPoint < o.readPoint));
      if (bad !== undefined) {
        out.push({ invariant: 'replica-monotonic-reads', message: `reads ${Math.min(bad.read, o.read)} and ${Math.max(bad.read, o.read)} at ${o.at} were issued in that order but read at ${bad.read < o.read ? bad.readPoint : o.readPoint} and ${bad.read < o.read ? o.readPoint : bad.readPoint}` });
      }
      this.replicaReads.set(o.at, [...done, { read: o.read, readPoint: o.readPoint }]);
    }
    if (o.readPoint < floor) {
      out.push({ invariant: 'read-after-commit', message: `read ${o.read} used read point ${o.readPoint}, below ${floor} committed before it was issued` });
    }
    if (!this.consistencyPoints.has(o.readPoint)) {
      out.push({ invariant: 'no-half-mtr', message: `read ${o.read} used read point ${o.readPoint}, which ends no MTR` });
    }
    for (const v of o.values) {
      const want = this.valueAt(v.page, o.readPoint);
      if (v.value !== want) {
        out.push({ invariant: 'no-phantom', message: `read ${o.read} of page ${v.page} at ${o.readPoint} from ${v.from} returned ${v.value}; the ideal store has ${want}` });
      }
    }
    return out;
  }

  private transition(txn: number, from: TxnStatus, to: TxnStatus): Finding[] {
    const t = this.txns[txn];
    if (t === undefined || t.status !== from) {
      return [{ invariant: 'commit-rule', message: `txn ${txn} went to ${to} from ${t?.status ?? 'nowhere'}` }];
    }
    t.status = to;
    return [];
  }
}

export function isCommitted(t: OracleTxn): boolean {
  return t.status === 'committed' || t.status === 'recoveredCommit';
}
