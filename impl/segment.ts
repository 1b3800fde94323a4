// One segment: a PG's log as one storage node holds it, durable (a node crash keeps it whole).
//
// Method: records live in an LSN-ordered array (found by binary search, appends being the common
// case) with a parallel array of completeness flags, and the SCL is kept incrementally. A record
// is complete when it is at or below the GC point, its PG backlink is at or below the GC point,
// or its backlink names a complete record; SCL is the highest complete LSN (or the SCL the
// segment had when it coalesced). Inserting a record marks it complete if its predecessor is,
// then wakes every record that was waiting on it (a map allocated only when records arrive out
// of order): each record is marked once, so inserts cost O(1) amortized. A read walks the log
// for its page (no page index is kept). Removing records (a seal annulling some, coalescing) or
// moving the GC point rebuilds the flags; both are background events over a log that coalescing
// keeps short.

import type { Lsn, NodeId, PendingVersion, RedoRecord, TruncationRange } from '../model/types.js';
import { assert as assert_ } from './assert.js';
import { IntScratch } from './workset.js';
import { annulledBy as annulledBy_, recordAnnulled as recordAnnulled_, versionOf as versionOf_, visibleAt as visibleAt_, writeSurvives as writeSurvives_ } from './log.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;
const annulledBy: typeof annulledBy_ = annulledBy_;
const recordAnnulled: typeof recordAnnulled_ = recordAnnulled_;
const versionOf: typeof versionOf_ = versionOf_;
const visibleAt: typeof visibleAt_ = visibleAt_;
const writeSurvives: typeof writeSurvives_ = writeSurvives_;

const byLsnKey = (r: RedoRecord): number => r.lsn;
/** Scratch for coalesce (emptied after each use, so it holds no record). */
const pagesScratch = new IntScratch();
/**
 * A segment's log and flags before its first record: shared, so never written (push and rebuild
 * give the segment its own first). Made by popping a placeholder, so their elements kind is
 * already the generic one of the lists that replace them (an empty literal's small-integer kind
 * would make every load from a segment's log polymorphic).
 */
const NO_RECORDS_HELD: (RedoRecord | undefined)[] = [undefined];
NO_RECORDS_HELD.pop();
/** Four empty slots, which grow appends to a small log (shared, never written; a literal of undefined: the log lists' elements kind). */
const FOUR_EMPTY: readonly (RedoRecord | undefined)[] = [undefined, undefined, undefined, undefined];
/**
 * The truncation ranges of a segment never sealed with any: one shared empty list (sealWith gives
 * a segment its own copy), so 117,972 segments of a 13,108-PG volume hold no empty array each,
 * and persist's `ranges.length` reads a line every segment shares.
 */
const NO_RANGES: readonly TruncationRange[] = [];

/**
 * A segment coalesced again within this many ticks is busy (coalesce): at 2 and 64 PGs a written
 * segment coalesces every few to few dozen ticks, at 13,108 PGs every few thousand.
 */
const BUSY_COALESCE_TICKS = 64;
/**
 * A list a busy coalesce copied at most this many ticks ago is taken as still young: the bench
 * scavenges every ~300 ticks at 2 and 64 PGs (--trace-gc: 73 and 90 in 25,000 ticks; 40 and 53
 * in 15,000), and an object is promoted only when it survives two, so such a list (replaced at
 * the next busy coalesce past this age, within BUSY_COALESCE_TICKS more) has met one at most.
 * (Only a cost rests on this: an old list compacted in place makes write-barrier calls, as
 * before the copies.) 32 before: at 64 PGs a third of the coalesces copied (CloneFastJSArray and
 * a write-barrier call for the new list); 128: marginal instructions per record (cachegrind)
 * 64 PGs 23,660 -> 23,345, 2 PGs 12,123 -> 12,108.
 */
const YOUNG_TICKS = 128;
/** Scratch for coalesce: per log index at or below the point, whether the record stays (1). */
let keepScratch = new Uint8Array(64);

