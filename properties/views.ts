// Small readers of model state shared by the invariants: which writer is up, what a `deliver`
// event delivered, what the oracle found.

import type { StepView } from './invariant.js';
import type { State, WriterUp } from '../model/state.js';
import { isWriterUp } from '../model/state.js';
import type { Message, NodeId } from '../model/types.js';
import { allNodes } from '../model/types.js';
import { choose } from '../model/network.js';
import { watermarks, type Watermarks } from '../model/watermarks.js';

/** The control plane's writer, when it is sealing or active. */
export function writerOf(s: State): { node: NodeId; w: WriterUp } | null {
  const node = s.control.writer;
  const w = s.compute[node];
  return isWriterUp(w) ? { node, w } : null;
}

export function marksOf(s: State, w: WriterUp): Watermarks {
  return watermarks(s.config, s.control.pgs, w);
}

/** The message a single `deliver` event takes, seen in the state before it. */
export function delivered(v: StepView): Message | null {
  if (v.event.type !== 'deliver') return null;
  const c = choose(v.prev.world, allNodes(v.config), v.event.node, v.event.k);
  return c === null ? null : v.prev.world.net[c.to]![c.index]!;
}

export const fromOracle = (id: string) => (v: StepView): string | null => {
  const f = v.findings.find((x) => x.invariant === id);
  return f === undefined ? null : f.message;
};

export function linkDown(s: State, a: NodeId, b: NodeId): boolean {
  return s.world.cuts.some((c) => c.includes(a) !== c.includes(b));
}
