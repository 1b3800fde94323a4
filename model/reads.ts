// Reads, shared by the writer and the replicas: a read takes one read point, serves each page
// from the node's cache or from one segment that covers the read point, and hedges to another
// covering segment when no answer comes within hedgeTicks. No quorum reads in normal operation.

import type { Ctx } from './network.js';
import { mod, nextRead, send } from './network.js';
import type { CachedPage, PendingPageRead, PendingRead } from './state.js';
import type { Lsn, Message, NodeId, PendingVersion } from './types.js';
import { pgOfPage } from './types.js';
import { anyOf, appended, eachOf, filterOf, frozenList, indexIn, withAt, withoutAt } from './frozen.js';

/** The part of a compute node's state that reads use. */
export interface Reader {
  reads: readonly PendingRead[];
  cache: readonly CachedPage[];
}

/** Picks a segment of `pg` covering the read point, starting at a spot chosen by the read number, after `after`. */
export type Route = (pg: number, readPoint: Lsn, read: number, after: NodeId | null) => NodeId | null;

export function visibleIn(entry: CachedPage, readPoint: Lsn): number {
  let best: PendingVersion | null = null;
  for (const v of entry.versions) {
    if (v.commitLsn <= readPoint && v.lsn <= readPoint && (best === null || v.commitLsn > best.commitLsn || (v.commitLsn === best.commitLsn && v.lsn > best.lsn))) best = v;
  }
  return best === null ? entry.value : best.value;
}

// A reader's pending reads and its cache are values: lists of frozen entries, read plainly and
// replaced whole by new frozen lists on change (so immer never drafts an entry).

function cacheOf(r: Reader): readonly CachedPage[] {
  return r.cache as readonly CachedPage[];
}

function readsOf(r: { readonly reads: readonly PendingRead[] }): readonly PendingRead[] {
  return r.reads;
}

function setCache(r: Reader, cache: readonly CachedPage[]): void {
  r.cache = frozenList(cache as CachedPage[]);
}

function setReads(r: Reader, reads: readonly PendingRead[]): void {
  r.reads = frozenList(reads as PendingRead[]);
}

/** The cached page's value at a read point (and the page becomes most recently used), or null. */
export function cacheLookup(r: Reader, page: number, readPoint: Lsn): number | null {
  const cache = cacheOf(r);
  const i = indexIn(cache, (c) => c.page === page);
  if (i < 0 || cache[i]!.asOf > readPoint) return null;
  const entry = cache[i]!;
  setCache(r, [...withoutAt(cache, i), entry]);
  return visibleIn(entry, readPoint);
}

export function cacheInsert(r: Reader, capacity: number, entry: CachedPage): void {
  if (capacity === 0) return;
  const cache = cacheOf(r);
  const i = indexIn(cache, (c) => c.page === entry.page);
  if (i >= 0 && cache[i]!.asOf >= entry.asOf) return;
  const next = [...withoutAt(cache, i), Object.freeze({ ...entry, versions: frozenList(entry.versions.map((v) => Object.freeze({ ...v }))) })];
  setCache(r, next.length > capacity ? next.slice(1) : next);
}

/**
 * Folds each cached page's versions committed at or below `point` (the reader's lowest read point
 * in use) into its value as of `point`: reads at or above it see exactly what they saw, and a hot
 * cached page keeps the versions above it only, not one per write since it was read. Every
 * version of an entry commits above its asOf, so an entry read at or above the point is kept.
 */
export function cacheFold(r: Reader, point: Lsn): void {
  const cache = cacheOf(r);
  let next = cache;
  eachOf(cache, (entry, i) => {
    if (entry.asOf >= point || !anyOf(entry.versions, (v) => v.commitLsn <= point)) return;
    const folded = Object.freeze({ page: entry.page, asOf: point, value: visibleIn(entry, point), versions: frozenList(filterOf(entry.versions, (v) => v.commitLsn > point)) });
    next = withAt(next, i, folded);
  });
  if (next !== cache) setCache(r, next);
}

/** Adds a version to a cached page (the writer's own writes, a replica's applied stream). */
export function cacheApply(r: Reader, page: number, version: PendingVersion): void {
  const cache = cacheOf(r);
  const i = indexIn(cache, (c) => c.page === page);
  if (i < 0) return;
  const entry = cache[i]!;
  setCache(r, withAt(cache, i, Object.freeze({ ...entry, versions: appended(entry.versions, Object.freeze({ ...version })) })));
}