/** The index of the last of log[0 .. n) (ascending LSNs) with an LSN <= `at`, or -1; the last is tried first. */
function lastAtOrBelowIn(log: readonly (RedoRecord | undefined)[], n: number, at: Lsn): number {
  let hi = n;
  if (hi === 0 || log[hi - 1]!.lsn <= at) return hi - 1;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.lsn <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * coalesce's walk when nothing is annulled and log[0 .. end] are at most 31: bit i set when
 * log[i] (i <= end, so at or below the point) stays. Walking down, the first write met of each
 * page that is visible at the point (its commit there too) is the page's newest version there;
 * a write committed above the point stays as well; commit records and older versions go. The
 * first two pages met are two locals (a PG has pagesPerPg pages: 2 in the bench, so pages are
 * dense from 0 and -1 is no page); a third page returns -1 (no bits), for keptFlags to decide:
 * the loop then makes no call and touches no scratch list (its includes and push were here, and
 * the clearing after the loop).
 */
function keptBits(log: readonly (RedoRecord | undefined)[], end: number, point: Lsn): number {
  assert(end < 31, 'the kept records fit in the bits of one integer');
  let bits = 0;
  let seen0 = -1;
  let seen1 = -1;
  for (let i = end; i >= 0; i--) {
    const r = log[i]!;
    const page = r.page;
    if (page === null) continue;
    if (r.commitLsn > point) bits |= 1 << i;
    else if (page === seen0 || page === seen1) continue;
    else if (seen0 < 0) {
      seen0 = page;
      bits |= 1 << i;
    } else if (seen1 < 0) {
      seen1 = page;
      bits |= 1 << i;
    } else return -1;
  }
  return bits;
}

/**
 * coalesce's walk in general (truncation ranges, a long log, or more than two pages):
 * keepScratch[i] is 1 when log[i] (i <= end) stays, as keptBits decides, annulled records going
 * too.
 */
function keptFlags(log: readonly (RedoRecord | undefined)[], end: number, point: Lsn, ranges: readonly TruncationRange[]): void {
  if (keepScratch.length <= end) keepScratch = new Uint8Array(Math.max(end + 1, keepScratch.length * 2));
  const keep = keepScratch;
  const pagesSeen = pagesScratch;
  pagesSeen.clear();
  const annuls = ranges.length > 0;
  for (let i = end; i >= 0; i--) {
    const r = log[i]!;
    keep[i] = 0;
    if (r.page === null) continue;
    if (!pagesSeen.includes(r.page) && (annuls ? visibleAt(ranges, r, point) : r.lsn <= point && r.commitLsn <= point)) {
      pagesSeen.push(r.page);
      keep[i] = 1;
    } else if (r.commitLsn > point && (!annuls || writeSurvives(ranges, r))) keep[i] = 1;
  }
  pagesSeen.clear();
}

export class Segment {
  /** Highest volume epoch promised; requests of older epochs are refused. */
  epoch = 0;
  /** Highest membership epoch of the PG seen; older quorum requests are refused. */
  membership = 0;
  /** Bumped whenever the segment is reset; acknowledgements carry it. */
  incarnation: number;
  /** The compute node that sealed this segment: acknowledgements go there. */
  writer: NodeId;
  /** Holds nothing it can vouch for (lost disk, replacement hydrating). */
  blank: boolean;
  /** The epoch whose truncation ranges this segment holds; writes of that epoch are accepted. */
  sealedEpoch = 0;
  ranges: readonly TruncationRange[] = NO_RANGES;
  /** Records at or below this are coalesced; 0: none. */
  gcPoint: Lsn = 0;
  /** The SCL when the segment coalesced. */
  gcScl: Lsn = 0;
  /** The PGMRPL last told: GC never goes past it. */
  pgmrpl: Lsn = 0;

  /**
   * The records, LSN order: log[0 .. count). The arrays only grow (slots past count are emptied):
   * shrinking a JS array (pop, a length write) trims its backing store, and the appends that
   * follow every coalesce then allocated a new one. It starts as the shared empty list below
   * and is made on the first record (ownLists): a 13,108-PG volume has 117,972 segments, most
   * never written in a short run, and a list each was an eighth of an engine's objects.
   */
  private log: (RedoRecord | undefined)[] = NO_RECORDS_HELD;
  private count = 0;
  /**
   * The flags and waiting lists while some record waits (see Pending). Null exactly when nothing
   * waits (outside insert and rebuild, which make it first and drop it at their end if its
   * waiting map is empty), and then every held record is complete: a record that is not is always
   * in some waiting list (classify and rebuild put it there; markComplete takes a list out only to
   * mark its records, and the mutant that skips the wake-up leaves the list in place). In the
   * steady state nothing waits, so a segment keeps no flags at all (they were a second array per
   * written segment, and a store per record). One field for both: two were 8 bytes more on each
   * segment, 78,648 made at 13,108 PGs (heap after GC, scratch/heapagg.mjs, 2*10^5 PG-local
   * records: 44.9 -> 44.3 MB; marginal instructions per record, cachegrind: 2 PGs 8,917 -> 8,913,
   * 64 PGs 15,564 -> 15,535).
   */
  private pending: Pending | null = null;
  /**
   * The highest complete LSN (0: none). While nothing waits every held record is complete, so it
   * is the last held record's LSN, 0 when none is held: hasHoles and appendCompleteRun read it so.
   */
  private completeMax: Lsn = 0;
  /** The tick of the last coalesce given one (-1: none): coalesce's busy test. */
  private coalescedAt = -1;
  /**
   * The tick from which coalesce compacts the log in place for YOUNG_TICKS (-1: never): the
   * tick it last made the log a fresh copy (young for that long), or a quiet coalesce (see
   * coalesce).
   */
  private inPlaceSince = -1;

  private constructor(writer: NodeId, blank: boolean, incarnation: number) {
    assert(incarnation >= 1, 'incarnations start at 1');
    this.writer = writer;
    this.blank = blank;
    this.incarnation = incarnation;
  }

  /** Unsealed and empty; `previous` is the segment it replaces on that node, if any. */
  static empty(writer: NodeId, blank: boolean, previous?: Segment): Segment {
    return new Segment(writer, blank, (previous?.incarnation ?? 0) + 1);
  }

  /** The volume is created sealed at epoch 1, every segment empty and known to be so. */
  static initial(writer: NodeId): Segment {
    const seg = Segment.empty(writer, false);
    seg.epoch = 1;
    seg.sealedEpoch = 1;
    seg.membership = 1;
    return seg;
  }

  /** SCL: the highest LSN up to which this segment holds every record of its PG. */
  get scl(): Lsn {
    return Math.max(this.gcScl, this.completeMax);
  }

  /** Records above the SCL: the segment knows it has holes below them. */
  hasHoles(): boolean {
    // Nothing waits: every held record is complete (see pending), the last one too, so the SCL is at
    // or above it. One load where the last record's LSN took a dozen (whole() runs on every
    // acknowledgement and after every coalesce).
    if (this.pending === null) return false;
    const n = this.count;
    return n > 0 && this.log[n - 1]!.lsn > this.scl;
  }

  /**
   * Sealed, not blank, no holes: gossip has nothing to do for it. Only a change that work sets
   * already track (a persist into it, a seal, a coalesce, a reset, a membership write) can end
   * that, so a whole segment need not be put in gossip work (gossip would only drop it).
   */
  whole(): boolean {
    return this.sealedEpoch !== 0 && !this.blank && !this.hasHoles();
  }

  get size(): number {
    return this.count;
  }

  /**
   * Appends a record at log[count], growing the list only when full; its completeness flag too
   * while flags are kept (see pending).
   */
  private push(r: RedoRecord, complete: boolean): void {
    if (this.log === NO_RECORDS_HELD) this.ownLists();
    const i = this.count++;
    if (i >= this.log.length) this.grow();
    this.log[i] = r;
    const pending = this.pending;
    if (pending === null) assert(complete, 'with no flags kept every held record is complete');
    else if (i < pending.done.length) pending.done[i] = complete;
    else pending.done.push(complete);
  }

  /**
   * This segment's own log, in place of the shared empty one (nothing held yet): room for 8
   * records (a segment holds a handful between coalesces; a JS array's first push made room for
   * 17, 152 bytes, on each of the ~79,000 segments written at 13,108 PGs). A literal of
   * undefined slots: the same elements kind as every other log list. Not 4: at 13,108 PGs every
   * written segment outgrew 4 on its second write (2 kept versions and the next write's 1-4
   * records above the last one's, not yet coalesced), so each made a list of 4 (80 bytes) and then
   * one of 8 (112), the first living until that write, so promoted, then old-space garbage. With
   * 8 from the start, a 10^5-record run's log lists (sampling heap profiler, allocations that
   * survived the young generation) 135 -> 82 bytes a record PG-local, 145 -> 84 otherwise;
   * marginal instructions per record (cachegrind) 2 PGs 8,921 -> 8,924, 64 PGs 15,809 -> 15,593.
   */
  private ownLists(): void {
    assert(this.count === 0, 'the shared empty log holds nothing');
    this.log = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
    assert(NO_RECORDS_HELD.length === 0, 'the shared empty log stays empty');
  }

  /**
   * Grows the log's room, the slot at count - 1 being added (concat: the same elements kind): by 4
   * below 16 (FOUR_EMPTY), else doubled; an empty list, as a rebuild may leave, gets room for 4.
   * By 4 while small: at 13,108 PGs with PG-local txns a segment's log peaks at 10 records (2
   * kept versions, the last write's 4 not yet coalesced and the next write's 4) and stays there,
   * so the list of 8 grew to 16 on each PG's third write (176 bytes, where 12 is 144): heap after
   * GC (scratch/heapagg.mjs, 2*10^5 PG-local records, 3.8 writes a PG) 47.8 -> 45.5 MB; marginal
   * instructions per record (cachegrind) 2 PGs 8,927 -> 8,928, 64 PGs 15,598 -> 15,596.
   */
  private grow(): void {
    const log = this.log;
    assert(this.count - 1 === log.length, 'the log grows when full');
    if (log.length === 0) {
      this.log = [undefined, undefined, undefined, undefined];
      return;
    }
    if (log.length < 16) {
      const next = log.concat(FOUR_EMPTY);
      assert(next.length === log.length + 4 && FOUR_EMPTY.length === 4, 'the log grew by 4');
      this.log = next;
      return;
    }
    const next = log.concat(log);
    for (let i = log.length; i < next.length; i++) next[i] = undefined;
    assert(next.length === 2 * log.length, 'the log doubled');
    this.log = next;
  }

  /** The flags, made (every held record complete) if none are kept: a record is about to wait. */
  private flags(): boolean[] {
    if (this.pending !== null) return this.pending.done;
    const pending = new Pending();
    for (let i = 0; i < this.count; i++) pending.done.push(true);
    this.pending = pending;
    return pending.done;
  }

  /** Whether log[i] (i below count) is complete. */
  private doneAt(i: number): boolean {
    const pending = this.pending;
    return pending === null || pending.done[i] === true;
  }

  has(lsn: Lsn): boolean {
    return this.indexOf(lsn) >= 0;
  }

  /** The record's index in the log, or -1 (appends are the common case: the last is tried first). */
  private indexOf(lsn: Lsn): number {
    const log = this.log;
    const last = this.count - 1;
    if (last < 0 || lsn > log[last]!.lsn) return -1;
    if (log[last]!.lsn === lsn) return last;
    // Then the one before: an appended record's backlink is usually the record it follows.
    if (last > 0 && log[last - 1]!.lsn === lsn) return last - 1;
    const i = lastAtOrBelowIn(log, this.count, lsn);
    return i >= 0 && log[i]!.lsn === lsn ? i : -1;
  }

  /** The records, LSN order (a copy: messages must not see later changes). */
  records(): RedoRecord[] {
    return this.log.slice(0, this.count) as RedoRecord[];
  }

  lsns(): Lsn[] {
    return this.records().map(byLsnKey);
  }

  /** The records above `lsn`, LSN order (a copy). */
  recordsAfter(lsn: Lsn): RedoRecord[] {
    return this.log.slice(lastAtOrBelowIn(this.log, this.count, lsn) + 1, this.count) as RedoRecord[];
  }

  /** Persists one record (not held yet, above the GC point, not annulled: the caller checked). */
  insert(r: RedoRecord, wakeWaiters = true): void {
    assert(r.lsn > this.gcPoint, 'nothing is persisted at or below the GC point');
    assert(r.prevPg < r.lsn, 'PG backlinks point backwards');
    // Nothing waits and the record is complete on arrival (its backlink complete, or at or below
    // the GC point): it wakes no one, so it is only placed (no flags made, as classify would end).
    const completeNow = this.pending === null && (r.prevPg <= this.gcPoint || this.isComplete(r.prevPg));
    const log = this.log;
    const n = this.count;
    const done = completeNow ? null : this.flags();
    if (n === 0 || log[n - 1]!.lsn < r.lsn) this.push(r, completeNow);
    else {
      const at = lastAtOrBelowIn(log, n, r.lsn) + 1;
      assert(at === 0 || log[at - 1]!.lsn !== r.lsn, 'one record per LSN in a segment');
      // Open a slot at `at`: append the last again, then shift [at, n - 1) up by one (the
      // flags too, when kept).
      this.push(log[n - 1]!, done === null || done[n - 1] === true);
      const moved = this.log;
      for (let i = n - 1; i > at; i--) moved[i] = moved[i - 1];
      moved[at] = r;
      if (done !== null) {
        for (let i = n - 1; i > at; i--) done[i] = done[i - 1]!;
        done[at] = false;
      }
    }
    if (completeNow) {
      if (r.lsn > this.completeMax) this.completeMax = r.lsn;
      return;
    }
    this.classify(r, wakeWaiters);
    if (this.pending !== null && this.pending.waiting.size === 0) this.pending = null;
  }

  /**
   * Persist's fast path over records[k .. end) of one message, while nothing waits: each record
   * that extends a complete log (above the GC point and every held record, its backlink at or
   * below the GC point or the last held record: no search, no waiter map) is appended while the
   * log has room; if `dropRepeats`, each that is this very object as one of the last three held
   * is passed over (a resent or duplicated record, the tail or one or two before it: before the
   * writer resent only records that had had a round trip, 199,992 of 799,992 records persisted at
   * 2 PGs in the bench; dropped as has() would, without its search, a call). The
   * log, its length and the last LSN are locals, the fields written once. Returns the index of
   * the first record it did neither with (end: none), which the caller takes through the
   * general path (which would mark an appendable one complete exactly so; a full log: insert
   * grows it). Persist calls it once per message (a run of 1-2 records in the bench) where it
   * made two inlined calls per record (tryAppendComplete, holdsNearTail), the segment's fields
   * reloaded and map-checked for each: marginal instructions per record (cachegrind) 2 PGs
   * 12,074 -> 11,898, 64 PGs 23,200 -> 23,259 (a record a message there, so little to gain).
   */
  appendCompleteRun(records: readonly RedoRecord[], k: number, end: number, dropRepeats: boolean): number {
    if (this.pending !== null) return k;
    const gcPoint = this.gcPoint;
    const log = this.log;
    const room = log.length;
    const start = this.count;
    let count = start;
    // The last held LSN, which is completeMax (nothing waits, so every held record is complete;
    // 0 when none is held, a backlink at or below the GC point anyway): a field's load, not the
    // last record's. The floor a record must be above.
    let tail = this.completeMax;
    let floor = tail > gcPoint ? tail : gcPoint;
    let i = k;
    for (; i < end; i++) {
      const r = records[i]!;
      if (r.lsn > floor && (r.prevPg <= gcPoint || r.prevPg === tail)) {
        if (count === room) break;
        log[count++] = r;
        tail = r.lsn;
        floor = tail;
      } else if (!(dropRepeats && ((count > 0 && log[count - 1] === r) || (count > 1 && log[count - 2] === r) || (count > 2 && log[count - 3] === r)))) break;
    }
    if (count > start) {
      this.count = count;
      // Ascending LSNs above the old tail: the last appended is the highest.
      this.completeMax = tail;
    }
    return i;
  }

  /** A seal: drops every record the ranges annul, then holds those ranges. */
  sealWith(ranges: readonly TruncationRange[]): void {
    this.ranges = [...ranges];
    const held = this.records();
    if (held.some((r) => recordAnnulled(ranges, r))) this.rebuild(held.filter((r) => !recordAnnulled(ranges, r)));
  }

  /** Adopts a coalesced base: the segment holds the coalesced log up to it. */
  adoptBase(base: Lsn): void {
    assert(base > this.gcPoint, 'a base only moves the GC point up');
    this.gcPoint = base;
    this.gcScl = Math.max(this.gcScl, base);
    this.pgmrpl = Math.max(this.pgmrpl, base);
    this.rebuild(this.records());
  }

  /**
   * Coalesce at `point`: of the records at or below it keep each page's newest version visible
   * there and versions committed above it; commit records, older versions and annulled ones go.
   * `now` is the tick (-1: unknown), which only chooses where the log is compacted (see below).
   */
  coalesce(point: Lsn, now = -1): void {
    assert(point > this.gcPoint, 'GC moves forward');
    assert(this.scl >= point, 'GC only where the segment is complete');
    // Walk down from the last record at or below the point: the first visible write met of each
    // page is its newest version there. Which records stay is noted, then the log is compacted
    // in one ascending pass (no scratch list of records to fill and empty: at 64 PGs a segment
    // coalesces after nearly every write to it, over a handful).
    const log = this.log;
    const count = this.count;
    // The last record at or below the point, found walking down from the tail (no binary search:
    // the records above the point are a few, 1-5 in the bench, and the compaction below moves
    // each of them anyway, so the walk never costs more than that). Marginal instructions per
    // record (cachegrind): 64 PGs 23,777 -> 23,660, 2 PGs 12,134 -> 12,123.
    let end = count - 1;
    while (end >= 0 && log[end]!.lsn > point) end--;
    // No truncation range (the steady state) and at most 31 records at or below the point (2-9
    // at 2 and 64 PGs): the kept ones are the bits of one integer (keptBits), not bytes of a
    // scratch column (keptFlags), each a store with its bounds check. Marginal instructions per
    // record (cachegrind), with the log field stored only on a copy (below): 2 PGs 12,666 ->
    // 12,242, 64 PGs 25,492 -> 24,053, 13,108 PGs 32,878 -> 30,879.
    const ranges = this.ranges;
    const bits = end < 31 && ranges.length === 0 ? keptBits(log, end, point) : -1;
    const small = bits >= 0;
    if (!small) keptFlags(log, end, point, ranges);
    // The kept records, then the records above the point, in LSN order; n <= i throughout.
    // A busy segment (coalesced within BUSY_COALESCE_TICKS) compacts into a fresh list of the
    // same room: young, and replaced again by the next coalesce while still young, so these
    // stores and persist's appends until then make no write-barrier call (into a long-lived list,
    // in old space, each store of a young record does: ~12 a record at 2 PGs, by callgrind). A
    // quiet one compacts in place: at 13,108 PGs a list lives until the PG's next write, ~4,400
    // ticks, is promoted, and fresh lists were old-space garbage (+6% instructions there).
    // A list this compaction copied within YOUNG_TICKS is still young (see there): compacted in
    // place, it makes no write-barrier call either, and no copy is made (CloneFastJSArray, ~100
    // instructions, on every coalesce of a busy segment). After a quiet coalesce the busy ones that
    // follow within YOUNG_TICKS compact in place too: at 13,108 PGs a write's GC points coalesce a
    // segment twice, 2 ticks apart, once in three writes, and the second copied the log into a
    // list that lived until the PG's next write (~13,000 ticks), so was promoted, the old one left
    // as old-space garbage (352 of ~3,000 bytes allocated a txn). At 64 PGs a segment coalesces
    // 126, 64 and 2 ticks apart, so no longer copies either (allocation 3,009 -> 2,662 bytes a txn,
    // marginal instructions per record unchanged); at 2 PGs it still does. (A busy segment's
    // last quiet coalesce set inPlaceSince, so it is never -1 there.)
    let copy = false;
    if (now >= 0) {
      const at = this.coalescedAt;
      if (at < 0 || now - at > BUSY_COALESCE_TICKS) this.inPlaceSince = now;
      else if (now - this.inPlaceSince > YOUNG_TICKS) {
        copy = true;
        this.inPlaceSince = now;
      }
    }
    this.coalescedAt = now;
    // The copy holds the same records, so the compaction reads and writes one list (in place or
    // the copy): a second list's checks on every move were ~8 instructions.
    const next = copy ? log.slice() : log;
    // The kept records before the first dropped one are in place already (in `next` too, a copy):
    // not stored again, as each store of a young record into an old list is a write-barrier call.
    // (With bits, n is their trailing ones: the index of the lowest clear bit, ~bits & (bits + 1).)
    let n = 0;
    if (small) n = 31 - Math.clz32(~bits & (bits + 1));
    else while (n <= end && keepScratch[n] === 1) n++;
    if (n <= end) {
      if (small) {
        for (let i = n + 1; i <= end; i++) if (((bits >>> i) & 1) === 1) next[n++] = next[i]!;
      } else {
        const keep = keepScratch;
        for (let i = n + 1; i <= end; i++) if (keep[i] === 1) next[n++] = next[i]!;
      }
      for (let i = end + 1; i < count; i++) next[n++] = next[i]!;
      // The slots past the kept records are emptied (no record kept alive), never trimmed (see log).
      for (let i = n; i < count; i++) next[i] = undefined;
      this.count = n;
    }
    assert(n <= count, 'coalescing only drops records');
    // Stored only when a copy: the field of a long-lived segment, so storing the (young) list into
    // it again was a write-barrier call on every coalesce of a busy segment.
    if (copy) this.log = next;
    this.gcScl = this.scl;
    this.gcPoint = point;
    if (this.pending !== null) return this.rebuild(null);
    // Nothing waited, so every record was complete, and each kept one still is (at or below the
    // point, its backlink there, or its backlink kept and complete): the rebuild's result, as is.
    // The last record was the highest complete one, so with any record above the point kept (the
    // last among them), completeMax stands.
    assert(this.pending === null, 'no flags are kept while nothing waits');
    if (end === count - 1) this.completeMax = n > 0 ? next[n - 1]!.lsn : 0;
  }

  /**
   * The page's value at a read point: the visible write with the highest LSN, else 0. The log is
   * walked down for the page's writes: no per-page index is kept (a Map of lists built on the
   * first read after each change, and a field on every segment: 78,648 made at 13,108 PGs), as
   * coalescing keeps a log to a handful of records. Heap after GC (scratch/heapagg.mjs, 2*10^5
   * PG-local records at 13,108 PGs) 45.5 -> 44.9 MB; marginal instructions per record
   * (cachegrind, no reads) 2 PGs 8,928 -> 8,917, 64 PGs 15,596 -> 15,564 (the index's
   * invalidation on every change is gone).
   */
  pageValueAt(page: number, readPoint: Lsn): number {
    const log = this.log;
    for (let i = this.count - 1; i >= 0; i--) {
      const r = log[i]!;
      if (r.page === page && visibleAt(this.ranges, r, readPoint)) return r.value;
    }
    return 0;
  }

  /** Versions at or below the read point whose commit is above it (not annulled), LSN order (the log walked up, as pageValueAt). */
  pendingVersions(page: number, readPoint: Lsn): PendingVersion[] {
    const out: PendingVersion[] = [];
    const log = this.log;
    for (let i = 0; i < this.count; i++) {
      const r = log[i]!;
      if (r.lsn > readPoint) break;
      if (r.page === page && r.commitLsn > readPoint && !recordAnnulled(this.ranges, r) && !annulledBy(this.ranges, r.commitLsn, r.epoch)) out.push(versionOf(r));
    }
    return out;
  }

  private isComplete(lsn: Lsn): boolean {
    const i = this.indexOf(lsn);
    return i >= 0 && this.doneAt(i);
  }

  /** `wakeWaiters` is false only for mutant 'scl-ignores-late-predecessor' (properties/mutants.ts). */
  private classify(r: RedoRecord, wakeWaiters: boolean): void {
    assert(r.prevPg < r.lsn, 'PG backlinks point backwards');
    if (r.lsn <= this.gcPoint || r.prevPg <= this.gcPoint || this.isComplete(r.prevPg)) this.markComplete(r.lsn, wakeWaiters);
    else {
      // (insert made the flags, so pending is there.)
      const waiting = this.pending!.waiting;
      const list = waiting.get(r.prevPg);
      if (list === undefined) waiting.set(r.prevPg, [r.lsn]);
      else list.push(r.lsn);
    }
  }

  /** Marks a record complete, and every record waiting on it, transitively. */
  private markComplete(lsn: Lsn, wakeWaiters: boolean): void {
    // (markOne found flags kept, so pending is there; an empty map: nothing to wake.)
    if (this.markOne(lsn) || this.pending!.waiting.size === 0) return;
    const waiting = this.pending!.waiting;
    const stack = [lsn];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x !== lsn && this.markOne(x)) continue;
      const next = waiting.get(x);
      if (next === undefined || !wakeWaiters) continue;
      waiting.delete(x);
      for (const y of next) stack.push(y);
    }
    if (waiting.size === 0) this.pending = null;
  }

  /** Flags one held record complete; true if it already was. */
  private markOne(lsn: Lsn): boolean {
    const i = this.indexOf(lsn);
    assert(i >= 0, 'only held records are complete');
    const pending = this.pending;
    if (pending === null || pending.done[i] === true) return true;
    pending.done[i] = true;
    if (lsn > this.completeMax) this.completeMax = lsn;
    return false;
  }

  /**
   * Flags rebuilt from scratch. In LSN order nothing can wait on a record before it is classified
   * (backlinks point backwards), so each is complete exactly when its backlink is, which is known
   * by then: the previous record (the common case, no search) or found by binary search.
   */
  private rebuild(records: RedoRecord[] | null): void {
    // A new list of records (a seal or a base), or the log as it stands (null: after a coalesce).
    if (records !== null) {
      this.log = records;
      this.count = records.length;
    }
    const log = this.log;
    const n = this.count;
    // Flags while rebuilding (isComplete reads them); dropped at the end if nothing waits.
    const pending = this.pending ?? new Pending();
    const done = pending.done;
    while (done.length < n) done.push(false);
    for (let i = 0; i < n; i++) done[i] = false;
    const waiting = pending.waiting;
    waiting.clear();
    this.pending = pending;
    this.completeMax = 0;
    const gcPoint = this.gcPoint;
    for (let i = 0; i < n; i++) {
      const r = log[i]!;
      const prev = r.prevPg;
      assert(prev < r.lsn, 'PG backlinks point backwards');
      if (r.lsn <= gcPoint || prev <= gcPoint || (i > 0 && log[i - 1]!.lsn === prev ? done[i - 1] === true : this.isComplete(prev))) {
        done[i] = true;
        if (r.lsn > this.completeMax) this.completeMax = r.lsn;
      } else {
        const list = waiting.get(prev);
        if (list === undefined) waiting.set(prev, [r.lsn]);
        else list.push(r.lsn);
      }
    }
    if (waiting.size === 0) this.pending = null;
  }
}

/**
 * A segment's completeness state while some record waits: per log index (parallel to the log,
 * meaningful below its count) whether the record is complete, and the records whose PG backlink
 * is not (yet) complete, keyed by that backlink.
 */
class Pending {
  readonly done: boolean[] = [];
  readonly waiting = new Map<Lsn, Lsn[]>();
}
