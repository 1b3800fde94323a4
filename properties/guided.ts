// Coverage-guided exploration: histories that reach a protocol phase no earlier history reached
// are kept, and new histories are grown from their prefixes (AFL's corpus, applied to a state
// machine's phases instead of a program's branches; Zest and FuzzChick for property tests).
//
// Why: a blind generator reaches a deep situation (a recovery interrupted mid-seal and a later one
// completed, a stacked membership change over a coalesced segment) in a few histories in a
// hundred or a thousand, and must reach it again from scratch for every continuation it tries. A
// kept prefix that got there is continued many times instead.
//
// A phase is a short key of the model's state (`abstractState`): the writer's status, how many
// storage nodes are down, how many volume epochs and seal epochs the members' segments disagree
// on, the most membership sets of a PG, whether a member has coalesced or is blank, the most
// truncation ranges a segment holds. It says nothing of LSNs, pages or messages, so there are a
// few hundred of them in thousands of histories, and a new one is a new situation.
// Measured (`aurora-harness bench --reach`; docs/mutants-historical-results.txt, section 6), over
// 2,000 fullTail histories of 240 events, seeds 1 and 2, against the blind generator: a recovery
// completes in 27.1%/30.4% of them against 10.7%/9.6%; a recovery interrupted while sealing and
// a later one completed, 4.6%/3.4% against 1.6%/1.3%; a recovery completed while a membership
// change is in flight, 16.4%/11.7% against 3.1%/2.5%. Finer keys (with replicas down, commits
// pending and partitions; or edges between phases rather than phases) kept more histories (447-770
// of 2,000, against 229 with this key) and reached less (recoveries completed in 16-23% against
// 33%; measured before the fix of shrinks/membership-completes-mid-recovery.json).
//
// A guided history is either a fresh one from the generator (one in FRESH), or a kept one cut at a
// point after the step where it first reached a new phase, followed by a fresh history's events
// (bounded so it is no longer than that fresh history). Deterministic: the same seed and number
// of histories give the same histories, in order (a PRNG seeded from the seed; no clock).

import fc from 'fast-check';
import type { State } from '../model/state.js';
import { STORAGE_NODES } from '../model/types.js';
import type { StepView } from './invariant.js';
import type { Config } from '../model/types.js';
import { runHistory, type RunResult } from './run.js';
import { minimizeFully } from './minimize.js';
import { historyArb, type History, type HistoryOptions } from './history.js';

/** One in FRESH guided histories is drawn fresh; the rest are grown from the corpus. */
const FRESH = 4;

/** The protocol's phase in a state, as a short key (see the header). */
export function abstractState(s: State): string {
  const w = s.compute[s.control.writer];
  const writer = w === undefined ? '-' : w.status[0]!;
  let down = 0;
  for (const n of STORAGE_NODES) if (s.storage[n]?.volatile.up === false) down++;
  const epochs = new Set<number>();
  const sealed = new Set<number>();
  let sets = 1;
  let gc = 0;
  let blank = 0;
  let ranges = 0;
  s.control.pgs.forEach((m, pg) => {
    sets = Math.max(sets, m.sets.length);
    for (const set of m.sets) {
      for (const n of set) {
        const seg = s.storage[n]?.durable.segments[pg];
        if (seg === undefined) continue;
        epochs.add(seg.epoch);
        sealed.add(seg.sealedEpoch);
        if (seg.gcPoint > 0) gc = 1;
        if (seg.blank) blank = 1;
        ranges = Math.max(ranges, seg.ranges.length);
      }
    }
  });
  return `${writer}${Math.min(down, 3)}${Math.min(epochs.size, 3)}${Math.min(sealed.size, 3)}${sets}${gc}${blank}${Math.min(ranges, 3)}`;
}

/**
 * mulberry32: a small, fast, seedable PRNG for the guide's own choices (no Math.random). Histories
 * themselves come from fast-check; pure-rand, its generator library, is only a transitive
 * dependency here, and two uniform draws per history do not justify a direct one.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Entry {
  readonly history: History;
  /** The first step at which this history reached a phase no earlier one had. */
  readonly novelAt: number;
}

export interface GuideStats {
  /** Histories handed out, fresh and grown. */
  readonly histories: number;
  readonly fresh: number;
  /** Distinct phases (abstract states) reached. */
  readonly phases: number;
  /** Histories kept: each reached a phase no earlier one had. */
  readonly corpus: number;
}

