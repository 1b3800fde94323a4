// The writer's own log: every record this writer incarnation allocated, in LSN order, with
// indexes by PG (for backlinks, retransmission and read routing) and by page (for the versions
// a freshly cached page must carry). Volatile: a writer crash loses it; storage has the log.
//
// Method: LSNs are dense above the base (the first record is base + 1, each next one is one
// more), so record i is LSN base + 1 + i and the log keeps no record objects: one typed column
// per field (outside the JS heap: the bench reports array-buffer memory beside heapUsed). The
// indexes by PG and by page are backlink chains in those columns: each record's previous LSN of
// its PG (its prevPg, which the record carries anyway) and of its page (one more column), and
// per PG and per page the last LSN (one typed array each, indexed by PG and by page). The objects shipped
// to storage are the ones `append` was given; the rare readers of old records (retransmission
// to a lagging segment, a page's versions for the cache) get the shipped object while it is among
// the last 256 appended, else an equal frozen copy. "The records of PG g above p" is a walk down
// g's chain from its last LSN: as long as the answer (retransmission, a page's newer versions).
// "The last LSN of g at or below p" (floor) walks the records of g above p: the writer asks it at
// its VDL or a read point, and no LSN is allocated above VDL + LAL, so that walk is the records
// in flight. (Per-PG and per-page LSN lists did the same by binary search, but cost three typed
// arrays per PG, each an object, a buffer and a store, and two list pushes per record: at 13,108
// PGs those were cold cache lines on every record allocated.)

import type { Lsn, RedoRecord } from '../model/types.js';
import { fail as fail_, assert as assert_ } from './assert.js';
import { sealRecord as sealRecord_ } from './log.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const sealRecord: typeof sealRecord_ = sealRecord_;

const INT32_MAX = 2 ** 31 - 1;
/**
 * Record objects kept for retransmission, in blocks of RECENT (a power of two): the current block
 * and the one before, so the last RECENT to 2 * RECENT records (32 to 64 txns of 4 records, far
 * more than a member lags in steady state: its ack is one txn behind). It was one ring of 4,096:
 * every record then lived ~1,000 txns, so each was promoted out of the young generation and died
 * in old space.
 */
