// The mutant self-test, part 1: the catalog is whole, and every mutant's shrunk counterexample in
// shrinks/mutants/ replays with its bug on, strictly: the recorded violation and exactly the
// recorded observations. A model+impl mutant must be caught by an invariant on the model's run, an
// impl-only one by lockstep disagreement. REWRITE=1 regenerates the recorded observations.
// (properties/shrinks.test.ts replays the top-level shrinks/*.json only, without any bug.)

import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, MUTANTS, catalogProblems, mutantNamed } from './mutants.js';
import { MUTANTS_DIR } from './commands/mutants.js';
import { SHRINKS_DIR, configOf, loadCounterexample, replay, rewrite } from './shrinks.js';
import { replicaVdlBackwards, writerSclBackwards } from './guarantees/segments.js';
import type { State, WriterUp } from '../model/state.js';
import type { StepView } from './invariant.js';
import type { Config } from '../model/types.js';
import type { Event } from '../model/events.js';
import { runHistory } from './run.js';
import { INVARIANTS } from './invariants.js';

const LOCKSTEP = ['agreement', 'agreement-state'];

/** The first violation of invariant `id` alone, on `events` under `config` (null: it held). */
function violationOf(config: Config, events: readonly Event[], id: string) {
  return runHistory(config, events, { invariants: INVARIANTS.filter((i) => i.id === id) }).violation;
}

describe('the mutant catalog', () => {
  it('lists every bug name once, at least 15, in every family, on both paths', () => {
    expect(catalogProblems()).toEqual([]);
    expect(MUTANTS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(MUTANTS.map((m) => m.family))).toEqual(new Set(FAMILIES));
    expect(MUTANTS.filter((m) => m.where === 'impl').length).toBeGreaterThanOrEqual(3);
    expect(MUTANTS.filter((m) => m.where === 'model+impl').length).toBeGreaterThanOrEqual(3);
  });

  it('shrinks/mutants/ holds a counterexample for each mutant and nothing else', () => {
    const files = readdirSync(MUTANTS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.filter((f) => mutantNamed(f.slice(0, -'.json'.length)) === undefined)).toEqual([]);
    expect(MUTANTS.filter((m) => !files.includes(`${m.name}.json`)).map((m) => m.name)).toEqual([]);
  });
});

describe('each mutant\'s shrunk counterexample replays with its bug on', () => {
  for (const m of MUTANTS) {
    it(`${m.name} (${m.where})`, () => {
      const file = join(MUTANTS_DIR, `${m.name}.json`);
      expect(existsSync(file), `run: aurora-harness mutants --only ${m.name}`).toBe(true);
      if (process.env.REWRITE === '1') rewrite(file);
      const c = loadCounterexample(file);
      expect(c.config.bugs).toEqual([m.name]);
      expect(c.violation, 'a mutant counterexample records the violation it must reproduce').toBeTypeOf('string');
      const r = replay(c);
      expect(r.violation, `${c.title} (${r.message ?? 'no violation'})`).toBe(c.violation);
      expect(r.actual, 'observations differ from the recorded ones (REWRITE=1 regenerates them; review the diff)').toEqual(c.expected);
      expect(LOCKSTEP.includes(c.violation!), `${m.where} mutant caught by ${c.violation}`).toBe(m.where === 'impl');
    });
  }
});

describe('each historical mutant brings back the bug its kept counterexample was found by', () => {
  // The kept file holds on the fixed protocol (shrinks.test.ts); with the fix undone by the bug's
  // guard it must fail again, on the invariant that found it. So an invariant weakened until it no
  // longer sees a bug the explorations once found fails here, not just in a long exploration.
  for (const m of MUTANTS.filter((x) => x.historical !== undefined)) {
    it(`${m.name}: shrinks/${m.historical!.kept}`, () => {
      const c = loadCounterexample(join(SHRINKS_DIR, m.historical!.kept));
      expect(c.violation, 'the kept counterexample holds on the fixed protocol').toBeNull();
      expect(c.invariant, 'the kept counterexample names the invariant that found it').toBeTypeOf('string');
      expect(c.config.bugs ?? []).toEqual([]);
      const config = configOf({ config: { ...c.config, bugs: [m.name] } });
      // That invariant alone sees it again (a stronger one added since may see it first: below).
      const found = violationOf(config, c.events, c.invariant!);
      expect(found?.invariant, 'the invariant that found the bug sees it again').toBe(c.invariant);
      expect(runHistory(config, c.events, { impl: true }).violation, 'with every invariant on').not.toBeNull();
    });
  }
});

