// The writer's own log: the records this writer incarnation allocated, in LSN order, with
// indexes by PG (for backlinks, retransmission and read routing) and by page (for the versions
// a freshly cached page must carry). Volatile: a writer crash loses it; storage has the log.
// A prefix is released (model/state.ts `released`: every member holds it, no read needs it):
// its blocks are freed and reused for new records, so a long run keeps a few blocks.
//
// Method: LSNs are dense above the base (the first record is base + 1, each next one is one
// more), so record i is LSN base + 1 + i and the log keeps no record objects: six 32-bit fields a
// record, in fixed blocks of 4,096 records (outside the JS heap: the bench reports array-buffer
// memory beside heapUsed). The indexes by PG and by page are backlink chains in those fields: each
// record's previous LSN of its PG (its prevPg, which the record carries anyway) and of its page
// (one more field), and per PG and per page the last LSN (one typed array each, indexed by PG and
// by page). A record's value is not kept: the writer writes writeValue(txn, i) for its i-th write
// of a txn and 0 for the commit, so the log keeps i (append checks the value is that). The objects shipped
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
import { writeValue as writeValue_ } from '../model/events.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const sealRecord: typeof sealRecord_ = sealRecord_;
const writeValue: typeof writeValue_ = writeValue_;

const INT32_MAX = 2 ** 31 - 1;

/**
 * Records per block (a power of two). Blocks are never copied or grown: a log of n records holds
 * ceil(n / BLOCK) of them. One typed column per field, grown by doubling, took 33 bytes a record
 * and as much again in the copies: every byte of it fresh memory, and a page fault on this
 * project's VM costs 11-13 us (a fault per ~60 records, ~190 ns a record). Now 24 bytes a record,
 * each touched once.
 */
const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
const IN_BLOCK = BLOCK - 1;
/** Fields per record, in this order in its block. */
const FIELDS = 6;
const PG = 0;
const PREV_PG = 1;
const TXN = 2;
/** -1: a commit record (no page). */
const PAGE = 3;
/** The LSN of the previous write of the record's page in this log (0: none; commits: 0). */
const PREV_PAGE = 4;
/**
 * commitLsn - lsn (bits 0-6: a txn holds at most MTRS_PER_TXN_MAX * WRITES_PER_MTR_MAX writes and
 * its commit), the record's index among its txn's records (bits 7-13), the CPL flag (bit 14).
 */
