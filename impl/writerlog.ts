// The writer's own log: every record this writer incarnation allocated, in LSN order, with
// indexes by PG (for backlinks, retransmission and read routing) and by page (for the versions
// a freshly cached page must carry). Volatile: a writer crash loses it; storage has the log.
//
// Method: LSNs are dense above the base (the first record is base + 1, each next one is one
// more), so record i is LSN base + 1 + i and the log keeps no record objects: one typed column
// per field (outside the JS heap: the bench reports array-buffer memory beside heapUsed) and per
// PG and per page the LSN lists (typed too, grown by doubling). The objects shipped
// to storage are the ones `append` was given; the rare readers of old records (retransmission
// to a lagging segment, a page's versions for the cache) get the shipped object while it is among
// the last 256 appended, else an equal frozen copy. "The records
// of PG g at or below p" is a binary search in that PG's LSN list.

import type { Lsn, RedoRecord } from '../model/types.js';
import { fail as fail_, assert as assert_ } from './assert.js';
import { sealRecord as sealRecord_ } from './log.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const sealRecord: typeof sealRecord_ = sealRecord_;

const INT32_MAX = 2 ** 31 - 1;
/** Every LsnList's storage before its first LSN (never written: a push first grows past it). */
const NO_LSNS = new Int32Array(0);
/**
 * Record objects kept for retransmission (a power of two). 256 is 64 txns of 4 records, far more
 * than a member lags in steady state (its ack is one txn behind). It was 4,096: every record then
 * lived ~1,000 txns, so each was promoted out of the young generation and died in old space.
 */
const RECENT = 256;

export class WriterLog {
  /** Records allocated. */
  private count = 0;
  /** The epoch of every record (one writer incarnation allocates under one epoch). */
  private epoch = 0;
  // Typed columns (4 bytes a field, 1 for the CPL flag, 8 for the value), grown by doubling.
  private capacity = 0;
  private pgs = new Int32Array(0);
  private prevPgs = new Int32Array(0);
  private txns = new Int32Array(0);
  private commitLsns = new Int32Array(0);
  private cpls = new Uint8Array(0);
  /** -1: a commit record (no page). */
  private pages = new Int32Array(0);
  private values = new Float64Array(0);
  /**
   * The last RECENT record objects appended, by index mod RECENT: retransmission (every few ticks
   * to a member whose ack is still in flight) asks for a PG's newest records, and gets the objects
   * first shipped instead of rebuilt copies; bounded, so the log still holds no record per LSN.
   */
  private readonly recent: (RedoRecord | undefined)[] = new Array<RedoRecord | undefined>(RECENT).fill(undefined);
  /** Per PG, its LSNs (in LSN order: byPg[pg][0 .. byPgCount[pg]), a typed list grown by doubling). */
  private readonly byPg: LsnList[] = [];
  /**
   * Per page (pages are dense from 0), its LSNs. Made with page 0's empty slot, so its elements
   * kind is the generic one from the start (grown from an empty literal on a fresh engine, it
   * changed kind under code optimized on warm engines: a deopt of append per new engine).
   */
  private readonly byPage: (LsnList | undefined)[] = [undefined];

  /**
   * @param base every LSN allocated is above it (the end of the truncation range recovery wrote)
   * @param firstPrevVol the volume backlink of the first record (the recovered VDL)
   * @param lastPg per PG, its last LSN at or below the recovered VDL (0: none)
   */
  constructor(readonly base: Lsn, readonly firstPrevVol: Lsn, private readonly lastPg: readonly Lsn[]) {
    assert(base >= 0 && firstPrevVol >= 0, 'LSNs are non-negative');
    assert(firstPrevVol <= base, 'the recovered VDL is at or below the base');
    // Every PG of the recovered volume has its list from the start: append grows byPg only for a
    // PG added later (a fresh engine's first appends grew it, changing its elements kind under
    // code optimized on warm engines: a 'not a Smi' deopt of append on every new engine).
    for (let pg = 0; pg < lastPg.length; pg++) this.byPg.push(new LsnList());
    assert(this.byPg.length === lastPg.length, 'a list per PG');
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
    assert(r.commitLsn <= INT32_MAX && r.txn <= INT32_MAX && (r.page ?? 0) <= INT32_MAX, 'the log columns hold 32-bit LSNs, txns and pages');
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.pgs[i] = r.pg;
    this.prevPgs[i] = r.prevPg;
    this.txns[i] = r.txn;
    this.commitLsns[i] = r.commitLsn;
    this.cpls[i] = r.cpl ? 1 : 0;
    this.pages[i] = r.page ?? -1;
    this.values[i] = r.value;
    this.recent[i & (RECENT - 1)] = r;
    const byPg = this.byPg;
    while (byPg.length <= r.pg) byPg.push(new LsnList());
    byPg[r.pg]!.push(r.lsn);
    if (r.page !== null) {
      const byPage = this.byPage;
      while (byPage.length <= r.page) byPage.push(undefined);
      (byPage[r.page] ??= new LsnList()).push(r.lsn);
    }
  }

