// The writer's watermarks, kept incrementally (the model recomputes them from scratch).
//
//   SCL   per segment: the highest reported in this epoch (acks only raise it).
//   PGCL  per PG: max(reached, the highest LSN a write quorum of the current membership reports
//         SCL >= it). Cached per PG; recomputed when an ack raises a member's SCL above it, or
//         when the PG's membership changes (ControlPlane.version tells).
//   VCL   the end of the longest prefix of the writer's log whose records all lie at or below
//         their PG's PGCL (not min PGCL). Kept as a prefix length that only advances while PGCLs
//         only rise; a membership change that lowers a PGCL (a joint quorum is harder, and
//         `reached` was not yet refreshed) rescans from the log's released point, which is rare.
//   VDL   the last consistency point inside that prefix, else the base.
//
// Scenario the rescan covers: 1. a membership change completes in controlTick, PGCL of PG 0 rises
// to 9 (an easier quorum); 2. the writer is still sealing, so `reached` is not refreshed; 3. the
// next tick begins another change, the joint quorum reports only 5: PGCL is 5 again and the VCL
// prefix must shrink to match what the model computes.

import type { Config, Lsn, Membership, NodeId } from '../model/types.js';
import { STORAGE_NODES as STORAGE_NODES_, bug as bug_, membersOf as membersOf_, quorumsFor as quorumsFor_ } from '../model/types.js';
import type { Quorum } from '../model/quorum.js';
import { assert as assert_ } from './assert.js';
import type { ControlPlane } from './control.js';
import type { WriterLog } from './writerlog.js';
import { IntScratch } from './workset.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const bug: typeof bug_ = bug_;
const membersOf: typeof membersOf_ = membersOf_;
const quorumsFor: typeof quorumsFor_ = quorumsFor_;
const assert: typeof assert_ = assert_;
const STORAGE_NODES: readonly NodeId[] = STORAGE_NODES_;

/** Storage nodes by number (STORAGE_NODES order): per-PG, per-node state is indexed by it. */
export const NODES = STORAGE_NODES.length;
/**
 * NODES as this file reads it: an exported const is read from its module cell, with a hole
 * check, at every use in optimized code; a module-private one folds to the constant (the per-PG
 * slot arithmetic runs on every ack and send; with writer.ts's own binding, marginal instructions
 * per record, cachegrind: 2 PGs 12,516 -> 12,452, 64 PGs 25,183 -> 25,000).
 */
const STRIDE: number = NODES;
const STORAGE_INDEX: ReadonlyMap<NodeId, number> = new Map(STORAGE_NODES.map((n, i) => [n, i]));

// The storage names, one module-private const each (folded to constants in optimized code;
// undefined past the end of a shorter list, which no name equals).
const S0: NodeId | undefined = STORAGE_NODES[0];
const S1: NodeId | undefined = STORAGE_NODES[1];
const S2: NodeId | undefined = STORAGE_NODES[2];
const S3: NodeId | undefined = STORAGE_NODES[3];
const S4: NodeId | undefined = STORAGE_NODES[4];
const S5: NodeId | undefined = STORAGE_NODES[5];
const S6: NodeId | undefined = STORAGE_NODES[6];
const S7: NodeId | undefined = STORAGE_NODES[7];
const S8: NodeId | undefined = STORAGE_NODES[8];

/**
 * A storage node's number; names map to numbers only at the boundary (messages, snapshots).
 * Fast path without hashing or decoding: the name compared with each storage name in turn.
 * Names are internalized strings, so after one type check each compare is a pointer compare;
 * reading the name's two characters (AZ letter and digit, then a compare to confirm) dispatched
 * on the string's representation for each (an ack's number: ~75 instructions, this ~20). Any
 * other name (or a longer list) is looked up in the map.
 */
export function storageIndex(node: NodeId): number {
  if (node === S0) return 0;
  if (node === S1) return 1;
  if (node === S2) return 2;
  if (node === S3) return 3;
  if (node === S4) return 4;
  if (node === S5) return 5;
  if (node === S6) return 6;
  if (node === S7) return 7;
  if (node === S8) return 8;
  return storageIndexByMap(node);
}

/** storageIndex's other names, out of line (the fast path alone fits the ack path's inlining). */
function storageIndexByMap(node: NodeId): number {
  const i = STORAGE_INDEX.get(node);
  assert(i !== undefined, 'per-node state is kept for storage nodes');
  return i;
}