const PACKED = 5;
const SPAN_BITS = 7;
const SPAN_MAX = (1 << SPAN_BITS) - 1;
const CPL_BIT = 1 << (2 * SPAN_BITS);

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
  /** The blocks of records, oldest first (record i: block i >> BLOCK_BITS, at (i & IN_BLOCK) * FIELDS). */
  private readonly blocks: Int32Array[] = [];
  /** The block the next record goes to (the last of blocks, once there is one). */
  private tail: Int32Array = new Int32Array(0);
  /** Records released (the first `releasedCount` records: LSNs base + 1 to base + releasedCount). */
  private releasedCount = 0;
  /** The last CPL among the released records (the base: none). */
  private releasedCplLsn: Lsn;
  /** Blocks freed by release, for new records to reuse (fresh memory costs page faults). */
  private readonly spare: Int32Array[] = [];
  /** The txn of the last record appended, and the LSN of that txn's first record (its index 0). */
  private lastTxn = -1;
  private txnFirstLsn = 0;
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
    this.releasedCplLsn = base;
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

  /** Records at or below this are released (the base: none). */
  get released(): Lsn {
    return this.base + this.releasedCount;
  }

  /** Records released: record i (LSN base + 1 + i) is held when i >= this. */
  get releasedLength(): number {
    return this.releasedCount;
  }

  /** The last CPL at or below `released` (the base: none): VDL's floor. */
  get releasedCpl(): Lsn {
    return this.releasedCplLsn;
  }

  /**
   * Release the first `n` records (n only grows): blocks wholly released are freed for reuse.
   * The caller decides what may go (writer.ts release); the log only forgets it.
   */
  releaseTo(n: number): void {
    const from = this.releasedCount;
    assert(n >= from && n <= this.count, 'release moves forward, over records allocated');
    if (n === from) return;
    let cpl = this.releasedCplLsn;
    for (let i = n - 1; i >= from; i--) {
      if (this.cplAt(i)) {
        cpl = this.base + 1 + i;
        break;
      }
    }
    this.releasedCplLsn = cpl;
    this.releasedCount = n;
    // Blocks before the one holding record n are wholly released (never the tail: n <= count).
    for (let b = from >> BLOCK_BITS; b < n >> BLOCK_BITS; b++) {
      const block = this.blocks[b]!;
      assert(block.length > 0 && block !== this.tail, 'a block is freed once, never the one being filled');
      this.spare.push(block);
      this.blocks[b] = FREED;
    }
  }

  append(r: RedoRecord): void {
    assert(r.lsn === this.nextLsn, 'LSNs are allocated densely, in order');
    assert(r.prevVol === this.prevVol, 'the volume backlink names the previous record');
    if (this.count === 0) this.epoch = r.epoch;
    assert(r.epoch === this.epoch, 'one epoch per writer log');
    assert(r.commitLsn <= INT32_MAX && r.txn <= INT32_MAX && (r.page ?? 0) <= INT32_MAX, 'the log fields hold 32-bit LSNs, txns and pages');
    const i = this.count++;
    if ((i & IN_BLOCK) === 0) {
      // Every field of a record is written below: a reused block needs no clearing.
      this.tail = this.spare.pop() ?? new Int32Array(BLOCK * FIELDS);
      this.blocks.push(this.tail);
    }
    if (r.txn !== this.lastTxn) {
      this.lastTxn = r.txn;
      this.txnFirstLsn = r.lsn;
    }
    const index = r.lsn - this.txnFirstLsn;
    const span = r.commitLsn - r.lsn;
    assert(span >= 0 && span <= SPAN_MAX && index <= SPAN_MAX, 'a txn spans at most 127 records, its commit last');
    // The value is the writer's: the txn's index-th write carries writeValue(txn, index), a commit 0.
    assert(r.value === (r.page === null ? 0 : writeValue(r.txn, index)), 'the record carries the value the writer writes');
    const block = this.tail;
    const o = (i & IN_BLOCK) * FIELDS;
    block[o + PG] = r.pg;
    block[o + PREV_PG] = r.prevPg;
    block[o + TXN] = r.txn;
    block[o + PAGE] = r.page ?? -1;
    // (Compared with true: a plain truthiness test of a field is a generic ToBoolean.)
    block[o + PACKED] = span | (index << SPAN_BITS) | (r.cpl === true ? CPL_BIT : 0);
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
    if (r.page === null) block[o + PREV_PAGE] = 0;
    else {
      if (r.page >= this.lastByPage.length) this.lastByPage = grownTo(this.lastByPage, r.page);
      block[o + PREV_PAGE] = this.lastByPage[r.page]!;
      this.lastByPage[r.page] = r.lsn;
    }
  }

  /** Field `f` of the i-th record (LSN base + 1 + i). */
  private field(i: number, f: number): number {
    return this.blocks[i >> BLOCK_BITS]![(i & IN_BLOCK) * FIELDS + f]!;
  }

  /** The PG of the i-th record (LSN base + 1 + i). */
  pgAt(i: number): number {
    return this.field(i, PG);
  }

  /** The i-th record ends an MTR (a consistency point). */
  cplAt(i: number): boolean {
    return (this.field(i, PACKED) & CPL_BIT) !== 0;
  }

  /** The record at an LSN this log holds (an equal frozen copy of the one shipped). */
  record(lsn: Lsn): RedoRecord {
    const i = lsn - this.base - 1;
    if (!(i >= this.releasedCount && i < this.count)) fail(`LSN ${lsn} is not held in this writer's log`);
    const back = ((this.count - 1) >> RECENT_BITS) - (i >> RECENT_BITS);
    const kept = back === 0 ? this.recent[i & (RECENT - 1)] : back === 1 ? this.previous[i & (RECENT - 1)] : undefined;
    if (kept !== undefined && kept.lsn === lsn) return kept;
    const page = this.field(i, PAGE);
    const txn = this.field(i, TXN);
    const packed = this.field(i, PACKED);
    return sealRecord({
      lsn, epoch: this.epoch, pg: this.field(i, PG), prevPg: this.field(i, PREV_PG), prevVol: i === 0 ? this.firstPrevVol : lsn - 1,
      txn, commitLsn: lsn + (packed & SPAN_MAX), cpl: (packed & CPL_BIT) !== 0, page: page < 0 ? null : page,
      value: page < 0 ? 0 : writeValue(txn, (packed >> SPAN_BITS) & SPAN_MAX),
    });
  }

  /**
   * The last LSN of a PG at or below a point (a segment covers a read point when its SCL reaches
   * it); the plan's last LSN of the PG when this log has none there. Walks the PG's records above
   * the point (see the header: those in flight, when asked at the VDL or a read point). Asked at
   * or above the released point, so the walk reads only records held.
   */
  floor(pg: number, point: Lsn): Lsn {
    const base = this.base;
    assert(point >= base + this.releasedCount, 'a PG floor is asked at or above the released point');
    let lsn = pg < this.lastByPg.length ? this.lastByPg[pg]! : 0;
    while (lsn > base && lsn > point) lsn = this.field(lsn - base - 1, PREV_PG);
    return lsn > base ? lsn : (this.lastPg[pg] ?? 0);
  }

  /** The commit LSN of the i-th record (LSN base + 1 + i). */
  commitAt(i: number): Lsn {
    return this.base + 1 + i + (this.field(i, PACKED) & SPAN_MAX);
  }

  /**
   * The lowest commit LSN above `told` among the PG's records in this log (Infinity: none). Commit
   * LSNs never decrease along the log, so the walk back from the PG's last record stops at the
   * first one committing at or below `told` (a PG announced to each round: a record or two). A
   * released record commits at or below its PG's `told` (the release rule), so the walk stops at
   * the released point with the same answer.
   */
  firstCommitAbove(pg: number, told: Lsn): Lsn {
    const low = this.base + this.releasedCount;
    const base = this.base;
    let first = Infinity;
    for (let lsn = this.lastOf(pg); lsn > low; lsn = this.field(lsn - base - 1, PREV_PG)) {
      const commit = lsn + (this.field(lsn - base - 1, PACKED) & SPAN_MAX);
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
    assert(upTo > this.base && upTo <= this.allocated && this.field(upTo - this.base - 1, PG) === pg, 'upTo is a record of the PG');
    return this.above(upTo, PREV_PG, lsn);
  }

  /** The page's writes above `lsn`, LSN order. */
  pageAbove(page: number, lsn: Lsn): RedoRecord[] {
    return this.above(page >= 0 && page < this.lastByPage.length ? this.lastByPage[page]! : 0, PREV_PAGE, lsn);
  }

  /** The records of a chain (`last`, then back through field `link`) above `lsn` and the released point, LSN order. */
  private above(last: Lsn, link: number, lsn: Lsn): RedoRecord[] {
    const base = this.base;
    const low = Math.max(lsn, base + this.releasedCount);
    let n = 0;
    for (let x = last; x > low; x = this.field(x - base - 1, link)) n++;
    const out = new Array<RedoRecord>(n);
    let k = n;
    for (let x = last; k > 0; x = this.field(x - base - 1, link)) out[--k] = this.record(x);
    assert(k === 0, 'the chain is walked twice alike');
    return out;
  }
}

/** A released block's place in `blocks` (reading a record there finds nothing). */
const FREED = new Int32Array(0);

/** A copy of `a` with room for index `i` (doubling). */
function grownTo(a: Int32Array<ArrayBuffer>, i: number): Int32Array<ArrayBuffer> {
  assert(Number.isInteger(i) && i >= 0, 'indexes are non-negative integers');
  const next = new Int32Array(Math.max(i + 1, a.length * 2));
  next.set(a);
  return next;
}
