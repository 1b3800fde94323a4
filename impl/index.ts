// impl/: the Aurora-style protocol engineered for speed (mutable, incremental), checked against
// the model in lockstep by properties/lockstep.test.ts. The public surface is the engine and the
// canonical snapshot both engines map to.

export { ImplEngine } from './engine.js';
export { snapshotOfModel, type Snapshot } from './snapshot.js';
