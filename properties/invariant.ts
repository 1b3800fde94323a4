// What an invariant is, and what it gets to look at.
//
// Tags (stateright's Expectation): `always` holds after every step; `eventually` holds once the
// faults stop and the world has had enough ticks (checked at the end of the liveness phase);
// `sometimes` is a situation the generator must reach, proving the `always` ones were not passed
// vacuously. Every invariant has an id (used in counterexamples), a title and a one-sentence why.

import type { Event, EventType } from '../model/events.js';
import type { State } from '../model/state.js';
import type { Config, Observation } from '../model/types.js';
import type { Finding, Oracle } from './oracle.js';

/** Facts accumulated over a run, so step checks need not rescan the history. */
export interface RunMemo {
  readonly eventTypes: Set<EventType>;
  readonly observationKinds: Set<Observation['kind']>;
  /** The highest VDL any writer has had in this run. */
  vdlMax: number;
  /** A failover happened while the old writer had commits in flight. */
  failoverInFlight: boolean;
  /** `node/pg` of segments that joined a PG through a completed membership change. */
  readonly hydrated: Set<string>;
  /**
   * `node/pg` of replacements that began while the writer had already released records of that
   * PG allocated in its epoch: records the writer no longer holds, so only the peers can give them.
   */
  readonly joinedBehindRelease: Set<string>;
  /** Replicas seen behind the writer's VDL and not yet caught up. */
  readonly lagging: Set<string>;
  /**
   * What invariants derived from earlier states, keyed by invariant, so a check redoes only what
   * the step changed. An entry records the (immutable) state parts it was derived from.
   */
  readonly derived: Map<string, unknown>;
}

export function newMemo(): RunMemo {
  return { eventTypes: new Set(), observationKinds: new Set(), vdlMax: 0, failoverInFlight: false, hydrated: new Set(), joinedBehindRelease: new Set(), lagging: new Set(), derived: new Map() };
}

export interface StepView {
  readonly config: Config;
  readonly index: number;
  readonly event: Event;
  readonly prev: State;
  readonly next: State;
  readonly observations: readonly Observation[];
  readonly oracle: Oracle;
  /** What the oracle found wrong in this step. */
  readonly findings: readonly Finding[];
  /** Facts about the run before this step. */
  readonly memo: RunMemo;
  /** What impl/ answered to the same event, when it runs in lockstep (null: not running). */
  readonly impl: ImplStep | null;
}

export interface ImplStep {
  readonly observations: readonly Observation[];
  /** impl threw (an assertion, say) instead of answering. */
  readonly thrown: string | null;
  /** Where impl's writer has released its log to after the step (null: no writer up). */
  readonly released: number | null;
}

export interface EndView {
  readonly config: Config;
  readonly final: State;
  readonly oracle: Oracle;
  readonly memo: RunMemo;
  /** impl/'s canonical snapshot at the end, when it ran in lockstep. */
  readonly implSnapshot: unknown;
}

interface Described {
  readonly id: string;
  readonly title: string;
  /** One sentence tied to the design: why the guarantee matters. */
  readonly why: string;
}

export type Invariant =
  | (Described & { readonly tag: 'always'; check(view: StepView): string | null })
  | (Described & { readonly tag: 'eventually'; check(view: EndView): string | null })
  | (Described & { readonly tag: 'sometimes'; hit(view: StepView): boolean });

export type Tag = Invariant['tag'];
