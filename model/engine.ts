// The interface both engines implement: the reference model here, the optimized one in impl/.
// An engine is fed one event at a time and answers with observations; the harness compares them.

import type { Event } from './events.js';
import type { Config, Observation } from './types.js';
import type { State } from './state.js';
import { initialState, step } from './step.js';

export interface Engine {
  readonly name: string;
  apply(event: Event): readonly Observation[];
}

export type EngineFactory = (config: Config) => Engine;

/** The model behind the Engine interface; `state` is the immutable current state. */
export class ModelEngine implements Engine {
  readonly name = 'model';
  state: State;
  constructor(config: Config) {
    this.state = initialState(config);
  }
  apply(event: Event): readonly Observation[] {
    const r = step(this.state, event);
    this.state = r.state;
    return r.observations;
  }
}
