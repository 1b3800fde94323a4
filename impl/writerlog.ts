// The writer's own log: every record this writer incarnation allocated, in LSN order, with
// indexes by PG (for backlinks, retransmission and read routing) and by page (for the versions
// a freshly cached page must carry). Volatile: a writer crash loses it; storage has the log.
//
// LSNs are dense above the base: the first record is base + 1 and each next one is one more, so
// "the records of PG g at or below p" is a binary search in that PG's list.

import type { Lsn, RedoRecord } from '../model/types.js';
import { assert, lastAtOrBelow } from './assert.js';

const lsnOf = (r: RedoRecord): number => r.lsn;

export class WriterLog {
  readonly records: RedoRecord[] = [];
  private readonly byPg: RedoRecord[][] = [];
  private readonly byPage = new Map<number, RedoRecord[]>();

  /**
   * @param base every LSN allocated is above it (the end of the truncation range recovery wrote)
   * @param firstPrevVol the volume backlink of the first record (the recovered VDL)
   * @param lastPg per PG, its last LSN at or below the recovered VDL (0: none)
   */
  constructor(readonly base: Lsn, readonly firstPrevVol: Lsn, private readonly lastPg: readonly Lsn[]) {
    assert(base >= 0 && firstPrevVol >= 0, 'LSNs are non-negative');
    assert(firstPrevVol <= base, 'the recovered VDL is at or below the base');
  }

  /** The highest LSN allocated, or the base. */
  get allocated(): Lsn {
    const last = this.records[this.records.length - 1];
    return last === undefined ? this.base : last.lsn;
  }

  get nextLsn(): Lsn {
    return this.allocated + 1;
  }

  get prevVol(): Lsn {
    const last = this.records[this.records.length - 1];
    return last === undefined ? this.firstPrevVol : last.lsn;
  }

  append(r: RedoRecord): void {
    assert(r.lsn === this.nextLsn, 'LSNs are allocated densely, in order');
    assert(r.prevVol === this.prevVol, 'the volume backlink names the previous record');
    this.records.push(r);
    (this.byPg[r.pg] ??= []).push(r);
    if (r.page !== null) {
      const list = this.byPage.get(r.page);
      if (list === undefined) this.byPage.set(r.page, [r]);
      else list.push(r);
    }
  }

  /** The last LSN of a PG at or below a point (a segment covers a read point when its SCL reaches it). */
  floor(pg: number, point: Lsn): Lsn {
    const list = this.byPg[pg] ?? [];
    const i = lastAtOrBelow(list, lsnOf, point);
    return i >= 0 ? list[i]!.lsn : (this.lastPg[pg] ?? 0);
  }

  /** The PG's last LSN allocated in this log (0: none). */
  lastOf(pg: number): Lsn {
    const list = this.byPg[pg];
    return list === undefined || list.length === 0 ? 0 : list[list.length - 1]!.lsn;
  }

  /** The PG's records above `lsn`, LSN order. */
  pgAbove(pg: number, lsn: Lsn): RedoRecord[] {
    const list = this.byPg[pg] ?? [];
    return list.slice(lastAtOrBelow(list, lsnOf, lsn) + 1);
  }

  /** The page's writes above `lsn`, LSN order. */
  pageAbove(page: number, lsn: Lsn): RedoRecord[] {
    const list = this.byPage.get(page) ?? [];
    return list.slice(lastAtOrBelow(list, lsnOf, lsn) + 1);
  }
}
