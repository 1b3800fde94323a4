import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Quorum, QuorumPair } from './quorum.js';
import {
  and, atLeast, checkIntersection, describeQuorum, evaluate, fullTailQuorums, membersOf, or,
  uniformQuorums, wins,
} from './quorum.js';

const SIX = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;
const FULL = ['A1', 'B1', 'C1'] as const;
const set = (...xs: string[]): Set<string> => new Set(xs);
const NONE = set();

describe('evaluate: atLeast', () => {
  const q = atLeast(2, ['a', 'b', 'c']);

  it('is pending while neither outcome is decided', () => {
    expect(evaluate(q, NONE, NONE)).toBe('pending');
    expect(evaluate(q, set('a'), NONE)).toBe('pending');
    expect(evaluate(q, set('a'), set('b'))).toBe('pending');
  });

  it('is won once k members said yes, whatever the others said', () => {
    expect(evaluate(q, set('a', 'b'), NONE)).toBe('won');
    expect(evaluate(q, set('a', 'c'), set('b'))).toBe('won');
    expect(evaluate(q, set('a', 'b', 'c'), NONE)).toBe('won');
  });

  it('is lost once fewer than k members can still say yes', () => {
    expect(evaluate(q, NONE, set('a', 'b'))).toBe('lost');
    expect(evaluate(q, set('c'), set('a', 'b'))).toBe('lost');
  });

  it('ignores votes of non-members', () => {
    expect(evaluate(q, set('x', 'y', 'z'), NONE)).toBe('pending');
    expect(evaluate(q, NONE, set('x', 'y', 'z'))).toBe('pending');
  });

  it('rejects thresholds that are not quorums', () => {
    expect(() => atLeast(0, ['a'])).toThrow();
    expect(() => atLeast(2, ['a'])).toThrow();
    expect(() => atLeast(1.5, ['a', 'b'])).toThrow();
  });

  it('copies its member list', () => {
    const of = ['a', 'b'];
    const q2 = atLeast(1, of);
    of.push('c');
    expect(membersOf(q2)).toEqual(['a', 'b']);
  });
});

describe('evaluate: and / or', () => {
  const x = atLeast(1, ['a']);
  const y = atLeast(1, ['b']);

  it('and is won when every part is won, lost when any part is lost', () => {
    expect(evaluate(and(x, y), set('a', 'b'), NONE)).toBe('won');
    expect(evaluate(and(x, y), set('a'), NONE)).toBe('pending');
    expect(evaluate(and(x, y), set('a'), set('b'))).toBe('lost');
    expect(evaluate(and(x, y), NONE, set('b'))).toBe('lost');
  });

  it('or is won when any part is won, lost when every part is lost', () => {
    expect(evaluate(or(x, y), set('a'), NONE)).toBe('won');
    expect(evaluate(or(x, y), set('a'), set('b'))).toBe('won');
    expect(evaluate(or(x, y), NONE, set('b'))).toBe('pending');
    expect(evaluate(or(x, y), NONE, set('a', 'b'))).toBe('lost');
  });

  it('nests', () => {
    const q = or(and(x, y), atLeast(2, ['c', 'd', 'e']));
    expect(evaluate(q, set('c', 'e'), NONE)).toBe('won');
    expect(evaluate(q, set('a', 'b'), NONE)).toBe('won');
    expect(evaluate(q, set('a', 'c'), set('b'))).toBe('pending');
    expect(evaluate(q, set('a', 'c'), set('b', 'd', 'e'))).toBe('lost');
  });

  it('describes itself', () => {
    expect(describeQuorum(or(and(x, y), atLeast(2, ['c', 'd'])))).toBe('((1/1{a} AND 1/1{b}) OR 2/2{c,d})');
  });
});

describe('uniformQuorums: 4/6 writes, 3/6 reads', () => {
  const { write, read } = uniformQuorums(SIX);

  it('writes need four segments', () => {
    expect(wins(write, ['A1', 'A2', 'B1', 'B2'])).toBe(true);
    expect(wins(write, ['A1', 'B1', 'C1', 'C2'])).toBe(true);
    expect(wins(write, ['A1', 'A2', 'B1'])).toBe(false);
    // one AZ down: the other two AZs still make a write quorum
    expect(wins(write, ['A1', 'A2', 'B1', 'B2'])).toBe(true);
    // an AZ plus one more down: writes are unavailable
    expect(evaluate(write, set('A1', 'A2', 'B1'), set('C1', 'C2', 'B2'))).toBe('lost');
    expect(evaluate(write, set('A1', 'A2', 'B1'), set('C1', 'C2'))).toBe('pending');
  });

  it('reads need three segments: AZ+1 down still leaves a read quorum', () => {
    expect(wins(read, ['A1', 'A2', 'B1'])).toBe(true);
    expect(wins(read, ['A1', 'B1'])).toBe(false);
    expect(evaluate(read, NONE, set('C1', 'C2', 'B2'))).toBe('pending');
    expect(evaluate(read, NONE, set('C1', 'C2', 'B2', 'A1'))).toBe('lost');
  });
});

