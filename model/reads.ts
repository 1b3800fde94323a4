// Reads, shared by the writer and the replicas: a read takes one read point, serves each page
// from the node's cache or from one segment that covers the read point, and hedges to another
// covering segment when no answer comes within hedgeTicks. No quorum reads in normal operation.

import type { Draft } from 'immer';
import type { Ctx } from './network.js';
import { mod, send } from './network.js';
import type { CachedPage, PendingPageRead, PendingRead } from './state.js';
import type { Lsn, Message, NodeId, PendingVersion } from './types.js';
import { pgOfPage } from './types.js';

/** The part of a compute node's state that reads use. */
export interface Reader {
  reads: PendingRead[];
  cache: CachedPage[];
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

/** The cached page's value at a read point (and the page becomes most recently used), or null. */
export function cacheLookup(cache: Draft<CachedPage[]>, page: number, readPoint: Lsn): number | null {
  const i = cache.findIndex((c) => c.page === page);
  if (i < 0 || cache[i]!.asOf > readPoint) return null;
  const [entry] = cache.splice(i, 1);
  cache.push(entry!);
  return visibleIn(entry as CachedPage, readPoint);
}

export function cacheInsert(cache: Draft<CachedPage[]>, capacity: number, entry: CachedPage): void {
  if (capacity === 0) return;
  const i = cache.findIndex((c) => c.page === entry.page);
  if (i >= 0 && cache[i]!.asOf >= entry.asOf) return;
  if (i >= 0) cache.splice(i, 1);
  cache.push(entry as Draft<CachedPage>);
  if (cache.length > capacity) cache.shift();
}

/** Adds a version to a cached page (the writer's own writes, a replica's applied stream). */
export function cacheApply(cache: Draft<CachedPage[]>, page: number, version: PendingVersion): void {
  const entry = cache.find((c) => c.page === page);
  if (entry !== undefined) entry.versions.push(version);
}

export function issueRead(
  ctx: Ctx, at: NodeId, r: Draft<Reader>, epoch: number, readPoint: Lsn, pages: readonly number[], route: Route,
): void {
  const s = ctx.s;
  const read = s.world.readCount++;
  const pageCount = s.control.pgs.length * ctx.config.pagesPerPg;
  const unique = [...new Set(pages.map((p) => mod(p, pageCount)))];
  const parts: PendingPageRead[] = unique.map((page) => {
    const pg = pgOfPage(ctx.config, page);
    const cached = cacheLookup(r.cache, page, readPoint);
    if (cached !== null) return { page, pg, asked: null, askedAt: s.world.time, value: cached, from: 'cache' };
    // No segment known to cover the read point yet (a PG just added): ask on a later tick.
    const to = route(pg, readPoint, read, null);
    if (to !== null) send(ctx, { kind: 'readReq', from: at, to, epoch, pg, read, page, readPoint });
    return { page, pg, asked: to, askedAt: s.world.time, value: null, from: null };
  });
  r.reads.push({ read, at, readPoint, pages: parts });
  finishReads(ctx, r);
}

/** A segment answered; returns the page read so the caller may cache it. */
export function takeReadResp(ctx: Ctx, r: Draft<Reader>, msg: Extract<Message, { kind: 'readResp' }>): { readPoint: Lsn } | null {
  const read = r.reads.find((x) => x.read === msg.read);
  const part = read?.pages.find((p) => p.page === msg.page && p.value === null);
  if (read === undefined || part === undefined) return null;
  if (msg.tooOld) {
    // Storage has coalesced past this read point: the versions it needs are gone.
    ctx.out.push({ kind: 'readRefused', read: read.read, at: read.at, reason: 'tooOld' });
    r.reads.splice(r.reads.findIndex((y) => y.read === read.read), 1);
    return null;
  }
  part.value = msg.value;
  part.from = msg.from;
  const readPoint = read.readPoint;
  finishReads(ctx, r);
  return { readPoint };
}

/** The lowest read point the reader still uses: its current one, or an older pending read's. */
export function lowestReadPoint(r: { readonly reads: readonly PendingRead[] }, current: Lsn): Lsn {
  return Math.min(current, ...r.reads.map((x) => x.readPoint));
}

export function finishReads(ctx: Ctx, r: Draft<Reader>): void {
  for (const x of [...r.reads]) {
    if (x.pages.some((p) => p.value === null)) continue;
    ctx.out.push({
      kind: 'readOk', read: x.read, at: x.at, readPoint: x.readPoint,
      values: x.pages.map((p) => ({ page: p.page, value: p.value!, from: p.from! })),
    });
    r.reads.splice(r.reads.findIndex((y) => y.read === x.read), 1);
  }
}

/**
 * A page read unanswered for hedgeTicks ticks is asked again, of another covering segment if any;
 * one that found no covering segment yet tries again.
 */
export function hedgeReads(ctx: Ctx, at: NodeId, r: Draft<Reader>, epoch: number, route: Route): void {
  const now = ctx.s.world.time;
  for (const x of r.reads) {
    for (const p of x.pages) {
      if (p.value !== null || (p.asked !== null && now - p.askedAt < ctx.config.hedgeTicks)) continue;
      const to = route(p.pg, x.readPoint, x.read, p.asked) ?? p.asked;
      if (to === null) continue;
      if (p.asked !== null && to !== p.asked) ctx.out.push({ kind: 'hedged', read: x.read, page: p.page, from: p.asked, to });
      p.asked = to;
      p.askedAt = now;
      send(ctx, { kind: 'readReq', from: at, to, epoch, pg: p.pg, read: x.read, page: p.page, readPoint: x.readPoint });
    }
  }
}

/** Members in rotation order: start at the read's spot, or just after `after`. */
export function rotation(members: readonly NodeId[], read: number, after: NodeId | null): NodeId[] {
  const start = after === null ? mod(read, members.length) : members.indexOf(after) + 1;
  return members.map((_, i) => members[(start + i) % members.length]!).filter((m) => m !== after);
}
