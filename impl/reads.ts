// Reads, shared by the writer and the replicas: one read point per read; each page is served from
// the node's page cache or from one segment that covers the read point, and hedged to another
// covering segment when no answer comes within hedgeTicks. No quorum reads in normal operation.
//
// Method: pending reads are kept in a Map by read number (insertion order is issue order) with a
// count of pages still missing, so a response finishes its read in O(1). A read is never left
// complete in the map: it completes (readOk) the moment its last page arrives or, all cached, at
// issue. The cache is a small LRU list (cachePages entries), least recently used first.

import type { Lsn, Message, NodeId, PendingVersion, RedoRecord } from '../model/types.js';
import { bug as bug_, pgOfPage as pgOfPage_ } from '../model/types.js';
import { assert as assert_, mod as mod_ } from './assert.js';
import type { Cluster } from './cluster.js';
import { versionOf as versionOf_ } from './log.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const bug: typeof bug_ = bug_;
const pgOfPage: typeof pgOfPage_ = pgOfPage_;
const assert: typeof assert_ = assert_;
const mod: typeof mod_ = mod_;
const versionOf: typeof versionOf_ = versionOf_;

export interface PageRead {
  readonly page: number;
  readonly pg: number;
  /** The segment asked last (null: served from cache, or no covering segment known yet). */
  asked: NodeId | null;
  askedAt: number;
  value: number | null;
  from: NodeId | null;
}

export interface PendingRead {
  readonly read: number;
  readonly at: NodeId;
  readonly readPoint: Lsn;
  readonly pages: readonly PageRead[];
  missing: number;
}

/** A cached page: its value at `asOf`, plus versions committed above it seen since. */
export interface CachedPage {
  readonly page: number;
  readonly asOf: Lsn;
  readonly value: number;
  readonly versions: PendingVersion[];
}

/** Picks a segment of `pg` covering the read point, starting at the read's spot, after `after`. */
export type Route = (pg: number, readPoint: Lsn, read: number, after: NodeId | null) => NodeId | null;

export class Reader {
  readonly reads = new Map<number, PendingRead>();
  cache: CachedPage[] = [];

  /** The lowest read point still used: the current one or an older pending read's. */
  lowestReadPoint(current: Lsn): Lsn {
    let low = current;
    for (const x of this.reads.values()) if (x.readPoint < low) low = x.readPoint;
    return low;
  }

  /** The cached page's value at a read point (the page becomes most recently used), or null. */
  cacheLookup(page: number, readPoint: Lsn): number | null {
    const i = this.cache.findIndex((e) => e.page === page);
    if (i < 0 || this.cache[i]!.asOf > readPoint) return null;
    const entry = this.cache[i]!;
    this.cache.splice(i, 1);
    this.cache.push(entry);
    return visibleIn(entry, readPoint);
  }

  cacheInsert(capacity: number, entry: CachedPage): void {
    if (capacity === 0) return;
    const i = this.cache.findIndex((e) => e.page === entry.page);
    if (i >= 0 && this.cache[i]!.asOf >= entry.asOf) return;
    if (i >= 0) this.cache.splice(i, 1);
    this.cache.push(entry);
    if (this.cache.length > capacity) this.cache.shift();
    assert(this.cache.length <= capacity, 'the cache keeps its capacity');
  }

  /**
   * Folds each cached page's versions committed at or below `point` (the lowest read point in
   * use) into its value as of `point` (model/reads.ts cacheFold): a hot cached page keeps the
   * versions above the point only. Entries are replaced, in place in the LRU order.
   */
  cacheFold(point: Lsn): void {
    const cache = this.cache;
    for (let i = 0; i < cache.length; i++) {
      const entry = cache[i]!;
      if (entry.asOf >= point) continue;
      if (!entry.versions.some((v) => v.commitLsn <= point)) continue;
      cache[i] = { page: entry.page, asOf: point, value: visibleIn(entry, point), versions: entry.versions.filter((v) => v.commitLsn > point) };
    }
  }

  /** Adds a version to a cached page (the writer's own writes, a replica's applied stream). */
  cacheApply(page: number, version: PendingVersion): void {
    const entry = this.cached(page);
    if (entry !== undefined) entry.versions.push(version);
  }

  /** cacheApply of a record's version, built only if the page is cached (the writer's hot path). */
  cacheApplyRecord(page: number, r: RedoRecord): void {
    const entry = this.cached(page);
    if (entry !== undefined) entry.versions.push(versionOf(r));
  }

  /** The cache entry of a page (the first, as find would), without a closure per call. */
  private cached(page: number): CachedPage | undefined {
    const cache = this.cache;
    for (let i = 0; i < cache.length; i++) if (cache[i]!.page === page) return cache[i];
    return undefined;
  }
}