export class Watermarks {
  /**
   * Per PG, per storage node (at pg * STRIDE + node number): the highest SCL reported in this
   * epoch, -1 for none. One flat array of small integers instead of a Map per PG.
   */
  private readonly scl: number[] = [];
  /** Per PG: the highest PGCL remembered in this epoch (a membership change never lowers it). */
  private readonly reached: Lsn[];
  /** Per PG: the quorum answer over the membership in `seen`. */
  private readonly computed: Lsn[] = [];
  /**
   * Per PG, for a k-of-n membership: how many members report an SCL above `computed` (always
   * fewer than k, else the k-th highest would be above it). Kept with `computed`, so an ack
   * counts itself in instead of rescanning the members.
   */
  private readonly above: number[] = [];
  private readonly seen: (Membership | undefined)[] = [];
  /** Per PG: the winning sets of the membership in `seen` (so an ack looks up no memo). */
  private readonly winning: (WinningSets | undefined)[] = [];
  readonly pgcl: Lsn[] = [];
  /** PGs whose PGCL may have moved since the last remember (so remember skips the others). */
  private readonly moved = new IntScratch();
  private version = -1;
  /** The log's records [0, prefix) lie at or below their PG's PGCL. */
  private prefix = 0;
  private vclCached: Lsn;
  private vdlCached: Lsn;
  /**
   * Mutant guards, read once (a cluster's config is frozen): current and advance run on every ack.
   * Tested as `=== true`: a boolean field is a tagged value to the compiler, and a plain truthiness
   * test of one is a generic ToBoolean (false, '', numbers, bigints...), the compare one instruction.
   */
  private readonly skipsGaps: boolean;
  private readonly prefixOffByOne: boolean;
  private readonly ignoresCpl: boolean;

  constructor(private readonly config: Config, private readonly log: WriterLog, pgCount: number) {
    assert(pgCount >= 1, 'a volume has PGs');
    this.reached = Array.from({ length: pgCount }, () => -1);
    this.ensure(pgCount - 1);
    // A slot per PG from the start (sync fills them): growing them on a fresh engine's first ack
    // changed their elements kind under code optimized on warm engines (a deopt per new engine).
    for (let pg = 0; pg < pgCount; pg++) {
      this.seen.push(undefined);
      this.winning.push(undefined);
      this.above.push(0);
    }
    this.vclCached = log.base;
    this.vdlCached = log.base;
    this.skipsGaps = bug(config, 'vcl-skips-gaps');
    this.prefixOffByOne = bug(config, 'vcl-prefix-off-by-one');
    this.ignoresCpl = bug(config, 'vdl-ignores-cpl');
  }

  /** Brings every cached mark up to date with the control plane; then read vcl/vdl/pgcl. */
  current(control: ControlPlane): this {
    this.sync(control);
    this.advance();
    if (this.skipsGaps === true) this.skipGaps();
    assert(this.vdlCached <= this.vclCached, 'VDL <= VCL');
    assert(this.vclCached <= this.log.allocated, 'VCL <= highest allocated');
    return this;
  }

  get vcl(): Lsn {
    return this.vclCached;
  }

  get vdl(): Lsn {
    return this.vdlCached;
  }

  /** Room for PG `pg` (a PG added later starts with no SCL reported). */
  private ensure(pg: number): void {
    const scl = this.scl;
    while (scl.length < (pg + 1) * STRIDE) scl.push(-1);
  }

  sclOf(pg: number, node: NodeId): Lsn | undefined {
    return this.sclAt(pg, storageIndex(node));
  }

  /** The SCL reported by storage node number `i` for the PG (undefined: none). */
  sclAt(pg: number, i: number): Lsn | undefined {
    const v = this.scl[pg * STRIDE + i];
    return v === undefined || v < 0 ? undefined : v;
  }

  /** The lowest SCL the members (`numbers`, as memberNumbersOf gives them) reported for the PG, -1 if one reported none. */
  lowestOf(pg: number, numbers: readonly number[]): Lsn {
    const scl = this.scl;
    const base = pg * STRIDE;
    let low = Infinity;
    for (let j = 0; j < numbers.length; j++) {
      // As sclAt: none reported is undefined or -1.
      const v = scl[base + numbers[j]!] ?? -1;
      if (v < low) low = v;
    }
    return low < 0 ? -1 : low;
  }

