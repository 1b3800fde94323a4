// Turning a failing run into text a person can read: the violated invariant, then the history
// step by step with what each step observed, the violating step marked.

import type { Config } from '../model/types.js';
import { describeEvent, describeObservation } from '../model/describe.js';
import { step, initialState } from '../model/step.js';
import type { History } from './history.js';
import { describeSwarm } from './history.js';
import type { RunResult } from './run.js';
import { INVARIANTS } from './invariants.js';

export function formatFailure(config: Config, history: History, result: RunResult): string {
  const v = result.violation;
  if (v === null) return 'no violation';
  const inv = INVARIANTS.find((i) => i.id === v.invariant);
  const lines = [
    `VIOLATED ${v.invariant} (${v.tag}): ${inv?.title ?? ''}`,
    `  ${v.message}`,
    `  at ${v.step < 0 ? 'the end of the run' : `step ${v.step}`}; swarm: ${describeSwarm(history.swarm)}`,
    `  history (${history.events.length} events, then the liveness phase):`,
  ];
  let s = initialState(config);
  result.events.forEach((e, i) => {
    if (v.step >= 0 && i > v.step) return;
    const r = step(s, e);
    s = r.state;
    const mark = i === v.step ? '>>' : '  ';
    const phase = i < history.events.length ? '' : ' (liveness)';
    const seen = r.observations.filter((o) => o.kind !== 'noop').map(describeObservation);
    lines.push(`  ${mark} ${String(i).padStart(3)} ${describeEvent(e, config)}${phase}${seen.length > 0 ? `  => ${seen.join('; ')}` : ''}`);
  });
  lines.push(`  events as data: ${JSON.stringify(history.events)}`);
  return lines.join('\n');
}