describe('fullTailQuorums: write = 4/6 OR 3/3 full; read = 3/6 AND 1/3 full', () => {
  const { write, read } = fullTailQuorums(SIX, FULL);

  it('writes win with the three full segments alone, or with any four', () => {
    expect(wins(write, ['A1', 'B1', 'C1'])).toBe(true);
    expect(wins(write, ['A2', 'B2', 'C2', 'A1'])).toBe(true);
    expect(wins(write, ['A2', 'B2', 'C2'])).toBe(false);
    expect(wins(write, ['A1', 'B1', 'A2'])).toBe(false);
  });

  it('write votes are three-valued', () => {
    // tails all refused: 4/6 is impossible, 3/3 full still open
    expect(evaluate(write, NONE, set('A2', 'B2', 'C2'))).toBe('pending');
    // one full and two tails refused: both branches impossible
    expect(evaluate(write, set('B1', 'C1', 'C2'), set('A1', 'A2', 'B2'))).toBe('lost');
    expect(evaluate(write, set('A1', 'B1'), set('A2', 'B2', 'C2'))).toBe('pending');
  });

  it('reads need three segments of which at least one is full', () => {
    expect(wins(read, ['A2', 'B2', 'A1'])).toBe(true);
    expect(wins(read, ['A1', 'B1', 'C1'])).toBe(true);
    expect(wins(read, ['A2', 'B2', 'C2'])).toBe(false);
    expect(wins(read, ['A1', 'B1'])).toBe(false);
    expect(evaluate(read, set('A2', 'B2', 'C2'), set('A1', 'B1', 'C1'))).toBe('lost');
    expect(evaluate(read, set('A2', 'B2', 'C2'), set('A1', 'B1'))).toBe('pending');
  });
});

describe('checkIntersection', () => {
  const letters = ['A', 'B', 'C', 'D', 'E', 'F'];

  it('accepts the quorums the system uses', () => {
    expect(checkIntersection(uniformQuorums(SIX))).toBeNull();
    expect(checkIntersection(fullTailQuorums(SIX, FULL))).toBeNull();
  });

  it('finds a read quorum that misses a write quorum (3/6 writes, 3/6 reads)', () => {
    const failure = checkIntersection({ write: atLeast(3, letters), read: atLeast(3, letters) });
    expect(failure).toEqual({ kind: 'read-write', first: ['A', 'B', 'C'], second: ['D', 'E', 'F'] });
  });

  it('finds two disjoint write quorums (3/6 writes, 4/6 reads: 2 * 3 = 6 is not > 6)', () => {
    const failure = checkIntersection({ write: atLeast(3, letters), read: atLeast(4, letters) });
    expect(failure?.kind).toBe('write-write');
    expect(failure?.first).toEqual(['A', 'B', 'C']);
    expect(failure?.second).toEqual(['D', 'E', 'F']);
  });

  it('finds the hole in a full/tail variant whose reads skip the full segments', () => {
    const pair: QuorumPair = { write: fullTailQuorums(SIX, FULL).write, read: atLeast(3, SIX) };
    const failure = checkIntersection(pair);
    expect(failure?.kind).toBe('read-write');
    expect(failure?.first).toEqual(['A1', 'B1', 'C1']);
    expect(failure?.second).toEqual(['A2', 'B2', 'C2']);
  });

  it('every failure it reports is a real counterexample', () => {
    const broken: QuorumPair[] = [
      { write: atLeast(3, letters), read: atLeast(3, letters) },
      { write: atLeast(3, letters), read: atLeast(4, letters) },
      { write: or(atLeast(4, letters), atLeast(2, ['A', 'B'])), read: atLeast(3, letters) },
    ];
    for (const pair of broken) {
      const f = checkIntersection(pair);
      expect(f).not.toBeNull();
      expect(f!.first.filter((m) => f!.second.includes(m))).toEqual([]);
      expect(wins(pair.write, f!.first)).toBe(true);
      expect(wins(f!.kind === 'read-write' ? pair.read : pair.write, f!.second)).toBe(true);
    }
  });

  it('accepts the joint quorum of a membership change ABCDEF -> ABCDEG', () => {
    const before = ['A', 'B', 'C', 'D', 'E', 'F'];
    const after = ['A', 'B', 'C', 'D', 'E', 'G'];
    const joint: QuorumPair = {
      write: and(atLeast(4, before), atLeast(4, after)),
      read: or(atLeast(3, before), atLeast(3, after)),
    };
    expect(checkIntersection(joint)).toBeNull();
    // and the joint quorum behaves as described
    expect(wins(joint.write, ['A', 'B', 'C', 'D'])).toBe(true);
    expect(wins(joint.write, ['A', 'B', 'C', 'F'])).toBe(false);
    expect(wins(joint.write, ['A', 'B', 'C', 'F', 'G'])).toBe(true);
    expect(wins(joint.read, ['D', 'E', 'G'])).toBe(true);
    expect(wins(joint.read, ['F', 'G'])).toBe(false);
  });

  it('rejects a joint quorum whose reads only need one side', () => {
    const before = ['A', 'B', 'C', 'D', 'E', 'F'];
    const after = ['A', 'B', 'C', 'D', 'E', 'G'];
    // writes only to the new set, reads from either: a read of the old set can miss a write
    const pair: QuorumPair = {
      write: atLeast(4, after),
      read: or(atLeast(3, before), atLeast(3, after)),
    };
    expect(checkIntersection(pair)?.kind).toBe('read-write');
  });
});