  /**
   * The lowest SCL reported below `last` by a member lagging so (`numbers`: the members' storage
   * numbers, as memberNumbersOf gives them) whose segment is known sealed into this epoch
   * (`sealed[pg * STRIDE + i] >= 0`: the writer's sealedAt); -1 if no member lags. One pass with
   * no call inside: retransmit's usual round (see there).
   */
  lowestLagging(pg: number, numbers: readonly number[], sealed: readonly number[], last: Lsn): Lsn {
    const scl = this.scl;
    const base = pg * STRIDE;
    let low = -1;
    for (let j = 0; j < numbers.length; j++) {
      const at = base + numbers[j]!;
      // As sclAt (none reported: undefined or -1) and sealedIncarnation (-1: not sealed).
      const v = scl[at] ?? -1;
      if (v < 0 || v >= last || (sealed[at] ?? -1) < 0) continue;
      if (low < 0 || v < low) low = v;
    }
    return low;
  }

  /**
   * The storage numbers of the PG's members, in membersOf order (member j is node number
   * memberNumbers[j]), when `m` is the membership last synced for the PG; null otherwise (the
   * caller decodes the names). Members are STORAGE_NODES filtered, so equal shapes list them alike.
   */
  memberNumbersOf(pg: number, m: Membership): readonly number[] | null {
    return this.seen[pg] === m ? this.winning[pg]!.memberIndex : null;
  }

  /** The initial volume: a segment known to hold nothing, at SCL 0. */
  setInitial(pg: number, i: number): void {
    this.ensure(pg);
    this.scl[pg * STRIDE + i] = 0;
    const ws = this.winning[pg];
    if (ws !== undefined) this.above[pg] = countAbove(ws, this.scl, pg * STRIDE, this.computed[pg]!);
  }

  /**
   * Storage node number i's segment of the PG is a new incarnation: the SCL its node reported
   * before is forgotten. The PG's answer is recomputed at the next sync (forced: a lower answer
   * may lower the PGCL, down to the PGCL reached, and then the VCL prefix is rescanned).
   */
  forget(pg: number, i: number): void {
    const at = pg * STRIDE + i;
    if (at >= this.scl.length || this.scl[at]! < 0) return;
    this.scl[at] = -1;
    this.seen[pg] = undefined;
    this.version = -1;
  }

  /** An ack raised (or first reported) a segment's SCL. */
  raise(control: ControlPlane, pg: number, node: NodeId, value: Lsn): void {
    this.raiseAt(control, pg, storageIndex(node), value);
  }

  /**
   * raise, by the storage node's number `i`. The usual ack (the marks synced to the control
   * plane, the PG's slots in place) is taken here, kept small so that it is inlined into the ack
   * path (writerTakeAckBy): a call per ack cost a frame, argument and map checks; the rest
   * (a membership change to sync, a new quorum answer) is raiseFresh and newAnswer. Whole, it
   * was over TurboFan's cumulative inlining budget once its own inlinees were counted, and was
   * called (marginal instructions per record, cachegrind: 2 PGs 12,681 -> 12,516, 64 PGs
   * 25,471 -> 25,183).
   */
  raiseAt(control: ControlPlane, pg: number, i: number, value: Lsn): void {
    const at = pg * STRIDE + i;
    const scl = this.scl;
    if (this.version !== control.version || at >= scl.length) return this.raiseFresh(control, pg, i, value);
    assert(value >= 0, 'a needs-seal ack reports no SCL');
    const old = scl[at]!;
    if (value <= old) return;
    scl[at] = value;
    // As raiseFresh with nothing to sync: raising one SCL to at most the quorum answer cannot
    // change it; nor can a non-member's; k of n, fewer than k members above it leave it standing.
    const computed = this.computed[pg]!;
    if (value <= computed) return;
    const ws = this.winning[pg]!;
    if ((ws.memberMask & (1 << i)) === 0) return;
    if (ws.threshold > 0) {
      if (old > computed) return;
      const above = this.above[pg]! + 1;
      this.above[pg] = above;
      if (above < ws.threshold) return;
    }
    this.newAnswer(ws, pg);
  }

