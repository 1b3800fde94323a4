// Lockstep: the model and impl fed the same events, compared after every step.
//
// The model is the specification; impl must emit the same observations, in the same order, for
// every event, and end in a state with the same canonical snapshot (impl/snapshot.ts). The first
// difference is reported with everything needed to read it: the step, the event, both
// observation lists, and the snapshot keys that differ at that point.

import { deepEqual } from './equal.js';
import type { Event } from '../model/events.js';
import type { Config, Observation } from '../model/types.js';
import { ModelEngine } from '../model/engine.js';
import { describeEvent, describeObservation } from '../model/describe.js';
import { ImplEngine, snapshotOfModel } from '../impl/index.js';

export interface Divergence {
  /** Index into the events run; events.length when only the final snapshots differ. */
  readonly step: number;
  readonly event: Event | null;
  readonly model: readonly Observation[];
  readonly impl: readonly Observation[];
  /** Snapshot paths whose values differ, with both values. */
  readonly keys: readonly string[];
  /** impl threw (an assertion, say) instead of answering. */
  readonly thrown: string | null;
}

export interface LockstepOptions {
  /** Also compare snapshots after every step (slower; default: only at the end). */
  readonly snapshotEveryStep?: boolean;
}

export function runLockstep(config: Config, events: readonly Event[], opts: LockstepOptions = {}): Divergence | null {
  const model = new ModelEngine(config);
  const impl = new ImplEngine(config);
  for (let step = 0; step < events.length; step++) {
    const event = events[step]!;
    const expected = model.apply(event);
    let actual: readonly Observation[];
    try {
      actual = impl.apply(event);
    } catch (e) {
      const thrown = e instanceof Error ? (e.stack ?? e.message) : String(e);
      return { step, event, model: expected, impl: [], keys: [], thrown };
    }
    const keys = !deepEqual(expected, actual) || opts.snapshotEveryStep === true
      ? snapshotDiff(snapshotOfModel(model.state), impl.snapshot()) : [];
    if (!deepEqual(expected, actual) || keys.length > 0) return { step, event, model: expected, impl: actual, keys, thrown: null };
  }
  const keys = snapshotDiff(snapshotOfModel(model.state), impl.snapshot());
  return keys.length === 0 ? null : { step: events.length, event: null, model: [], impl: [], keys, thrown: null };
}

/** Paths (a.b[2].c) whose values differ between two JSON values, with both values. */
export function snapshotDiff(a: unknown, b: unknown, path = ''): string[] {
  if (deepEqual(a, b)) return [];
  const bothObjects = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null;
  const lsnList = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v !== 'object');
  if (!bothObjects || lsnList(a) || lsnList(b) || Array.isArray(a) !== Array.isArray(b)) {
    return [`${path || '(root)'}: model ${JSON.stringify(a)} vs impl ${JSON.stringify(b)}`];
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  const out: string[] = [];
  for (const k of [...new Set([...ka, ...kb])]) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
    out.push(...snapshotDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub));
  }
  return out;
}

export function formatDivergence(config: Config, events: readonly Event[], d: Divergence, safetyLength = events.length): string {
  const lines: string[] = [];
  const where = d.event === null ? 'after the last step' : `at step ${d.step}${d.step >= safetyLength ? ' (liveness)' : ''}: ${describeEvent(d.event, config)}`;
  lines.push(`model and impl DIVERGED ${where}`);
  if (d.thrown !== null) lines.push(`  impl threw: ${d.thrown.split('\n').slice(0, 6).join('\n    ')}`);
  if (d.event !== null) {
    lines.push(`  model observed: ${d.model.length === 0 ? '(nothing)' : ''}`, ...d.model.map((o) => `    ${describeObservation(o)}`));
    lines.push(`  impl observed:  ${d.impl.length === 0 ? '(nothing)' : ''}`, ...d.impl.map((o) => `    ${describeObservation(o)}`));
  }
  lines.push(`  snapshot keys that differ${d.keys.length === 0 ? ': none' : ':'}`, ...d.keys.slice(0, 20).map((k) => `    ${k}`));
  if (d.keys.length > 20) lines.push(`    ... ${d.keys.length - 20} more`);
  lines.push(`  history (${safetyLength} events, then the liveness phase):`);
  const shown = Math.min(events.length, Math.max(safetyLength, d.step + 1));
  for (let i = 0; i < shown; i++) lines.push(`  ${i === d.step ? '>>' : '  '}${String(i).padStart(4)} ${describeEvent(events[i]!, config)}`);
  lines.push(`  events as data: ${JSON.stringify(events.slice(0, safetyLength))}`);
  return lines.join('\n');
}