describe('strengthened with the catalog', () => {
  // A reordered ack that lowers the writer's view of a segment's SCL is masked by the PGCL the
  // writer remembers; watermark-monotonic now checks the view itself. (The generator rarely
  // delivers two acks of one segment out of order, so that bug is not in the catalog.)
  it('watermark-monotonic sees the writer\'s view of a segment\'s SCL move back', () => {
    const view = (scl: Record<string, number>[], incarnations = scl.map((x) => Object.fromEntries(Object.keys(x).map((n) => [n, 1])))) =>
      ({ epoch: 2, scl, incarnations }) as unknown as WriterUp;
    expect(writerSclBackwards(view([{ A1: 5 }, { B1: 2 }]), view([{ A1: 5 }, { B1: 4 }]))).toBeNull();
    expect(writerSclBackwards(view([{ A1: 5 }]), view([{ A1: 3 }]))).toContain('SCL of A1 PG 0 went 5 -> 3');
    // A newer incarnation of the segment (a reused spare, a new disk) starts over; the incarnation itself never goes back.
    expect(writerSclBackwards(view([{ A1: 5 }]), view([{ A1: 0 }], [{ A1: 2 }]))).toBeNull();
    expect(writerSclBackwards(view([{ A1: 5 }], [{ A1: 2 }]), view([{ A1: 5 }], [{ A1: 1 }]))).toContain('incarnation of A1 PG 0 went 2 -> 1');
  });

  // Likewise a delayed VDL update that moves a replica's VDL back: replica-monotonic-reads judged
  // only completed reads, and the generator rarely reorders two VDL updates before two reads.
  it('replica-monotonic-reads sees a replica\'s VDL move back within an epoch', () => {
    const replica = (epoch: number, vdl: number | null) => ({ status: 'replica', epoch, vdl });
    const step = (a: object, b: object) => ({ prev: { compute: { R1: a } } as unknown as State, next: { compute: { R1: b } } as unknown as State }) as StepView;
    expect(replicaVdlBackwards(step(replica(2, 5), replica(2, 7)))).toBeNull();
    expect(replicaVdlBackwards(step(replica(2, 5), replica(3, 1)))).toBeNull();
    expect(replicaVdlBackwards(step(replica(2, 5), replica(2, 3)))).toContain('R1 moved its VDL back from 5 to 3');
  });

  // A restarted replica that takes a VDL update sent to its earlier process reads below the point
  // its writer counts for it in PGMRPL. gc-safe sees that only once a segment coalesces past a
  // read pending there; replica-point-held sees the read point itself, as it is taken.
  it('replica-point-held sees the kept replica bug when the stale VDL is taken, before gc-safe', () => {
    const c = loadCounterexample(join(SHRINKS_DIR, 'replica-restart-stale-vdl.json'));
    const config = configOf({ config: { ...c.config, bugs: ['replica-restart-keeps-queue'] } });
    const held = violationOf(config, c.events, 'replica-point-held');
    const gc = violationOf(config, c.events, 'gc-safe');
    expect(held?.message).toContain('below the read point');
    expect(gc).not.toBeNull();
    expect(held!.step).toBeLessThan(gc!.step);
    expect(held!.step).toBeLessThan(c.events.length);
    expect(violationOf(configOf(c), c.events, 'replica-point-held')).toBeNull();
  });
});
