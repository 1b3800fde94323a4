// Runs one history through the model, feeding the oracle and checking every invariant after every
// step. Deterministic: the same config and events give the same result, byte for byte.

import type { Event } from '../model/events.js';
import type { State } from '../model/state.js';
import type { Config } from '../model/types.js';
import { initialState, step } from '../model/step.js';
import type { Invariant, RunMemo, StepView, Tag } from './invariant.js';
import { newMemo, type ImplStep } from './invariant.js';
import { ImplEngine } from '../impl/index.js';
import { INVARIANTS } from './invariants.js';
import { Oracle } from './oracle.js';
import { livenessPhase } from './drills.js';
import { isWriterUp } from '../model/state.js';
import { marksOf, writerOf } from './views.js';

export interface Violation {
  readonly invariant: string;
  readonly tag: Tag;
  /** Index into the events run (safety phase, then liveness phase); -1 for end-of-run checks. */
  readonly step: number;
  readonly message: string;
}

export interface RunResult {
  readonly violation: Violation | null;
  /** Events run, the liveness phase included. */
  readonly events: readonly Event[];
  readonly final: State;
  /** Per invariant id: how often it was checked (always/eventually) or hit (sometimes). */
  readonly counts: ReadonlyMap<string, number>;
}

export interface RunOptions {
  /** Append the liveness phase and check the `eventually` invariants (default true). */
  readonly liveness?: boolean;
  /** Replace the liveness phase by these events. */
  readonly tail?: readonly Event[];
  readonly invariants?: readonly Invariant[];
  /** Run impl/ in lockstep: the `agreement` invariants then compare it with the model. */
  readonly impl?: boolean;
  /** Called with every step's view after its checks (coverage-guided exploration's feedback). */
  readonly onStep?: (view: StepView) => void;
}

export function runHistory(config: Config, safety: readonly Event[], opts: RunOptions = {}): RunResult {
  const invariants = opts.invariants ?? INVARIANTS;
  const events = opts.liveness === false ? [...safety] : [...safety, ...(opts.tail ?? livenessPhase(config))];
  const impl = opts.impl === true ? new ImplEngine(config) : null;
  let implBroken = false;
  // Per invariant (by position) how often it was checked or hit; summed per id at the end.
  const tally = new Array<number>(invariants.length).fill(0);
  const oracle = new Oracle(config);
  const memo: RunMemo = newMemo();
  let state = initialState(config);
  const done = (violation: Violation | null): RunResult => {
    const counts = new Map<string, number>(invariants.map((i) => [i.id, 0]));
    invariants.forEach((inv, i) => counts.set(inv.id, counts.get(inv.id)! + tally[i]!));
    return { violation, events, final: state, counts };
  };

  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const r = step(state, event);
    const findings = oracle.observe(event, r.observations);
    let implStep: ImplStep | null = null;
    if (impl !== null && !implBroken) {
      try {
        const observations = impl.apply(event);
        implStep = { observations, thrown: null, released: impl.writerReleased() };
      } catch (e) {
        implStep = { observations: [], thrown: e instanceof Error ? (e.stack ?? e.message) : String(e), released: null };
        implBroken = true;
      }
    }
    const view: StepView = { config, index, event, prev: state, next: r.state, observations: r.observations, oracle, findings, memo, impl: implStep };
    state = r.state;
    for (let i = 0; i < invariants.length; i++) {
      const inv = invariants[i]!;
      if (inv.tag === 'always') {
        tally[i]!++;
        const message = inv.check(view);
        if (message !== null) return done({ invariant: inv.id, tag: inv.tag, step: index, message });
      } else if (inv.tag === 'sometimes' && inv.hit(view)) {
        tally[i]!++;
      }
    }
    if (findings.length > 0) {
      const unclaimed = findings.find((f) => !invariants.some((i) => i.id === f.invariant));
      if (unclaimed !== undefined) throw new Error(`oracle finding for unknown invariant ${unclaimed.invariant}`);
    }
    remember(memo, view);
    opts.onStep?.(view);
  }
  if (opts.liveness !== false) {
    for (let i = 0; i < invariants.length; i++) {
      const inv = invariants[i]!;
      if (inv.tag !== 'eventually') continue;
      tally[i]!++;
      const message = inv.check({ config, final: state, oracle, memo, implSnapshot: impl === null || implBroken ? null : impl.snapshot() });
      if (message !== null) return done({ invariant: inv.id, tag: inv.tag, step: -1, message });
    }
  }
  return done(null);
}

function remember(memo: RunMemo, v: StepView): void {
  memo.eventTypes.add(v.event.type);
  for (const o of v.observations) {
    memo.observationKinds.add(o.kind);
    if (o.kind === 'membership' && o.step === 'complete') {
      const before = v.prev.control.pgs[o.pg]!.sets[0]!;
      for (const n of o.sets[0]!) if (!before.includes(n)) memo.hydrated.add(n);
    }
    if (o.kind === 'membership' && o.step === 'begin') {
      const x = writerOf(v.next);
      const before = v.prev.control.pgs[o.pg]!.sets.flat();
      if (x !== null && (x.w.releasedLastPg[o.pg] ?? 0) > (x.w.plan.lastPg[o.pg] ?? 0)) {
        for (const n of o.sets[o.sets.length - 1]!) if (!before.includes(n)) memo.joinedBehindRelease.add(`${n}/${o.pg}`);
      }
    }
  }
  if (v.event.type === 'failover' && v.prev.control.writer !== v.next.control.writer) {
    const old = v.prev.compute[v.prev.control.writer]!;
    if (isWriterUp(old) && old.pendingTxns.length > 0) memo.failoverInFlight = true;
  }
  const x = writerOf(v.next);
  if (x !== null && x.w.status === 'active') memo.vdlMax = Math.max(memo.vdlMax, marksOf(v.next, x.w).vdl);
}