  /** raiseAt, when the marks may need a sync (or room for the PG). */
  private raiseFresh(control: ControlPlane, pg: number, i: number, value: Lsn): void {
    assert(value >= 0, 'a needs-seal ack reports no SCL');
    const at = pg * STRIDE + i;
    if (at >= this.scl.length) this.ensure(pg);
    const old = this.scl[at]!;
    if (value <= old) return;
    this.scl[at] = value;
    // A membership change found by this sync recomputes its PGs with this SCL already in place.
    const fresh = this.version !== control.version;
    this.sync(control);
    const m = control.pgs[pg];
    assert(m !== undefined && this.computed[pg] !== undefined, 'acks come from existing PGs');
    // Raising one SCL to at most the quorum answer cannot change it; nor can a non-member's.
    if (value <= this.computed[pg]) return;
    const ws = this.winning[pg]!;
    if ((ws.memberMask & (1 << i)) === 0) return;
    // k of n: the k-th highest SCL only rises past the answer once k members report above it.
    // Fewer than k above it (the first acks of a round): the answer stands, and so does the PGCL.
    if (ws.threshold > 0) {
      // Already above the answer before: counted, and the answer stands (fewer than k above it).
      if (!fresh && old > this.computed[pg]) return;
      const above = fresh ? countAbove(ws, this.scl, pg * STRIDE, this.computed[pg]) : this.above[pg]! + 1;
      this.above[pg] = above;
      if (above < ws.threshold) return;
    }
    this.newAnswer(ws, pg);
  }

  /** An ack may have moved the PG's quorum answer (k of n: k members are now above it). */
  private newAnswer(ws: WinningSets, pg: number): void {
    if (ws.threshold > 0) this.raiseKth(ws, pg);
    else this.computed[pg] = completeLsnOf(ws, this.scl, pg * STRIDE);
    this.pgcl[pg] = Math.max(this.reached[pg] ?? -1, this.computed[pg]!);
    this.moved.push(pg);
  }

  /**
   * k of n, k members now above the answer (never more: before this ack fewer than k were, and
   * one ack adds at most one): sorted descending they come first, so the k-th highest SCL is the
   * lowest of them. Those equal to it are no longer above the answer.
   */
  private raiseKth(ws: WinningSets, pg: number): void {
    const { memberIndex, threshold } = ws;
    const scl = this.scl;
    const base = pg * STRIDE;
    const floor = this.computed[pg]!;
    assert(this.above[pg] === threshold, 'one ack brings at most the k-th member above the answer');
    // -1: none above yet (an integer, where Infinity made every compare a double one).
    let low = -1;
    let ties = 0;
    for (let j = 0; j < memberIndex.length; j++) {
      const v = scl[base + memberIndex[j]!] ?? -1;
      if (v <= floor) continue;
      if (low < 0 || v < low) {
        low = v;
        ties = 1;
      } else if (v === low) {
        ties++;
      }
    }
    assert(low >= 0, 'k members report an SCL above the answer');
    this.computed[pg] = low;
    this.above[pg] = threshold - ties;
  }

  /** Remember the PGCLs reached, so a harder quorum (a membership change) never lowers them. */
  remember(control: ControlPlane): void {
    this.sync(control);
    // The list is reused (emptied by its count: no new array, no trimmed store, per ack).
    const moved = this.moved;
    for (let k = 0; k < moved.length; k++) {
      const pg = moved.at(k);
      this.reached[pg] = this.pgcl[pg]!;
    }
    moved.clear();
  }

  private sync(control: ControlPlane): void {
    if (this.version === control.version) return;
    this.version = control.version;
    let lowered = false;
    for (let pg = 0; pg < control.pgs.length; pg++) {
      const m = control.pgs[pg]!;
      if (this.seen[pg] === m) continue;
      this.seen[pg] = m;
      const ws = winningSets(this.config, m);
      this.winning[pg] = ws;
      const before = this.pgcl[pg];
      this.ensure(pg);
      const computed = completeLsnOf(ws, this.scl, pg * STRIDE);
      const pgcl = Math.max(this.reached[pg] ?? -1, computed);
      this.computed[pg] = computed;
      this.above[pg] = countAbove(ws, this.scl, pg * STRIDE, computed);
      this.pgcl[pg] = pgcl;
      this.moved.push(pg);
      if (before !== undefined && pgcl < before) lowered = true;
    }
    if (lowered) {
      // The released prefix lies under every PGCL reached: the rescan starts after it.
      this.prefix = this.log.releasedLength;
      this.vclCached = this.log.released;
      this.vdlCached = this.log.releasedCpl;
    }
  }