/** Visible at p: the version with the highest commit LSN (then LSN) at or below p, else `value`. */
function visibleIn(entry: CachedPage, readPoint: Lsn): number {
  let best: PendingVersion | null = null;
  for (const v of entry.versions) {
    if (v.commitLsn > readPoint || v.lsn > readPoint) continue;
    if (best === null || v.commitLsn > best.commitLsn || (v.commitLsn === best.commitLsn && v.lsn > best.lsn)) best = v;
  }
  return best === null ? entry.value : best.value;
}

export function issueRead(c: Cluster, at: NodeId, r: Reader, epoch: number, readPoint: Lsn, pages: readonly number[], route: Route): void {
  const read = c.readCount++;
  const pageCount = c.control.pgs.length * c.config.pagesPerPg;
  const unique = [...new Set(pages.map((p) => mod(p, pageCount)))];
  let missing = 0;
  const parts: PageRead[] = unique.map((page) => {
    const pg = pgOfPage(c.config, page);
    const cached = r.cacheLookup(page, readPoint);
    if (cached !== null) return { page, pg, asked: null, askedAt: c.time, value: cached, from: 'cache' };
    missing++;
    // No segment known to cover the read point yet (a PG just added): ask on a later tick.
    const to = route(pg, readPoint, read, null);
    if (to !== null) c.send({ kind: 'readReq', from: at, to, epoch, pg, read, page, readPoint });
    return { page, pg, asked: to, askedAt: c.time, value: null, from: null };
  });
  assert(!r.reads.has(read), 'read numbers are unique');
  const x: PendingRead = { read, at, readPoint, pages: parts, missing };
  r.reads.set(read, x);
  finish(c, r, x);
}

/** A segment answered; returns the read point of the page read so the caller may cache it. */
export function takeReadResp(c: Cluster, r: Reader, msg: Extract<Message, { kind: 'readResp' }>): { readPoint: Lsn } | null {
  const x = r.reads.get(msg.read);
  const part = x?.pages.find((p) => p.page === msg.page && (p.value === null || bug(c.config, 'read-response-counted-twice')));
  if (x === undefined || part === undefined) return null;
  if (msg.tooOld) {
    // Storage has coalesced past this read point: the versions it needs are gone.
    c.observe({ kind: 'readRefused', read: x.read, at: x.at, reason: 'tooOld' });
    r.reads.delete(x.read);
    return null;
  }
  part.value = msg.value;
  part.from = msg.from;
  x.missing--;
  finish(c, r, x);
  return { readPoint: x.readPoint };
}

function finish(c: Cluster, r: Reader, x: PendingRead): void {
  assert(x.missing >= 0, 'a page answered twice');
  if (x.missing > 0) return;
  assert(x.pages.every((p) => p.value !== null && p.from !== null), 'a complete read has every page');
  c.observe({ kind: 'readOk', read: x.read, at: x.at, readPoint: x.readPoint, values: x.pages.map((p) => ({ page: p.page, value: p.value!, from: p.from! })) });
  r.reads.delete(x.read);
}

/**
 * A page read unanswered for hedgeTicks ticks is asked again, of another covering segment if any;
 * one that found no covering segment yet tries again.
 */
export function hedgeReads(c: Cluster, at: NodeId, r: Reader, epoch: number, route: Route): void {
  const now = c.time;
  for (const x of r.reads.values()) {
    for (const p of x.pages) {
      const waited = bug(c.config, 'hedge-timer-late') ? now - p.askedAt - 1 : now - p.askedAt;
      if (p.value !== null || (p.asked !== null && waited < c.config.hedgeTicks)) continue;
      const to = route(p.pg, x.readPoint, x.read, p.asked) ?? p.asked;
      if (to === null) continue;
      if (p.asked !== null && to !== p.asked) c.observe({ kind: 'hedged', read: x.read, page: p.page, from: p.asked, to });
      p.asked = to;
      p.askedAt = now;
      c.send({ kind: 'readReq', from: at, to, epoch, pg: p.pg, read: x.read, page: p.page, readPoint: x.readPoint });
    }
  }
}

/** Members in rotation order: start at the read's spot, or just after `after` (which is left out). */
export function rotation(members: readonly NodeId[], read: number, after: NodeId | null): NodeId[] {
  const n = members.length;
  if (n === 0) return [];
  const start = after === null ? mod(read, n) : members.indexOf(after) + 1;
  const out: NodeId[] = [];
  for (let i = 0; i < n; i++) {
    const m = members[(start + i) % n]!;
    if (m !== after) out.push(m);
  }
  return out;
}