/**
 * The guide: `next()` hands out the next history; run it with `observer()` as runHistory's
 * onStep, then `learn()` what it reached. One guide is one search (one thread).
 */
export class Guide {
  private readonly random: () => number;
  private readonly arb: fc.Arbitrary<History>;
  private readonly phases = new Set<string>();
  private readonly corpus: Entry[] = [];
  private handed = 0;
  private freshHanded = 0;
  private freshCount = 0;
  // The run in progress: the first step that reached a new phase (-1: none yet).
  private novelAt = -1;
  private current: History | null = null;
  private grownFrom: { readonly parent: History; readonly novelAt: number; readonly cut: number } | null = null;

  constructor(private readonly seed: number, opts: HistoryOptions = {}) {
    this.random = prng(seed ^ 0x5bd1e995);
    this.arb = historyArb(opts);
  }

  /** A fresh history of the generator, the k-th of this guide's own sequence. */
  private fresh(): History {
    const k = this.freshCount++;
    return fc.sample(this.arb, { seed: (Math.imul(this.seed, 0x9e3779b1) + k) | 0, numRuns: 1 })[0]!;
  }

  next(): History {
    this.handed++;
    let h: History;
    if (this.corpus.length === 0 || Math.floor(this.random() * FRESH) === 0) {
      this.freshHanded++;
      h = this.fresh();
      this.grownFrom = null;
    } else {
      // Newer entries reached what older ones did not: pick them more often (the square skews
      // towards the end of the corpus).
      const r = this.random();
      const parent = this.corpus[Math.min(this.corpus.length - 1, Math.floor((1 - r * r) * this.corpus.length))]!;
      const from = Math.min(parent.novelAt + 1, parent.history.events.length);
      const cut = from + Math.floor(this.random() * (parent.history.events.length - from + 1));
      const tail = this.fresh();
      const room = Math.max(0, tail.events.length - cut);
      h = { swarm: tail.swarm, events: [...parent.history.events.slice(0, cut), ...tail.events.slice(0, room)] };
      this.grownFrom = { parent: parent.history, novelAt: parent.novelAt, cut };
    }
    this.current = h;
    this.novelAt = -1;
    return h;
  }

  /** runHistory's onStep for the history `next()` handed out (only the state after the step and its index are read). */
  readonly observer = (v: Pick<StepView, 'next' | 'index'>): void => {
    const to = abstractState(v.next);
    if (!this.phases.has(to)) {
      this.phases.add(to);
      // Only the history's own events can be cut at; a novelty of the liveness phase keeps the
      // whole history.
      if (this.novelAt < 0) this.novelAt = Math.min(v.index, this.current?.events.length ?? 0);
    }
  };

  /** After the run: keep the history if it reached a new phase. */
  learn(): void {
    if (this.current !== null && this.novelAt >= 0) this.corpus.push({ history: this.current, novelAt: this.novelAt });
    this.current = null;
  }

  /**
   * Where the last history came from: null when fresh, else the kept history it grew from, the
   * step where that one first reached a new phase, and where it was cut.
   */
  get origin(): { readonly parent: History; readonly novelAt: number; readonly cut: number } | null {
    return this.grownFrom;
  }

  stats(): GuideStats {
    return { histories: this.handed, fresh: this.freshHanded, phases: this.phases.size, corpus: this.corpus.length };
  }
}

/**
 * A guided search: the guide's histories (impl in lockstep, every invariant on) until `held` says
 * a run did not hold, or `runs` histories, or the deadline. Returns the history and run it
 * stopped at, or null.
 */
export function searchGuided(guide: Guide, config: Config, runs: number, deadline: number, held: (r: RunResult) => boolean): { history: History; result: RunResult } | null {
  for (let n = 0; n < runs && performance.now() < deadline; n++) {
    const history = guide.next();
    const result = runHistory(config, history.events, { impl: true, onStep: guide.observer });
    guide.learn();
    if (!held(result)) return { history, result };
  }
  return null;
}

/** A guided failure shrunk by deleting events while the same invariant fails (fast-check did not draw it). */
export function shrinkGuided(config: Config, history: History, invariant: string, deadline: number): History {
  return { ...history, events: minimizeFully(config, history.events, invariant, deadline) };
}