  /** Mutant 'vcl-skips-gaps': VCL jumps past records not yet on a write quorum. */
  private skipGaps(): void {
    const log = this.log;
    for (let i = log.releasedLength; i < log.length; i++) {
      const lsn = log.base + 1 + i;
      if (lsn <= this.pgcl[log.pgAt(i)]! && lsn > this.vclCached) this.vclCached = lsn;
    }
    for (let i = log.releasedLength; i < log.length; i++) {
      const lsn = log.base + 1 + i;
      if (log.cplAt(i) && lsn <= this.vclCached && lsn > this.vdlCached) this.vdlCached = lsn;
    }
  }

  private advance(): void {
    const log = this.log;
    const count = log.length;
    let prefix = this.prefix;
    if (prefix >= count) return;
    // The walk runs in locals, stored back once (the three fields were stored per record).
    const pgcls = this.pgcl;
    const first = log.base + 1;
    let vcl = this.vclCached;
    let vdl = this.vdlCached;
    while (prefix < count) {
      const lsn = first + prefix;
      const pgcl = pgcls[log.pgAt(prefix)];
      assert(pgcl !== undefined, 'every record is of a known PG');
      if (lsn > pgcl || (lsn === pgcl && this.prefixOffByOne === true)) break;
      if (log.cplAt(prefix) || this.ignoresCpl === true) vdl = lsn;
      prefix++;
      vcl = lsn;
    }
    this.prefix = prefix;
    this.vclCached = vcl;
    this.vdlCached = vdl;
  }
}

/**
 * During a membership change the write quorum is joint, so PGCL needs every set's quorum.
 *
 * Method: quorum expressions are monotone, so the highest LSN that a write quorum's SCLs reach is
 * the best, over the minimal winning write sets S, of the lowest SCL in S (-1: none reported).
 * The minimal winning sets are enumerated once per membership value (at most 2^9 subsets of the
 * storage fleet) and kept as member-index lists; an ack then costs a few comparisons.
 */
export function pgCompleteLsn(config: Config, m: Membership, scl: ReadonlyMap<NodeId, Lsn> | undefined): Lsn {
  const flat = STORAGE_NODES.map((n) => scl?.get(n) ?? -1);
  return completeLsnOf(winningSets(config, m), flat, 0);
}

/** `scl[base + i]`: the SCL of storage node number i (-1 or past the end: none). */
function completeLsnOf(ws: WinningSets, scl: readonly number[], base: number): Lsn {
  const { members, memberIndex, sets, threshold } = ws;
  // A reused scratch array of the same length for the common shape (no allocation per ack).
  const values = members.length === scratch.length ? scratch : (scratch = new Array<number>(members.length));
  for (let i = 0; i < members.length; i++) values[i] = scl[base + memberIndex[i]!] ?? -1;
  if (threshold > 0) return kthHighest(values, threshold);
  let best = -1;
  for (const set of sets) {
    let low = Infinity;
    for (const i of set) {
      const v = values[i]!;
      if (v < low) low = v;
    }
    if (low > best) best = low;
  }
  return best < 0 ? -1 : best;
}

/** How many members report an SCL above `floor` (`scl[base + i]`, -1: none). */
function countAbove(ws: WinningSets, scl: readonly number[], base: number, floor: Lsn): number {
  const memberIndex = ws.memberIndex;
  let above = 0;
  for (let j = 0; j < memberIndex.length; j++) if ((scl[base + memberIndex[j]!] ?? -1) > floor) above++;
  return above;
}

interface WinningSets {
  readonly members: readonly NodeId[];
  /** The members' storage node numbers, and the same as a bit mask. */
  readonly memberIndex: readonly number[];
  readonly memberMask: number;
  /** The minimal winning write sets, as indices into members. */
  readonly sets: readonly (readonly number[])[];
  /** k when the minimal winning sets are exactly every k of the members (k of n), else 0. */
  readonly threshold: number;
}

let scratch: number[] = [];

/** The k-th highest of `values` (-1 when below 0): the best a k-of-n quorum reaches. Sorts `values`. */
function kthHighest(values: number[], k: number): Lsn {
  // Insertion sort, descending: n is at most a few sets of six.
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! < v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  const kth = values[k - 1]!;
  return kth < 0 ? -1 : kth;
}

function binomial(n: number, k: number): number {
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - i + 1)) / i;
  return Math.round(out);
}