const RECENT_BITS = 7;
const RECENT = 1 << RECENT_BITS;
/** An empty block, copied (one CloneFastJSArray) for each new one. */
const EMPTY_BLOCK: (RedoRecord | undefined)[] = new Array<RedoRecord | undefined>(RECENT).fill(undefined);

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
   * The record objects of the current block (records i with i / RECENT the last one's, at
   * i mod RECENT) and of the block before: retransmission (every few ticks to a member whose ack
   * is still in flight) asks for a PG's newest records, and gets the objects first shipped
   * instead of rebuilt copies; bounded, so the log still holds no record per LSN. A new block is
   * a new array (young), where one long-lived ring, in old space, took a write-barrier call
   * (RecordWriteSaveFP) for every record stored into it.
   */
  private recent: (RedoRecord | undefined)[] = EMPTY_BLOCK.slice();
  private previous: (RedoRecord | undefined)[] = EMPTY_BLOCK.slice();
  /** Per record: the LSN of the previous write of its page in this log (0: none; commits: 0). */
  private prevPages = new Int32Array(0);
  /** Per PG: its last LSN in this log (0: none); grown (doubling) for PGs added later. */
  private lastByPg: Int32Array<ArrayBuffer>;
  /** Per page (pages are dense from 0): its last LSN written in this log (0: none); grown by doubling. */
  private lastByPage = new Int32Array(16);

  /**
   * @param base every LSN allocated is above it (the end of the truncation range recovery wrote)
   * @param firstPrevVol the volume backlink of the first record (the recovered VDL)
   * @param lastPg per PG, its last LSN at or below the recovered VDL (0: none)
   */
  constructor(readonly base: Lsn, readonly firstPrevVol: Lsn, private readonly lastPg: readonly Lsn[]) {
    assert(base >= 0 && firstPrevVol >= 0, 'LSNs are non-negative');
    assert(firstPrevVol <= base, 'the recovered VDL is at or below the base');
    // Every PG of the recovered volume has its slot from the start: append grows it only for a
    // PG added later.
    this.lastByPg = new Int32Array(Math.max(1, lastPg.length));
    assert(this.lastByPg.length >= lastPg.length, 'a slot per PG');
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
    // (Compared with true: a plain truthiness test of a field is a generic ToBoolean.)
    this.cpls[i] = r.cpl === true ? 1 : 0;
    this.pages[i] = r.page ?? -1;
    this.values[i] = r.value;
    if ((i & (RECENT - 1)) === 0 && i > 0) {
      this.previous = this.recent;
      this.recent = EMPTY_BLOCK.slice();
    }
    this.recent[i & (RECENT - 1)] = r;
    if (r.pg >= this.lastByPg.length) this.lastByPg = grownTo(this.lastByPg, r.pg);
    const lastByPg = this.lastByPg;
    // The PG chain is the records' own backlinks: prevPg names this PG's last LSN (or one at or
    // below the base, where the chain ends).
    assert(r.prevPg === (lastByPg[r.pg] === 0 ? (this.lastPg[r.pg] ?? 0) : lastByPg[r.pg]), 'the PG backlink names the PG\'s last record');
    lastByPg[r.pg] = r.lsn;
    if (r.page === null) this.prevPages[i] = 0;
    else {
      if (r.page >= this.lastByPage.length) this.lastByPage = grownTo(this.lastByPage, r.page);
      this.prevPages[i] = this.lastByPage[r.page]!;
      this.lastByPage[r.page] = r.lsn;
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
    this.prevPages = more(this.prevPages, (n) => new Int32Array(n));
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
    const back = ((this.count - 1) >> RECENT_BITS) - (i >> RECENT_BITS);
    const kept = back === 0 ? this.recent[i & (RECENT - 1)] : back === 1 ? this.previous[i & (RECENT - 1)] : undefined;
    if (kept !== undefined && kept.lsn === lsn) return kept;
    const page = this.pages[i]!;
    return sealRecord({
      lsn, epoch: this.epoch, pg: this.pgs[i]!, prevPg: this.prevPgs[i]!, prevVol: i === 0 ? this.firstPrevVol : lsn - 1,
      txn: this.txns[i]!, commitLsn: this.commitLsns[i]!, cpl: this.cpls[i] === 1, page: page < 0 ? null : page, value: this.values[i]!,
    });
  }

  /**
   * The last LSN of a PG at or below a point (a segment covers a read point when its SCL reaches
   * it); the plan's last LSN of the PG when this log has none there. Walks the PG's records above
   * the point (see the header: those in flight, when asked at the VDL or a read point).
   */
  floor(pg: number, point: Lsn): Lsn {
    const base = this.base;
    let lsn = pg < this.lastByPg.length ? this.lastByPg[pg]! : 0;
    while (lsn > base && lsn > point) lsn = this.prevPgs[lsn - base - 1]!;
    return lsn > base ? lsn : (this.lastPg[pg] ?? 0);
  }

  /**
   * The lowest commit LSN above `told` among the PG's records in this log (Infinity: none). Commit
   * LSNs never decrease along the log, so the walk back from the PG's last record stops at the
   * first one committing at or below `told` (a PG announced to each round: a record or two).
   */
  firstCommitAbove(pg: number, told: Lsn): Lsn {
    const base = this.base;
    let first = Infinity;
    for (let lsn = this.lastOf(pg); lsn > base; lsn = this.prevPgs[lsn - base - 1]!) {
      const commit = this.commitLsns[lsn - base - 1]!;
      if (commit <= told) break;
      first = commit;
    }
    return first;
  }

  /** The PG's last LSN allocated in this log (0: none). */
  lastOf(pg: number): Lsn {
    return pg < this.lastByPg.length ? this.lastByPg[pg]! : 0;
  }

  /** The PG's records above `lsn` up to `upTo`, one of them (floor(pg, x) finds it), LSN order. */
  pgAboveUpTo(pg: number, lsn: Lsn, upTo: Lsn): RedoRecord[] {
    assert(upTo > this.base && upTo <= this.allocated && this.pgs[upTo - this.base - 1] === pg, 'upTo is a record of the PG');
    return this.above(upTo, this.prevPgs, lsn);
  }

  /** The page's writes above `lsn`, LSN order. */
  pageAbove(page: number, lsn: Lsn): RedoRecord[] {
    return this.above(page >= 0 && page < this.lastByPage.length ? this.lastByPage[page]! : 0, this.prevPages, lsn);
  }

  /** The records of a chain (`last`, then back through `links`) above `lsn` and the base, LSN order. */
  private above(last: Lsn, links: Int32Array, lsn: Lsn): RedoRecord[] {
    const base = this.base;
    let n = 0;
    for (let x = last; x > base && x > lsn; x = links[x - base - 1]!) n++;
    const out = new Array<RedoRecord>(n);
    let k = n;
    for (let x = last; k > 0; x = links[x - base - 1]!) out[--k] = this.record(x);
    assert(k === 0, 'the chain is walked twice alike');
    return out;
  }
}

/** A copy of `a` with room for index `i` (doubling). */
function grownTo(a: Int32Array<ArrayBuffer>, i: number): Int32Array<ArrayBuffer> {
  assert(Number.isInteger(i) && i >= 0, 'indexes are non-negative integers');
  const next = new Int32Array(Math.max(i + 1, a.length * 2));
  next.set(a);
  return next;
}
