// aurora-harness show FILE [--html OUT]: a counterexample as a timeline. One row per step: the
// event, one lane per node (the writer, the replicas, the storage nodes grouped by AZ) marking
// who is down, cut off or blank, the writer's epoch and watermarks as they move, and what the
// step observed; the violating step highlighted. Chalk honours NO_COLOR. --html writes the same
// timeline as one self-contained page (no network access needed to open it).

import { writeFileSync } from 'node:fs';
import chalk from 'chalk';
import type { State } from '../../model/state.js';
import { isWriterUp } from '../../model/state.js';
import { STORAGE_NODES, allNodes, computeNodes, membersOf, type Config, type NodeId, type TruncationRange } from '../../model/types.js';
import type { Event } from '../../model/events.js';
import { describeEvent, describeMessage, describeObservation, describeRecord } from '../../model/describe.js';
import { sclOf } from '../../model/log.js';
import { choose } from '../../model/network.js';
import { initialState, step } from '../../model/step.js';
import { watermarks } from '../../model/watermarks.js';
import { configOf } from '../shrinks.js';
import { runHistory } from '../run.js';
import { UsageError, count, counterexampleFile, errorCode, outputFile, parse } from './common.js';

export const HELP = `usage: aurora-harness show FILE [--html OUT] [--at STEP [--pg P]]

Draws a counterexample as a timeline: per step the event, a lane per node (W and replicas, then
storage nodes by AZ: '.' up, 'x' crashed or down, '/' cut off from the writer, 'b' blank disk),
the messages in flight to each node after the step (one digit per lane, '+' for ten or more),
the writer's epoch, VDL, VCL and the point its log is released to (rel), the messages the step
delivered, dropped or duplicated, and the observations. The violating step is marked '>>'.

options:
  --html OUT      also write the timeline as one self-contained HTML file
  --at STEP       then print the model's state after step STEP (a step number of the timeline,
                  the liveness phase's too): the control plane's memberships; each compute
                  node (a writer's epoch, watermarks and what acks told it per PG and segment; a
                  replica's VDL); each storage node's segments (promised, sealed and membership
                  epochs, incarnation, SCL, GC point, truncation ranges, records); the messages
                  in flight
  --pg P          with --at, only PG P's segments and writer view (default: every PG)
  -h, --help      this text

exit codes: 0 drawn, 2 bad input`;

interface Row { index: number; event: string; lanes: string; inflight: string; writer: string; msgs: string[]; seen: string[]; liveness: boolean; violating: boolean }

function lane(s: State, node: NodeId): string {
  const cut = (a: NodeId, b: NodeId) => s.world.cuts.some((c) => c.includes(a) !== c.includes(b));
  if (STORAGE_NODES.includes(node)) {
    const n = s.storage[node]!;
    if (!n.volatile.up) return 'x';
    if (n.durable.segments.some((seg) => seg.blank)) return 'b';
    return cut(node, s.control.writer) ? '/' : '.';
  }
  const c = s.compute[node]!;
  if (c.status === 'down') return 'x';
  const mark = node === s.control.writer ? (c.status === 'active' ? 'W' : 'r') : c.status === 'replica' ? 'R' : 'w';
  return cut(node, s.control.writer) && node !== s.control.writer ? mark.toLowerCase() : mark;
}

/** Groups per-node characters as the lanes are drawn: compute nodes, then storage by AZ. */
function grouped(config: Config, f: (n: NodeId) => string): string {
  return `${computeNodes(config).map(f).join('')} ${['A', 'B', 'C'].map((az) => STORAGE_NODES.filter((n) => n[0] === az).map(f).join('')).join(' ')}`;
}

function inflight(s: State, n: NodeId): string {
  const k = s.world.net[n]?.length ?? 0;
  return k === 0 ? '.' : k < 10 ? String(k) : '+';
}

/** The messages an event moves, read from the state before it (the model's own choice rule). */
function moved(s: State, e: Event): string[] {
  if (e.type === 'deliver' || e.type === 'drop' || e.type === 'duplicate') {
    const c = choose(s.world, allNodes(s.config), e.node, e.k);
    if (c === null) return [];
    const verb = e.type === 'deliver' ? '' : `${e.type} `;
    return [verb + describeMessage(s.world.net[c.to]![c.index]!)];
  }
  if (e.type === 'deliverAll') {
    const per = allNodes(s.config).map((n) => [n, s.world.net[n]?.length ?? 0] as const).filter(([, k]) => k > 0);
    const total = per.reduce((a, [, k]) => a + k, 0);
    return total === 0 ? [] : [`${total} delivered (${per.map(([n, k]) => `->${n} ${k}`).join(', ')})`];
  }
  return [];
}