const winningMemo = new WeakMap<Config, WeakMap<Membership, WinningSets>>();
/**
 * By what the winning sets depend on: the layout and the switched-on bugs (quorumsFor and
 * pgcl-read-quorum read nothing else of the config) and the membership's shape (sets and full
 * segments; the epoch does not matter). Thousands of PGs share a few shapes, and so do engines:
 * each engine has its own config copy, so a per-config memo recomputed them for every explore
 * run (computeWinningSets was ~0.43% of explore's profile). A handful of entries in all.
 */
const winningByShape = new Map<string, WinningSets>();
const quorumKeys = new WeakMap<Config, string>();

function quorumKeyOf(config: Config): string {
  let key = quorumKeys.get(config);
  if (key === undefined) quorumKeys.set(config, (key = `${config.layout}:${config.bugs === undefined ? '' : config.bugs.join(',')}`));
  return key;
}

function winningSets(config: Config, m: Membership): WinningSets {
  let byConfig = winningMemo.get(config);
  if (byConfig === undefined) winningMemo.set(config, (byConfig = new WeakMap()));
  const known = byConfig.get(m);
  if (known !== undefined) return known;
  const shape = `${quorumKeyOf(config)}/${m.sets.map((set) => set.join(',')).join('|')}/${m.full.join(',')}`;
  const same = winningByShape.get(shape);
  if (same !== undefined) {
    byConfig.set(m, same);
    return same;
  }
  const out = computeWinningSets(config, m);
  winningByShape.set(shape, out);
  byConfig.set(m, out);
  return out;
}

function computeWinningSets(config: Config, m: Membership): WinningSets {
  const pair = quorumsFor(config, m);
  const write = bug(config, 'pgcl-read-quorum') ? pair.read : pair.write;
  const members = membersOf(m);
  assert(members.length <= 16, 'a PG has at most a few sets of six members');
  // The quorum is compiled once to masks over members, then each subset is a few ANDs and
  // popcounts; calling the model's wins() per subset built a Set and a filtered list for each of
  // the 2^n subsets (a new config per explore run recomputes these: ~0.9% of explore's time).
  const compiled = compileQuorum(write, members);
  const winning: number[] = [];
  for (let mask = 1; mask < 1 << members.length; mask++) {
    if (winsMask(compiled, mask)) winning.push(mask);
  }
  // Minimal: no winning proper subset.
  const minimal = winning.filter((mask) => !winning.some((w) => w !== mask && (w & mask) === w));
  const sets = minimal.map((mask) => members.map((_, i) => i).filter((i) => (mask & (1 << i)) !== 0));
  const k = sets[0]?.length ?? 0;
  const threshold = k > 0 && sets.every((set) => set.length === k) && sets.length === binomial(members.length, k) ? k : 0;
  const memberIndex = members.map(storageIndex);
  const memberMask = memberIndex.reduce((mask, i) => mask | (1 << i), 0);
  return { members, memberIndex, memberMask, sets, threshold };
}

/** A quorum expression over member indices: k-of-(members in mask), AND or OR of parts. */
type MaskQuorum =
  | { readonly kind: 'atLeast'; readonly k: number; readonly mask: number }
  | { readonly kind: 'and' | 'or'; readonly parts: readonly MaskQuorum[] };

/** Names outside `members` can never say yes in a subset of members, so they get no bit (as with wins()). */
function compileQuorum(q: Quorum, members: readonly NodeId[]): MaskQuorum {
  if (q.kind === 'atLeast') {
    let mask = 0;
    for (let i = 0; i < q.of.length; i++) {
      const at = members.indexOf(q.of[i]!);
      if (at >= 0) mask |= 1 << at;
    }
    return { kind: 'atLeast', k: q.k, mask };
  }
  const parts: MaskQuorum[] = [];
  for (let i = 0; i < q.parts.length; i++) parts.push(compileQuorum(q.parts[i]!, members));
  return { kind: q.kind, parts };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

/** wins(q, the members in `yes`): atLeast counts distinct names (atLeast dedups `of`). */
function winsMask(q: MaskQuorum, yes: number): boolean {
  if (q.kind === 'atLeast') return popcount(q.mask & yes) >= q.k;
  const all = q.kind === 'and';
  for (let i = 0; i < q.parts.length; i++) if (winsMask(q.parts[i]!, yes) !== all) return !all;
  return all;
}