// ---- Property: evaluate is monotone and exact -------------------------------------------------

const UNIVERSE = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

const leafArb: fc.Arbitrary<Quorum> = fc
  .subarray(UNIVERSE, { minLength: 1 })
  .chain((of) => fc.integer({ min: 1, max: of.length }).map((k) => atLeast(k, of)));

const { quorum: quorumArb } = fc.letrec<{ quorum: Quorum }>((tie) => ({
  quorum: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'quorum' },
    leafArb,
    fc.array(tie('quorum'), { minLength: 1, maxLength: 3 }).map((parts) => and(...parts)),
    fc.array(tie('quorum'), { minLength: 1, maxLength: 3 }).map((parts) => or(...parts)),
  ),
}));

type Ballot = 'yes' | 'no' | 'pending';
const ballotArb = fc.array(fc.constantFrom<Ballot>('yes', 'no', 'pending'), {
  minLength: UNIVERSE.length, maxLength: UNIVERSE.length,
});
const extraArb = fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length });

function votes(ballot: readonly Ballot[]): { yes: Set<string>; no: Set<string> } {
  return {
    yes: new Set(UNIVERSE.filter((_, i) => ballot[i] === 'yes')),
    no: new Set(UNIVERSE.filter((_, i) => ballot[i] === 'no')),
  };
}

const params = { seed: Number(process.env.SEED ?? 42), numRuns: 200 };

describe('evaluate (property)', () => {
  it('is monotone: more yes votes never undo won, more no votes never undo lost', () => {
    fc.assert(
      fc.property(quorumArb, ballotArb, extraArb, (q, ballot, extra) => {
        const { yes, no } = votes(ballot);
        const before = evaluate(q, yes, no);
        // members that turn to yes (from pending or no)
        const moreYes = new Set([...yes, ...UNIVERSE.filter((m, i) => extra[i] && !yes.has(m))]);
        const fewerNo = new Set([...no].filter((m) => !moreYes.has(m)));
        const afterYes = evaluate(q, moreYes, fewerNo);
        if (before === 'won') expect(afterYes).toBe('won');
        if (afterYes === 'lost') expect(before).toBe('lost');
        // members that turn to no (from pending only)
        const moreNo = new Set([...no, ...UNIVERSE.filter((m, i) => extra[i] && !yes.has(m))]);
        const afterNo = evaluate(q, yes, moreNo);
        if (before === 'lost') expect(afterNo).toBe('lost');
        if (before === 'won') expect(afterNo).toBe('won');
      }),
      params,
    );
  });

  it('won with yes-set Y implies wins(q, Y); the three values are exact', () => {
    fc.assert(
      fc.property(quorumArb, ballotArb, (q, ballot) => {
        const { yes, no } = votes(ballot);
        const v = evaluate(q, yes, no);
        if (v === 'won') expect(wins(q, yes)).toBe(true);
        // exact: won iff Y alone wins; lost iff even every undecided member cannot make it win
        const possible = UNIVERSE.filter((m) => !no.has(m));
        const expected = wins(q, yes) ? 'won' : wins(q, possible) ? 'pending' : 'lost';
        expect(v).toBe(expected);
      }),
      params,
    );
  });
});