  private grow(): void {
    const capacity = Math.max(64, this.capacity * 2);
    const more = <T extends Int32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.pgs = more(this.pgs, (n) => new Int32Array(n));
    this.prevPgs = more(this.prevPgs, (n) => new Int32Array(n));
    this.txns = more(this.txns, (n) => new Int32Array(n));
    this.commitLsns = more(this.commitLsns, (n) => new Int32Array(n));
    this.cpls = more(this.cpls, (n) => new Uint8Array(n));
    this.pages = more(this.pages, (n) => new Int32Array(n));
    this.values = more(this.values, (n) => new Float64Array(n));
    this.capacity = capacity;
  }

  /** The PG of the i-th record (LSN base + 1 + i). */
  pgAt(i: number): number {
    return this.pgs[i]!;
  }

  /** The i-th record ends an MTR (a consistency point). */
  cplAt(i: number): boolean {
    return this.cpls[i] === 1;
  }

  /** The record at an LSN this log allocated (an equal frozen copy of the one shipped). */
  record(lsn: Lsn): RedoRecord {
    const i = lsn - this.base - 1;
    if (!(i >= 0 && i < this.count)) fail(`LSN ${lsn} is not in this writer's log`);
    const kept = this.recent[i & (RECENT - 1)];
    if (kept !== undefined && kept.lsn === lsn) return kept;
    const page = this.pages[i]!;
    return sealRecord({
      lsn, epoch: this.epoch, pg: this.pgs[i]!, prevPg: this.prevPgs[i]!, prevVol: i === 0 ? this.firstPrevVol : lsn - 1,
      txn: this.txns[i]!, commitLsn: this.commitLsns[i]!, cpl: this.cpls[i] === 1, page: page < 0 ? null : page, value: this.values[i]!,
    });
  }

  /** The last LSN of a PG at or below a point (a segment covers a read point when its SCL reaches it). */
  floor(pg: number, point: Lsn): Lsn {
    const list = this.byPg[pg];
    const i = list === undefined ? -1 : list.lastAtOrBelow(point);
    return i >= 0 ? list!.at(i) : (this.lastPg[pg] ?? 0);
  }

  /** The PG's last LSN allocated in this log (0: none). */
  lastOf(pg: number): Lsn {
    const list = this.byPg[pg];
    return list === undefined || list.length === 0 ? 0 : list.at(list.length - 1);
  }

  /** The PG's records above `lsn`, LSN order. */
  pgAbove(pg: number, lsn: Lsn): RedoRecord[] {
    return this.above(this.byPg[pg], lsn);
  }

  /** The page's writes above `lsn`, LSN order. */
  pageAbove(page: number, lsn: Lsn): RedoRecord[] {
    return this.above(this.byPage[page], lsn);
  }

  private above(lsns: LsnList | undefined, lsn: Lsn): RedoRecord[] {
    const out: RedoRecord[] = [];
    if (lsns === undefined) return out;
    for (let i = lsns.lastAtOrBelow(lsn) + 1; i < lsns.length; i++) out.push(this.record(lsns.at(i)));
    return out;
  }
}

/**
 * An ascending list of LSNs in an Int32Array grown by doubling: off the JS heap, so the lists
 * that grow for a writer's whole life are neither scanned nor promoted by the GC.
 */
class LsnList {
  /** Shared and empty until the first push (a volume of 13,108 PGs makes a list per PG up front). */
  private data: Int32Array = NO_LSNS;
  length = 0;

  push(lsn: Lsn): void {
    assert(lsn <= INT32_MAX && (this.length === 0 || this.data[this.length - 1]! < lsn), 'LSN lists ascend and hold 32-bit LSNs');
    if (this.length === this.data.length) {
      const next = new Int32Array(Math.max(16, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = lsn;
  }

  at(i: number): Lsn {
    return this.data[i]!;
  }

  /** The index of the last LSN at or below `at` (-1: none); the last is tried first. */
  lastAtOrBelow(at: Lsn): number {
    const data = this.data;
    let hi = this.length;
    if (hi === 0 || data[hi - 1]! <= at) return hi - 1;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (data[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
