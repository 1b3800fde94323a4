// The writer's own log: every record this writer incarnation allocated, in LSN order, with
// indexes by PG (for backlinks, retransmission and read routing) and by page (for the versions
// a freshly cached page must carry). Volatile: a writer crash loses it; storage has the log.
//
// Method: LSNs are dense above the base (the first record is base + 1, each next one is one
// more), so record i is LSN base + 1 + i and the log keeps no record objects: one column per
// field (numbers, a few bytes each) and per PG and per page the LSN lists. The objects shipped
// to storage are the ones `append` was given; the rare readers of old records (retransmission
// to a lagging segment, a page's versions for the cache) get equal frozen copies. "The records
// of PG g at or below p" is a binary search in that PG's LSN list.

import type { Lsn, RedoRecord } from '../model/types.js';
import { assert, lastAtOrBelow } from './assert.js';
import { sealRecord } from './log.js';

const itself = (x: number): number => x;

export class WriterLog {
  /** Records allocated. */
  private count = 0;
  /** The epoch of every record (one writer incarnation allocates under one epoch). */
  private epoch = 0;
  private readonly pgs: number[] = [];
  private readonly prevPgs: number[] = [];
  private readonly txns: number[] = [];
  private readonly commitLsns: number[] = [];
  private readonly cpls: boolean[] = [];
  /** -1: a commit record (no page). */
  private readonly pages: number[] = [];
  private readonly values: number[] = [];
  private readonly byPg: Lsn[][] = [];
  private readonly byPage = new Map<number, Lsn[]>();

  /**
   * @param base every LSN allocated is above it (the end of the truncation range recovery wrote)
   * @param firstPrevVol the volume backlink of the first record (the recovered VDL)
   * @param lastPg per PG, its last LSN at or below the recovered VDL (0: none)
   */
  constructor(readonly base: Lsn, readonly firstPrevVol: Lsn, private readonly lastPg: readonly Lsn[]) {
    assert(base >= 0 && firstPrevVol >= 0, 'LSNs are non-negative');
    assert(firstPrevVol <= base, 'the recovered VDL is at or below the base');
  }

  /** Records allocated. */
  get length(): number {
    return this.count;
  }

  /** The highest LSN allocated, or the base. */
  get allocated(): Lsn {
    return this.base + this.count;
  }

  get nextLsn(): Lsn {
    return this.allocated + 1;
  }

  get prevVol(): Lsn {
    return this.count === 0 ? this.firstPrevVol : this.allocated;
  }

  append(r: RedoRecord): void {
    assert(r.lsn === this.nextLsn, 'LSNs are allocated densely, in order');
    assert(r.prevVol === this.prevVol, 'the volume backlink names the previous record');
    if (this.count === 0) this.epoch = r.epoch;
    assert(r.epoch === this.epoch, 'one epoch per writer log');
    this.count++;
    this.pgs.push(r.pg);
    this.prevPgs.push(r.prevPg);
    this.txns.push(r.txn);
    this.commitLsns.push(r.commitLsn);
    this.cpls.push(r.cpl);
    this.pages.push(r.page ?? -1);
    this.values.push(r.value);
    (this.byPg[r.pg] ??= []).push(r.lsn);
    if (r.page !== null) {
      const list = this.byPage.get(r.page);
      if (list === undefined) this.byPage.set(r.page, [r.lsn]);
      else list.push(r.lsn);
    }
  }

  /** The PG of the i-th record (LSN base + 1 + i). */
  pgAt(i: number): number {
    return this.pgs[i]!;
  }

  /** The i-th record ends an MTR (a consistency point). */
  cplAt(i: number): boolean {
    return this.cpls[i]!;
  }

  /** The record at an LSN this log allocated (an equal frozen copy of the one shipped). */
  record(lsn: Lsn): RedoRecord {
    const i = lsn - this.base - 1;
    assert(i >= 0 && i < this.count, () => `LSN ${lsn} is not in this writer's log`);
    const page = this.pages[i]!;
    return sealRecord({
      lsn, epoch: this.epoch, pg: this.pgs[i]!, prevPg: this.prevPgs[i]!, prevVol: i === 0 ? this.firstPrevVol : lsn - 1,
      txn: this.txns[i]!, commitLsn: this.commitLsns[i]!, cpl: this.cpls[i]!, page: page < 0 ? null : page, value: this.values[i]!,
    });
  }

  /** The last LSN of a PG at or below a point (a segment covers a read point when its SCL reaches it). */
  floor(pg: number, point: Lsn): Lsn {
    const list = this.byPg[pg] ?? [];
    const i = lastAtOrBelow(list, itself, point);
    return i >= 0 ? list[i]! : (this.lastPg[pg] ?? 0);
  }

  /** The PG's last LSN allocated in this log (0: none). */
  lastOf(pg: number): Lsn {
    const list = this.byPg[pg];
    return list === undefined || list.length === 0 ? 0 : list[list.length - 1]!;
  }

  /** The PG's records above `lsn`, LSN order. */
  pgAbove(pg: number, lsn: Lsn): RedoRecord[] {
    return this.above(this.byPg[pg] ?? [], lsn);
  }

  /** The page's writes above `lsn`, LSN order. */
  pageAbove(page: number, lsn: Lsn): RedoRecord[] {
    return this.above(this.byPage.get(page) ?? [], lsn);
  }

  private above(lsns: readonly Lsn[], lsn: Lsn): RedoRecord[] {
    const out: RedoRecord[] = [];
    for (let i = lastAtOrBelow(lsns, itself, lsn) + 1; i < lsns.length; i++) out.push(this.record(lsns[i]!));
    return out;
  }
}
