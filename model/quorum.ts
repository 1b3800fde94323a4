// Quorum expressions over member sets, with a three-valued answer.
//
// Method: a quorum is a small boolean expression (k-of-n, AND, OR) over member names. Given the
// members that said yes and the members that said no (everyone else has not answered yet), an
// expression is `won` when the yes-set already satisfies it, `lost` when it cannot be satisfied
// even if every pending member says yes, and `pending` otherwise (etcd quorum/: majority, joint).
// The Aurora quorums are all expressible this way: 4/6 writes and 3/6 reads, the 2018 full/tail
// variant, and the joint quorums of a membership change. Pure and tiny on purpose.

export type Quorum =
  | { readonly kind: 'atLeast'; readonly k: number; readonly of: readonly string[] }
  | { readonly kind: 'and'; readonly parts: readonly Quorum[] }
  | { readonly kind: 'or'; readonly parts: readonly Quorum[] };

export type Vote = 'won' | 'lost' | 'pending';

export interface QuorumPair {
  readonly write: Quorum;
  readonly read: Quorum;
}

// V = 6 segments, Vw = 4, Vr = 3 (SIGMOD 2017 §2.1). The relations are asserted where defined:
// a read quorum meets every write quorum, and two write quorums always meet.
export const SEGMENTS_PER_PG = 6;
export const WRITE_QUORUM = 4;
export const READ_QUORUM = 3;
assertConstant(READ_QUORUM + WRITE_QUORUM > SEGMENTS_PER_PG, 'Vr + Vw > V');
assertConstant(2 * WRITE_QUORUM > SEGMENTS_PER_PG, '2 Vw > V');

// The 2018 cost-reduced variant: 3 full segments (log + pages) and 3 tail segments (log only).
export const FULL_SEGMENTS = 3;
assertConstant(FULL_SEGMENTS * 2 === SEGMENTS_PER_PG, 'half the segments are full');

function assertConstant(holds: boolean, relation: string): void {
  if (!holds) throw new Error(`quorum constants violate ${relation}`);
}

export function atLeast(k: number, of: readonly string[]): Quorum {
  const members = [...new Set(of)];
  if (!Number.isInteger(k) || k < 1 || k > members.length) {
    throw new Error(`atLeast(${k}) over ${members.length} members is not a quorum`);
  }
  return { kind: 'atLeast', k, of: members };
}
export const and = (...parts: Quorum[]): Quorum => ({ kind: 'and', parts });
export const or = (...parts: Quorum[]): Quorum => ({ kind: 'or', parts });

/** 4/6 writes, 3/6 reads over the six members of a protection group. */
export function uniformQuorums(members: readonly string[]): QuorumPair {
  return {
    write: atLeast(WRITE_QUORUM, members),
    read: atLeast(READ_QUORUM, members),
  };
}

/**
 * The 2018 full/tail variant: writes need 4/6 of any OR 3/3 of the full segments; reads need 3/6
 * of any AND 1/3 of the full segments (so a read quorum can always materialize pages).
 */
export function fullTailQuorums(members: readonly string[], full: readonly string[]): QuorumPair {
  return {
    write: or(atLeast(WRITE_QUORUM, members), atLeast(full.length, full)),
    read: and(atLeast(READ_QUORUM, members), atLeast(1, full)),
  };
}

export function evaluate(q: Quorum, yes: ReadonlySet<string>, no: ReadonlySet<string>): Vote {
  switch (q.kind) {
    case 'atLeast': {
      let won = 0;
      let lost = 0;
      for (const m of q.of) {
        if (yes.has(m)) won++;
        else if (no.has(m)) lost++;
      }
      if (won >= q.k) return 'won';
      if (q.of.length - lost < q.k) return 'lost';
      return 'pending';
    }
    // Lost if any part is lost; won if every part is won.
    case 'and': return combined(q.parts, 'lost', 'won', yes, no);
    // Won if any part is won; lost if every part is lost.
    case 'or': return combined(q.parts, 'won', 'lost', yes, no);
  }
}

/** `any` if some part votes it, else `every` if each part votes that, else pending. */
function combined(parts: readonly Quorum[], any: Vote, every: Vote, yes: ReadonlySet<string>, no: ReadonlySet<string>): Vote {
  let vote = every;
  for (const p of parts) {
    const v = evaluate(p, yes, no);
    if (v === any) return any;
    if (v === 'pending') vote = 'pending';
  }
  return vote;
}

const NOBODY: ReadonlySet<string> = new Set();

/** True when the members in `yes` satisfy the quorum (nobody else has to answer). */
export function wins(q: Quorum, yes: ReadonlySet<string> | readonly string[]): boolean {
  const set = yes instanceof Set ? yes : new Set(yes as readonly string[]);
  return evaluate(q, set, NOBODY) === 'won';
}

export function membersOf(q: Quorum): string[] {
  const out = new Set<string>();
  const walk = (x: Quorum): void => {
    if (x.kind === 'atLeast') x.of.forEach((m) => out.add(m));
    else x.parts.forEach(walk);
  };
  walk(q);
  return [...out].sort();
}

export interface IntersectionFailure {
  readonly kind: 'read-write' | 'write-write';
  readonly first: string[];
  readonly second: string[];
}

/**
 * Every read quorum meets every write quorum, and any two write quorums meet. Quorum expressions
 * are monotone, so it suffices to check, for every winning write set W, that the complement of W
 * wins neither a read nor a write. Exhaustive over subsets: fine for the <= 12 members a PG has
 * during a stacked membership change.
 */
export function checkIntersection(pair: QuorumPair): IntersectionFailure | null {
  const universe = [...new Set([...membersOf(pair.write), ...membersOf(pair.read)])].sort();
  if (universe.length > 16) throw new Error(`intersection check over ${universe.length} members`);
  for (let mask = 0; mask < 1 << universe.length; mask++) {
    const inside = universe.filter((_, i) => (mask & (1 << i)) !== 0);
    if (!wins(pair.write, inside)) continue;
    const outside = universe.filter((_, i) => (mask & (1 << i)) === 0);
    if (wins(pair.read, outside)) return { kind: 'read-write', first: inside, second: outside };
    if (wins(pair.write, outside)) return { kind: 'write-write', first: inside, second: outside };
  }
  return null;
}

export function describeQuorum(q: Quorum): string {
  switch (q.kind) {
    case 'atLeast':
      return `${q.k}/${q.of.length}{${q.of.join(',')}}`;
    case 'and':
      return `(${q.parts.map(describeQuorum).join(' AND ')})`;
    case 'or':
      return `(${q.parts.map(describeQuorum).join(' OR ')})`;
  }
}
