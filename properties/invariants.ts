// The registry of guarantees: the design's promises as checks. This list is the documentation of
// what the storage layer guarantees; add an invariant to it and it is checked, counted and listed.

import type { Invariant } from './invariant.js';
import { commitRule, quorumIntersection, quorumRules, replacementStartsUnknown, vdlIsCpl, watermarkMonotonic, watermarkOrder, writerRelease } from './guarantees/log.js';
import { azPlusOne, durability, fencing, liveness, writesWithAzDown } from './guarantees/durability.js';
import { gcSafe, noHalfMtr, noPhantom, readAfterCommit, readRouting, replicaCache, replicaMonotonic, replicaPointHeld } from './guarantees/reads.js';
import { WITNESSES } from './guarantees/witnesses.js';
import { agreement, agreementState } from './guarantees/agreement.js';
import { segmentLog } from './guarantees/segments.js';
import { recoveryQuorums } from './guarantees/recovery.js';

export const INVARIANTS: readonly Invariant[] = [
  quorumIntersection, quorumRules, replacementStartsUnknown, watermarkOrder, watermarkMonotonic, vdlIsCpl, writerRelease, commitRule,
  durability, azPlusOne, fencing, segmentLog, recoveryQuorums,
  readAfterCommit, noPhantom, noHalfMtr, readRouting, replicaMonotonic, replicaCache, replicaPointHeld, gcSafe,
  agreement,
  liveness, writesWithAzDown, agreementState,
  ...WITNESSES,
];
