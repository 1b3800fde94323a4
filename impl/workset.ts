// A set of small non-negative integers (PG numbers) that need background work, iterated in
// ascending order: ticks walk the PGs with something to do instead of every PG of the volume.
//
// Method: membership in a growable byte array plus a list; add/delete are O(1) (a delete only
// clears the flag), and `sorted` compacts and sorts the list in place only when an add broke the
// order or a delete left a dead entry, so a walk costs O(k) for k members (O(k log k) after
// out-of-order adds).

import { assert as assert_, sortSmallPrefix } from './assert.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;

export class WorkSet {
  private member = new Uint8Array(16);
  /**
   * The members (and deleted or duplicate entries while messy): list[0 .. listLength). The list
   * only grows (shrinking a JS array trims its backing store, and the next add allocated anew).
   */
  private list: number[] = [];
  private listLength = 0;
  private count = 0;
  /** Every member is below it: the end of sorted()'s flag scan (at most member.length). */
  private bound = 0;
  /** The list may be out of order or hold deleted or duplicate entries. */
  private messy = false;

  get size(): number {
    return this.count;
  }

  has(x: number): boolean {
    // A typed array read past its end is undefined: no bounds test of our own, so has stays
    // under V8's small-function size and is inlined wherever it is called.
    return this.member[x] === 1;
  }

  add(x: number): void {
    // The rare parts (growing the flags, starting the list over) are out of line: small, add is
    // inlined into its hot callers (storage's persist, at 64 PGs, called it ~6 times a record;
    // marginal instructions per record, cachegrind: 2 PGs 12,348 -> 12,326, 64 PGs 24,578 -> 24,355).
    if (x >= this.member.length) this.grow(x);
    if (this.member[x] === 1) return;
    if (this.count === 0) this.restart();
    this.member[x] = 1;
    this.count++;
    if (x >= this.bound) this.bound = x + 1;
    const list = this.list;
    const n = this.listLength;
    if (n > 0 && list[n - 1]! >= x) this.messy = true;
    if (n < list.length) list[n] = x;
    else list.push(x);
    this.listLength = n + 1;
  }

  /** Room in the flags for x. */
  private grow(x: number): void {
    assert(Number.isInteger(x) && x >= 0, 'work set members are non-negative integers');
    const grown = new Uint8Array(Math.max(x + 1, this.member.length * 2));
    grown.set(this.member);
    this.member = grown;
  }

  /**
   * Empty (every entry deleted, as a walk that drops each member it visits leaves it): the
   * list starts over, in order, instead of piling new members after the dead entries, which
   * made every next sorted() a compaction or a flag scan (at 64 PGs, a scan of 64 flags per
   * node per tick). A walk is never cut short by this: walkers delete only the member they
   * visit, so the set is empty only once the last entry was visited.
   */
  private restart(): void {
    this.listLength = 0;
    this.messy = false;
    this.bound = 0;
  }

  delete(x: number): void {
    if (!this.has(x)) return;
    this.member[x] = 0;
    this.count--;
    this.messy = true;
  }

  /**
   * Compacts and sorts the list in place; returns the number of members n, which at(0 .. n) then
   * gives ascending. Adding or deleting during such a walk is allowed (an add appends past n, a
   * delete only clears the member flag); the next call compacts.
   */
  sorted(): number {
    if (!this.messy) return this.listLength;
    this.messy = false;
    const list = this.list;
    if (this.count === 0) {
      this.listLength = 0;
      this.bound = 0;
      return 0;
    }
    // A list about as long as the flags up to the highest member (a busy set of a small
    // volume): read the members off the flags instead, ascending and unique with no sort (the
    // list holds at least count). The scan ends at `bound`, not at the flags' room (16 at the
    // least: at 2 PGs it read 16 flags for members 0 and 1).
    const member = this.member;
    const bound = this.bound;
    if (this.listLength * 4 >= bound) {
      let k = 0;
      let top = 0;
      for (let x = 0; x < bound; x++) {
        if (member[x] === 1) {
          list[k++] = x;
          top = x + 1;
        }
      }
      this.listLength = k;
      this.bound = top;
      assert(k === this.count, 'the work set list matches its count');
      return k;
    }
    // Drop deleted entries first (a member deleted, then added again, appears again at the end).
    let n = 0;
    for (let i = 0; i < this.listLength; i++) {
      const x = list[i]!;
      if (this.member[x] === 1) list[n++] = x;
    }
    // Insertion sort: the list is short or nearly sorted (a few members re-added at the end).
    if (n > 64 && inversionsExceed(list, n, 64)) sortPrefix(list, n);
    else sortSmallPrefix(list, n);
    // Duplicates (deleted and re-added twice before a walk) are now adjacent.
    let m = 0;
    for (let i = 0; i < n; i++) if (m === 0 || list[m - 1] !== list[i]) list[m++] = list[i]!;
    this.listLength = m;
    assert(m === this.count, 'the work set list matches its count');
    return m;
  }

  /** The k-th member in the order of the last sorted() (k below what it returned). */
  at(k: number): number {
    return this.list[k]!;
  }
}

/** list[0 .. n) ascending by a general sort (the rest of the list left as it is). */
function sortPrefix(list: number[], n: number): void {
  const head = list.slice(0, n).sort((a, b) => a - b);
  for (let i = 0; i < n; i++) list[i] = head[i]!;
}

/** Whether more than `limit` adjacent pairs are out of order (then a general sort is cheaper). */
function inversionsExceed(list: readonly number[], n: number, limit: number): boolean {
  let out = 0;
  for (let i = 1; i < n; i++) if (list[i - 1]! > list[i]! && ++out > limit) return true;
  return false;
}

/**
 * A reusable scratch list of small non-negative integers with its own length: emptied by
 * resetting the count, so its backing store is kept (a JS array popped to empty drops its store,
 * and the next push allocates a new one: one per persist and per transaction shipped).
 */
export class IntScratch {
  private data = new Int32Array(16);
  length = 0;

  push(x: number): void {
    // Growing is out of line: push stays small enough to be inlined where it was a call
    // (newAnswer's, inlined into the ack path, ~0.85 a record at 2 PGs by callgrind). Marginal
    // instructions per record, cachegrind: 2 PGs 10,502 -> 10,480, 64 PGs 18,036 -> 17,927.
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = x;
  }

  private grow(): void {
    const grown = new Int32Array(this.data.length * 2);
    grown.set(this.data);
    this.data = grown;
  }

  includes(x: number): boolean {
    const data = this.data;
    for (let i = 0; i < this.length; i++) if (data[i] === x) return true;
    return false;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  /**
   * Ascending, in place (insertion sort: the list is a handful long). The Int32Array twin of
   * sortSmallPrefix, kept apart so that each stays monomorphic on its own array kind.
   */
  sort(): void {
    const xs = this.data;
    for (let i = 1; i < this.length; i++) {
      const x = xs[i]!;
      let j = i - 1;
      while (j >= 0 && xs[j]! > x) {
        xs[j + 1] = xs[j]!;
        j--;
      }
      xs[j + 1] = x;
    }
  }

  clear(): void {
    this.length = 0;
  }
}