export function issueRead(
  ctx: Ctx, at: NodeId, r: Reader, epoch: number, readPoint: Lsn, pages: readonly number[], route: Route,
): void {
  const s = ctx.s;
  const read = nextRead(ctx);
  const time = s.world.time;
  const pageCount = s.control.pgs.length * ctx.config.pagesPerPg;
  const unique = [...new Set(pages.map((p) => mod(p, pageCount)))];
  const parts: PendingPageRead[] = unique.map((page) => {
    const pg = pgOfPage(ctx.config, page);
    const cached = cacheLookup(r, page, readPoint);
    if (cached !== null) return Object.freeze({ page, pg, asked: null, askedAt: time, value: cached, from: 'cache' });
    // No segment known to cover the read point yet (a PG just added): ask on a later tick.
    const to = route(pg, readPoint, read, null);
    if (to !== null) send(ctx, { kind: 'readReq', from: at, to, epoch, pg, read, page, readPoint });
    return Object.freeze({ page, pg, asked: to, askedAt: time, value: null, from: null });
  });
  setReads(r, [...readsOf(r), Object.freeze({ read, at, readPoint, pages: frozenList(parts) })]);
  finishReads(ctx, r);
}

/** A segment answered; returns the page read so the caller may cache it. */
export function takeReadResp(ctx: Ctx, r: Reader, msg: Extract<Message, { kind: 'readResp' }>): { readPoint: Lsn } | null {
  const reads = readsOf(r);
  const i = indexIn(reads, (x) => x.read === msg.read);
  const read = reads[i];
  const j = read === undefined ? -1 : indexIn(read.pages, (p) => p.page === msg.page && p.value === null);
  if (read === undefined || j < 0) return null;
  if (msg.tooOld) {
    // Storage has coalesced past this read point: the versions it needs are gone.
    ctx.out.push({ kind: 'readRefused', read: read.read, at: read.at, reason: 'tooOld' });
    setReads(r, withoutAt(reads, i));
    return null;
  }
  const pages = withAt(read.pages, j, Object.freeze({ ...read.pages[j]!, value: msg.value, from: msg.from }));
  setReads(r, withAt(reads, i, Object.freeze({ ...read, pages })));
  finishReads(ctx, r);
  return { readPoint: read.readPoint };
}

/** The lowest read point the reader still uses: its current one, or an older pending read's. */
export function lowestReadPoint(r: { readonly reads: readonly PendingRead[] }, current: Lsn): Lsn {
  return Math.min(current, ...readsOf(r).map((x) => x.readPoint));
}

/** Every page of the read is answered. */
function done(x: PendingRead): boolean {
  return !anyOf(x.pages, (p) => p.value === null);
}

/** Every read with all its pages answered is done: reported, in issue order, and forgotten. */
export function finishReads(ctx: Ctx, r: Reader): void {
  const reads = readsOf(r);
  if (!anyOf(reads, done)) return;
  for (const x of reads) {
    if (!done(x)) continue;
    ctx.out.push({
      kind: 'readOk', read: x.read, at: x.at, readPoint: x.readPoint,
      values: x.pages.map((p) => ({ page: p.page, value: p.value!, from: p.from! })),
    });
  }
  setReads(r, filterOf(reads, (x) => !done(x)));
}

/**
 * A page read unanswered for hedgeTicks ticks is asked again, of another covering segment if any;
 * one that found no covering segment yet tries again.
 */
export function hedgeReads(ctx: Ctx, at: NodeId, r: Reader, epoch: number, route: Route): void {
  const now = ctx.s.world.time;
  const reads = readsOf(r);
  let next = reads;
  eachOf(reads, (x, i) => {
    let pages = x.pages;
    eachOf(x.pages, (p, j) => {
      if (p.value !== null || (p.asked !== null && now - p.askedAt < ctx.config.hedgeTicks)) return;
      const to = route(p.pg, x.readPoint, x.read, p.asked) ?? p.asked;
      if (to === null) return;
      if (p.asked !== null && to !== p.asked) ctx.out.push({ kind: 'hedged', read: x.read, page: p.page, from: p.asked, to });
      pages = withAt(pages, j, Object.freeze({ ...p, asked: to, askedAt: now }));
      send(ctx, { kind: 'readReq', from: at, to, epoch, pg: p.pg, read: x.read, page: p.page, readPoint: x.readPoint });
    });
    if (pages !== x.pages) next = withAt(next, i, Object.freeze({ ...x, pages }));
  });
  if (next !== reads) setReads(r, next);
}

/** Members in rotation order: start at the read's spot, or just after `after`. */
export function rotation(members: readonly NodeId[], read: number, after: NodeId | null): NodeId[] {
  const start = after === null ? mod(read, members.length) : members.indexOf(after) + 1;
  return members.map((_, i) => members[(start + i) % members.length]!).filter((m) => m !== after);
}