function rows(file: string, at: number | null = null): { rows: Row[]; nodes: NodeId[]; title: string; violation: string; state: State | null; steps: number } {
  const { c } = counterexampleFile(file);
  const config = configOf(c);
  const run = runHistory(config, c.events, { impl: true });
  const nodes = [...computeNodes(config), ...STORAGE_NODES];
  let s = initialState(config);
  const out: Row[] = [];
  let state: State | null = null;
  run.events.forEach((e, index) => {
    const past = run.violation !== null && run.violation.step >= 0 && index > run.violation.step;
    // Past the violating step the timeline stops; the state still steps on, for --at.
    if (past && (at === null || index > at)) return;
    const msgs = moved(s, e);
    const r = step(s, e);
    s = r.state;
    if (index === at) state = s;
    if (past) return;
    const w = s.compute[s.control.writer];
    const m = isWriterUp(w) ? watermarks(config, s.control.pgs, w) : null;
    out.push({
      index, event: describeEvent(e, config),
      lanes: grouped(config, (n) => lane(s, n)),
      inflight: grouped(config, (n) => inflight(s, n)),
      msgs,
      writer: m === null || !isWriterUp(w) ? `${s.control.writer} ${w?.status}` : `${s.control.writer} e${w.epoch} vdl ${m.vdl} vcl ${m.vcl} rel ${w.released}`,
      seen: r.observations.filter((o) => o.kind !== 'noop').map(describeObservation),
      liveness: index >= c.events.length,
      violating: run.violation?.step === index,
    });
  });
  const violation = run.violation === null ? 'every invariant holds' : `VIOLATED ${run.violation.invariant}: ${run.violation.message}`;
  return { rows: out, nodes, title: c.title, violation, state, steps: run.events.length };
}

/** As describeMessage writes a seal's ranges. */
const rangeText = (x: TruncationRange): string => `e${x.epoch}(${x.from},${x.to}]`;

/** The model's state after a step, for reading a counterexample closely (show --at). */
export function describeState(s: State, pg: number | null): string {
  const pgs = s.control.pgs.map((m, i) => [m, i] as const).filter(([, i]) => pg === null || i === pg);
  const out: string[] = [];
  out.push(`control: writer ${s.control.writer}, next epoch ${s.control.epochNext}`);
  for (const [m, i] of pgs) {
    out.push(`  PG ${i} m${m.epoch}: ${m.sets.map((set) => set.join('')).join(' + ')}${m.full.length < 6 ? `, full ${m.full.join(',')}` : ''}`);
  }
  out.push('compute:');
  for (const n of computeNodes(s.config)) {
    const c = s.compute[n]!;
    if (c.status === 'down') out.push(`  ${n} down`);
    else if (c.status === 'replica') out.push(`  ${n} replica of ${c.writer ?? '-'} e${c.epoch}, vdl ${c.vdl ?? '-'}, ${c.buffer.length} buffered, cache ${c.cache.map((p) => `p${p.page}`).join(',') || '-'}`);
    else if (c.status === 'recovering') out.push(`  ${n} recovering e${c.epoch}, responses ${pgs.map(([, i]) => `PG ${i}: ${(c.responses[i] ?? []).map((r) => r.node).join(',') || '-'}`).join('; ')}`);
    else {
      const m = watermarks(s.config, s.control.pgs, c);
      out.push(`  ${n} ${c.status} e${c.epoch}: vdl ${m.vdl} vcl ${m.vcl}, released ${c.released}, plan vdl ${c.plan.vdl} truncating (${c.plan.vdl},${c.plan.truncateTo}], ranges ${c.plan.ranges.map(rangeText).join(' ') || '-'}`);
      for (const [, i] of pgs) {
        const nodes = [...new Set([...Object.keys(c.scl[i] ?? {}), ...Object.keys(c.sealed[i] ?? {}), ...Object.keys(c.incarnations[i] ?? {})])].sort();
        const seg = (x: NodeId) => `${x} scl ${c.scl[i]?.[x] ?? '-'}${c.sealed[i]?.[x] !== undefined ? ` sealed#${c.sealed[i]![x]}` : ''} inc ${c.incarnations[i]?.[x] ?? '-'}`;
        out.push(`    PG ${i}: reached ${c.reached[i] ?? '-'}; ${nodes.map(seg).join(', ') || 'nothing heard'}`);
      }
    }
  }
  out.push('storage:');
  for (const n of STORAGE_NODES) {
    const node = s.storage[n]!;
    out.push(`  ${n} ${node.volatile.up ? 'up' : 'down'}${node.volatile.queue.length > 0 ? `, ${node.volatile.queue.length} received not persisted` : ''}`);
    for (const [, i] of pgs) {
      const g = node.durable.segments[i]!;
      // A node outside the PG's sets with nothing in its segment: not listed.
      if (!membersOf(s.control.pgs[i]!).includes(n) && g.records.length === 0 && g.ranges.length === 0) continue;
      out.push(`    PG ${i}${g.blank ? ' blank' : ''}: e${g.epoch} sealed e${g.sealedEpoch} m${g.membership} inc ${g.incarnation}, scl ${sclOf(g)}, gc ${g.gcPoint}, pgmrpl ${g.pgmrpl}, ranges ${g.ranges.map(rangeText).join(' ') || '-'}, records ${g.records.map(describeRecord).join(' ') || '-'}`);
    }
  }
  const queued = allNodes(s.config).flatMap((n) => (s.world.net[n] ?? []).map(describeMessage));
  out.push(`in flight (${queued.length}):${queued.length === 0 ? ' none' : ''}`);
  for (const q of queued) out.push(`  ${q}`);
  return out.join('\n');
}

