// The public surface of model/: the reference state machine and the vocabulary both engines share.
// `import { step, initialState, DEFAULT_CONFIG } from 'aurora-harness/model'`.

export * from './types.js';
export * from './events.js';
export {
  atLeast, and, or, uniformQuorums, fullTailQuorums, evaluate, wins, checkIntersection, describeQuorum,
  membersOf as quorumMembers, SEGMENTS_PER_PG, WRITE_QUORUM, READ_QUORUM, FULL_SEGMENTS,
  type Quorum, type QuorumPair, type Vote, type IntersectionFailure,
} from './quorum.js';
export * from './engine.js';
export type * from './state.js';
export { isWriterUp } from './state.js';
export { initialState, step, type StepResult } from './step.js';
export { watermarks, pgCompleteLsn, volumeCompleteLsn, volumeDurableLsn, type Watermarks } from './watermarks.js';
export { describeEvent, describeMessage, describeObservation, describeRecord } from './describe.js';
