// A set of small non-negative integers (PG numbers) that need background work, iterated in
// ascending order: ticks walk the PGs with something to do instead of every PG of the volume.
//
// Method: membership in a growable byte array plus an unordered list; `sorted` compacts the
// list (dropping deleted entries) and sorts it, so add/delete are O(1) and a walk costs
// O(k log k) for k members. Deleting during a walk is allowed (the walk uses a copy).

import { assert } from './assert.js';

export class WorkSet {
  private member = new Uint8Array(16);
  private list: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(x: number): boolean {
    return x < this.member.length && this.member[x] === 1;
  }

  add(x: number): void {
    assert(Number.isInteger(x) && x >= 0, 'work set members are non-negative integers');
    if (x >= this.member.length) {
      const grown = new Uint8Array(Math.max(x + 1, this.member.length * 2));
      grown.set(this.member);
      this.member = grown;
    }
    if (this.member[x] === 1) return;
    this.member[x] = 1;
    this.list.push(x);
    this.count++;
  }

  delete(x: number): void {
    if (!this.has(x)) return;
    this.member[x] = 0;
    this.count--;
  }

  /** The members, ascending (a fresh array: the caller may add or delete while walking it). */
  sorted(): number[] {
    const live: number[] = [];
    for (const x of this.list) if (this.member[x] === 1 && live[live.length - 1] !== x) live.push(x);
    // The list may hold a member twice (deleted, then added again): dedupe after sorting.
    live.sort((a, b) => a - b);
    const out: number[] = [];
    for (const x of live) if (out[out.length - 1] !== x) out.push(x);
    this.list = out.slice();
    assert(out.length === this.count, 'the work set list matches its count');
    return out;
  }
}