function terminal(t: ReturnType<typeof rows>): string {
  const head = `${chalk.bold(t.title)}\n${t.violation.startsWith('VIOLATED') ? chalk.red(t.violation) : chalk.green(t.violation)}\n`
    + `lanes: ${t.nodes.filter((n) => !STORAGE_NODES.includes(n)).join('')} | A1A2A3 B1B2B3 C1C2C3   ('.' up, 'x' down, '/' cut off, 'b' blank), then messages in flight to each\n`;
  const body = t.rows.map((r) => {
    const mark = r.violating ? chalk.red.bold('>>') : '  ';
    const event = (r.liveness ? chalk.dim : chalk.cyan)(r.event.padEnd(34));
    const msgs = r.msgs.length === 0 ? '' : `  ${chalk.blue(r.msgs.join('; '))}`;
    const seen = r.seen.length === 0 ? '' : `  ${chalk.yellow(r.seen.join('; '))}`;
    return `${mark} ${String(r.index).padStart(3)} ${event} ${r.lanes}  ${chalk.dim(r.inflight)}  ${chalk.magenta(r.writer.padEnd(32))}${msgs}${seen}`;
  });
  return head + body.join('\n');
}

const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function html(t: ReturnType<typeof rows>): string {
  const body = t.rows.map((r) => `<tr class="${r.violating ? 'bad' : r.liveness ? 'live' : ''}"><td>${r.index}</td><td>${esc(r.event)}</td><td class="mono">${esc(r.lanes)}</td><td class="mono">${esc(r.inflight)}</td><td>${esc(r.writer)}</td><td class="msg">${r.msgs.map(esc).join('<br>')}</td><td>${r.seen.map(esc).join('<br>')}</td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(t.title)}</title><style>
body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 8px;vertical-align:top;font-size:13px}
.mono{font-family:monospace;white-space:pre}.bad{background:#fdd;font-weight:bold}.live{color:#777}.msg{color:#225;font-family:monospace;font-size:12px}.v{color:${t.violation.startsWith('VIOLATED') ? '#b00' : '#070'}}
</style></head><body><h1>${esc(t.title)}</h1><p class="v">${esc(t.violation)}</p>
<p>Lanes: compute nodes (W writer, R replica, x down), then storage A1A2A3 B1B2B3 C1C2C3 ('.' up, 'x' down, '/' cut off from the writer, 'b' blank disk); in flight: messages queued to each lane after the step ('+' for ten or more). Grey rows are the liveness phase.</p>
<table><tr><th>#</th><th>event</th><th>lanes</th><th>in flight</th><th>writer</th><th>messages moved</th><th>observed</th></tr>
${body}
</table></body></html>
`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { html: { type: 'string' }, at: { type: 'string' }, pg: { type: 'string' } }, 1);
  if (values.help) return (console.log(HELP), 0);
  const out = typeof values.html === 'string' ? outputFile('--html', values.html) : null;
  if (values.pg !== undefined && values.at === undefined) throw new UsageError('--pg: only with --at');
  const at = values.at === undefined ? null : count('--at', values.at, 0);
  const pg = values.pg === undefined ? null : count('--pg', values.pg, 0);
  const t = rows(positionals[0] as string, at);
  const state: State | null = t.state;
  if (at !== null && state === null) throw new UsageError(`--at: step ${at} is past the history's last step, ${t.steps - 1}`);
  if (state !== null && pg !== null && pg >= state.control.pgs.length) throw new UsageError(`--pg: the volume has PGs 0 to ${state.control.pgs.length - 1} after step ${at}`);
  console.log(terminal(t));
  if (state !== null) console.log(`\nstate after step ${at}:\n${describeState(state, pg)}`);
  if (out !== null) {
    try {
      writeFileSync(out, html(t));
    } catch (e) {
      const code = errorCode(e);
      if (code === null) throw e;
      throw new UsageError(`--html: could not write ${out} (${code})`);
    }
    console.log(`\nwrote ${out}`);
  }
  return 0;
}
