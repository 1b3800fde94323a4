// Counterexamples as data (etcd's testdata: why, the input, the expected output). Each file in
// shrinks/ is a readable, editable JSON document: the events, the config, the invariant it once
// broke and why, and the observations the history produces now, step by step. Seeds and paths
// are metadata only: they break when generators change; the events do not.
//
// A replay is strict: the run must hold every invariant and produce exactly the recorded
// observations. REWRITE=1 regenerates the recorded observations (review the diff like code).

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../model/events.js';
import { EVENT_TYPES } from '../model/events.js';
import { DEFAULT_CONFIG, checkConfig, type Config } from '../model/types.js';
import { describeEvent, describeObservation } from '../model/describe.js';
import { initialState, step } from '../model/step.js';
import { runHistory } from './run.js';
import { ROOT } from './paths.js';

export const FORMAT = 'aurora-harness/counterexample@1';
export const SHRINKS_DIR = join(ROOT, 'shrinks');

export interface Counterexample {
  readonly format: typeof FORMAT;
  readonly title: string;
  /** What it found, and what changed because of it. */
  readonly why: string;
  /** The invariant it broke when it was found. */
  readonly invariant: string;
  /** The invariant a replay must violate now (null: every invariant must hold, a fixed bug). */
  readonly violation?: string | null;
  /** Overrides of DEFAULT_CONFIG. */
  readonly config: Partial<Config>;
  /** The safety phase; the runner appends the liveness phase. */
  readonly events: readonly Event[];
  /** One line per step that observed something: `index event => observations`. */
  readonly expected: readonly string[];
  readonly meta?: Readonly<Record<string, unknown>>;
}

export class CounterexampleError extends Error {}

export function parseCounterexample(text: string, file: string): Counterexample {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CounterexampleError(`${file}: not JSON (${(e as Error).message})`);
  }
  const d = data as Partial<Counterexample>;
  if (typeof d !== 'object' || d === null) throw new CounterexampleError(`${file}: not an object`);
  if (d.format !== FORMAT) throw new CounterexampleError(`${file}: format '${String(d.format)}' is not ${FORMAT}`);
  for (const key of ['title', 'why', 'invariant'] as const) {
    if (typeof d[key] !== 'string') throw new CounterexampleError(`${file}: '${key}' must be a string`);
  }
  if (!Array.isArray(d.events) || d.events.some((e) => !EVENT_TYPES.includes((e as Event)?.type))) {
    throw new CounterexampleError(`${file}: 'events' must be a list of events of known types`);
  }
  if (d.violation !== undefined && d.violation !== null && typeof d.violation !== 'string') {
    throw new CounterexampleError(`${file}: 'violation' must be an invariant id or null`);
  }
  if (!Array.isArray(d.expected) || d.expected.some((l) => typeof l !== 'string')) {
    throw new CounterexampleError(`${file}: 'expected' must be a list of strings`);
  }
  const problem = checkConfig(configOf(d as Counterexample));
  if (problem !== null) throw new CounterexampleError(`${file}: config: ${problem}`);
  return d as Counterexample;
}

export function configOf(c: Pick<Counterexample, 'config'>): Config {
  return { ...DEFAULT_CONFIG, ...(c.config ?? {}) };
}

/** The observation lines a history produces now (liveness phase included). */
export function observe(config: Config, events: readonly Event[]): string[] {
  const run = runHistory(config, events);
  let s = initialState(config);
  const lines: string[] = [];
  run.events.forEach((e, i) => {
    const r = step(s, e);
    s = r.state;
    const seen = r.observations.filter((o) => o.kind !== 'noop').map(describeObservation);
    if (seen.length > 0) lines.push(`${i} ${describeEvent(e, config)} => ${seen.join('; ')}`);
  });
  return lines;
}

export interface ReplayOutcome {
  /** The invariant violated now, or null. */
  readonly violation: string | null;
  readonly message: string | null;
  readonly actual: readonly string[];
  /** Same violation (or none) as recorded, and the same observations. */
  readonly matches: boolean;
}

/** Model and impl in lockstep, every invariant on; compared with what the file recorded. */
export function replay(c: Counterexample): ReplayOutcome {
  const config = configOf(c);
  const run = runHistory(config, c.events, { impl: true });
  const actual = observe(config, c.events);
  const violation = run.violation?.invariant ?? null;
  const matches = violation === (c.violation ?? null) && JSON.stringify(actual) === JSON.stringify(c.expected);
  return { violation, message: run.violation?.message ?? null, actual, matches };
}

export function shrinkFiles(dir = SHRINKS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

export function loadCounterexample(file: string): Counterexample {
  return parseCounterexample(readFileSync(file, 'utf8'), file);
}

export function rewrite(file: string): void {
  const c = loadCounterexample(file);
  const r = replay(c);
  writeFileSync(file, formatCounterexample({ ...c, violation: r.violation, expected: r.actual }));
}

/** JSON laid out for people: one event, one expected line per line. */
export function formatCounterexample(c: Counterexample): string {
  const list = (xs: readonly unknown[]) => (xs.length === 0 ? '[]' : `[\n${xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`);
  const fields = Object.entries(c).map(([k, v]) => `  ${JSON.stringify(k)}: ${k === 'events' || k === 'expected' ? list(v as unknown[]) : JSON.stringify(v)}`);
  return `{\n${fields.join(',\n')}\n}\n`;
}
