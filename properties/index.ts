// The public surface of properties/: history arbitraries, the invariant registry and the runner,
// so a user can write their own properties in their own test files:
//
//   import { fc, historyArb, runHistory, INVARIANTS, type Invariant } from 'aurora-harness/properties';
//   fc.assert(fc.property(historyArb(), (h) => runHistory(h.config, h.events, { impl: true }).violation === null));

export * as fc from 'fast-check';
export { historyArb, eventArb, applySwarm, describeSwarm, endOf, FAULT_KINDS, faultKindOf, type History, type HistoryOptions, type RawEvent, type Swarm, type FaultKind } from './history.js';
export { INVARIANTS } from './invariants.js';
export type { Invariant, Tag, RunMemo, StepView, EndView, ImplStep } from './invariant.js';
export { runHistory, type RunOptions, type RunResult, type Violation } from './run.js';
export { explore, missedWitnesses, type ExploreOptions, type ExploreSummary, type InvariantSummary, type Failure } from './exploration.js';
export { Oracle, isCommitted, type OracleTxn, type TxnStatus, type Finding } from './oracle.js';
export { livenessPhase, SETTLE_ROUNDS } from './drills.js';
export { runLockstep, formatDivergence, snapshotDiff, type Divergence } from './lockstep.js';
export { specReadQuorum, specWriteQuorum } from './spec.js';
export { formatFailure } from './report.js';
export { FORMAT, parseCounterexample, replay, formatCounterexample, configOf, observe, type Counterexample, type ReplayOutcome } from './shrinks.js';
