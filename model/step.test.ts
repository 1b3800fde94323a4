import { describe, it, expect } from 'vitest';
import type { Event } from './events.js';
import { writeValue } from './events.js';
import type { Message } from './types.js';
import { DEFAULT_CONFIG, INITIAL_MEMBERS, STORAGE_NODES } from './types.js';
import { Run, deliverAll, only, read, tick, txn, type Obs } from './testkit.js';
import { initialState, step } from './step.js';

describe('commit', () => {
  it('is acknowledged only after records are delivered, persisted, and the acks delivered', () => {
    const r = new Run();
    expect(r.do(txn([0]))).toEqual([{ kind: 'accepted', txn: 0, firstLsn: 1, commitLsn: 2 }]);
    const delivered = r.do(deliverAll);
    expect(only(delivered, 'committed')).toEqual([]);
    const persisted = r.do(tick);
    expect(only(persisted, 'committed')).toEqual([]);
    const acked = r.do(deliverAll);
    expect(only(acked, 'committed')).toEqual([{ kind: 'committed', txn: 0, commitLsn: 2, by: 'W' }]);
  });

  it('a transaction over two PGs commits in one round; commits are acknowledged in order', () => {
    const r = new Run();
    // pages 0 and 1 are in PG 0, page 3 in PG 1 (3 pages per PG); the commit record follows
    // the last page's PG
    expect(r.do(txn([0, 3], [1]))).toEqual([{ kind: 'accepted', txn: 0, firstLsn: 1, commitLsn: 4 }]);
    expect(r.do(txn([3]))).toEqual([{ kind: 'accepted', txn: 1, firstLsn: 5, commitLsn: 6 }]);
    // both PGs got records of the first transaction
    expect(r.pending((m) => m.kind === 'write').map((m) => (m.kind === 'write' ? m.pg : -1)).sort())
      .toEqual([...Array(6).fill(0), ...Array(12).fill(1)]);
    expect(only(r.round(), 'committed')).toEqual([
      { kind: 'committed', txn: 0, commitLsn: 4, by: 'W' },
      { kind: 'committed', txn: 1, commitLsn: 6, by: 'W' },
    ]);
  });

  it('commits with one AZ down', () => {
    const r = new Run();
    const c1 = STORAGE_NODES.indexOf('C1');
    const c2 = STORAGE_NODES.indexOf('C2');
    expect([c1, c2]).toEqual([6, 7]);
    expect(only(r.do({ type: 'crashNode', node: c1 }, { type: 'crashNode', node: c2 }), 'noop')).toEqual([]);
    r.do(txn([0], [3]));
    expect(only(r.round(), 'committed')).toEqual([{ kind: 'committed', txn: 0, commitLsn: 3, by: 'W' }]);
  });

  it('does not commit with three nodes down, and commits once a fourth comes back', () => {
    // no self-healing here: the down members are never replaced
    const r = new Run({ ...DEFAULT_CONFIG, replaceAfterTicks: 1000 });
    const [a1, b1, c1] = ['A1', 'B1', 'C1'].map((n) => STORAGE_NODES.indexOf(n));
    r.do({ type: 'crashNode', node: a1! }, { type: 'crashNode', node: b1! }, { type: 'crashNode', node: c1! });
    r.do(txn([0]));
    for (let i = 0; i < 6; i++) r.round();
    expect(only(r.log, 'committed')).toEqual([]);
    expect(only(r.log, 'membership')).toEqual([]);
    // the writer retransmits on tick to the segment that comes back
    r.do({ type: 'restartNode', node: b1! }, tick);
    expect(r.until('committed')).toEqual({ kind: 'committed', txn: 0, commitLsn: 2, by: 'W' });
  });

  it('resends a record only at a round after it has had a round trip, never in the tick it was sent', () => {
    const r = new Run();
    const writes = () => r.pending((m) => m.kind === 'write' && m.pg === 0).length;
    r.do(tick, tick);
    // Sent at time 2, just before the round at tick 3: its acks could not be back by then.
    r.do(txn([0]));
    expect(writes()).toBe(6);
    r.do(tick);
    expect(writes()).toBe(6);
    // Still unacknowledged (nothing delivered) at the next round: resent to every member.
    r.do(tick, tick);
    expect(writes()).toBe(6);
    r.do(tick);
    expect(writes()).toBe(12);
    expect(only(r.round(), 'committed')).toEqual([{ kind: 'committed', txn: 0, commitLsn: 2, by: 'W' }]);
  });

  it('refuses a transaction that would allocate above VDL + LAL, and accepts again once VDL moves', () => {
    const r = new Run({ ...DEFAULT_CONFIG, lal: 4 });
    let refused: Obs<'refused'> | undefined;
    for (let i = 0; i < 10 && refused === undefined; i++) refused = only(r.do(txn([i])), 'refused')[0];
    expect(refused).toEqual({ kind: 'refused', txn: 2, reason: 'lal' });
    const accepted = only(r.log, 'accepted');
    expect(accepted.map((a) => a.commitLsn)).toEqual([2, 4]);
    expect(Math.max(...accepted.map((a) => a.commitLsn))).toBeLessThanOrEqual(0 + 4);
    // still refused while nothing moves
    expect(only(r.do(txn([0])), 'refused')).toEqual([{ kind: 'refused', txn: 3, reason: 'lal' }]);
    expect(only(r.round(), 'committed').map((c) => c.txn)).toEqual([0, 1]);
    expect(r.do(txn([0]))).toEqual([{ kind: 'accepted', txn: 4, firstLsn: 5, commitLsn: 6 }]);
  });
});

describe('PGMRPL announcements', () => {
  it('tell a PG a new point only when some record of it commits at or below it (not one whose newest records still wait)', () => {
    const r = new Run({ ...DEFAULT_CONFIG, replicas: 0 });
    const gcs = (pg: number) => r.pending((m) => m.kind === 'gc' && m.pg === pg).map((m) => (m.kind === 'gc' ? m.point : -1));
    // txn A in PG 1 (page 3) commits at 2; the round at tick 3 tells PG 1 the point 2.
    r.do(txn([3]));
    r.round();
    r.do(tick, tick);
    expect(gcs(1)).toEqual(Array(6).fill(2));
    r.do(deliverAll);
    // txn B in PG 0 commits at 4; txn C in PG 1 (LSNs 5..6) is persisted, its acks still on their way.
    r.do(txn([0]));
    r.round();
    r.do(txn([3]), deliverAll, tick, tick);
    // The round at tick 6: the point is 4. PG 0 is told (B commits at 4); PG 1 is not: its only
    // records above its last point commit at 6, above 4, so coalescing there at 4 drops nothing new.
    expect(gcs(0)).toEqual(Array(6).fill(4));
    expect(gcs(1)).toEqual([]);
    // Once C commits, the next round tells PG 1.
    r.do(deliverAll, tick, tick, tick);
    expect(gcs(1)).toEqual(Array(6).fill(6));
  });
});

describe('reads', () => {
  it('a read after a commit returns the written value', () => {
    const r = new Run();
    r.do(txn([0, 3]));
    expect(r.until('committed').commitLsn).toBe(3);
    expect(r.do(read(0, 3))).toEqual([]);
    r.do(deliverAll);
    const [ok] = only(r.do(deliverAll), 'readOk');
    expect(ok).toMatchObject({ kind: 'readOk', read: 0, at: 'W', readPoint: 3 });
    expect(ok!.values.map((v) => [v.page, v.value])).toEqual([[0, writeValue(0, 0)], [3, writeValue(0, 1)]]);
    expect(ok!.values.every((v) => STORAGE_NODES.includes(v.from))).toBe(true);
  });

  it('a read before the commit sees the old value; the cache serves later commits', () => {
    const r = new Run();
    r.do(txn([0]));
    r.do(read(0), deliverAll);
    const [before] = only(r.do(deliverAll), 'readOk');
    expect(before).toMatchObject({ readPoint: 0, values: [{ page: 0, value: 0 }] });
    r.until('committed');
    r.do(txn([0]));
    r.until('committed');
    // page 0 is cached from the first read; the cache folds in this incarnation's commits
    expect(r.do(read(0))).toEqual([
      { kind: 'readOk', read: 1, at: 'W', readPoint: 4, values: [{ page: 0, value: writeValue(1, 0), from: 'cache' }] },
    ]);
  });
});

describe('writer crash and recovery', () => {
  it('recovers every committed transaction and allocates above the truncation range', () => {
    const r = new Run();
    r.do(txn([0], [3]));
    const committed = r.until('committed');
    expect(committed.commitLsn).toBe(3);
    // a second transaction is in flight when the writer crashes
    r.do(txn([4]));
    expect(r.do({ type: 'crashWriter' })).toEqual([]);
    expect(r.state.compute['W']!.status).toBe('down');
    expect(r.do({ type: 'recover' })).toEqual([{ kind: 'recoveryStarted', epoch: 2, at: 'W' }]);
    let recovered: Obs<'recovered'> | undefined;
    for (let i = 0; i < 6 && recovered === undefined; i++) recovered = only(r.do(deliverAll), 'recovered')[0];
    expect(recovered).toBeDefined();
    expect(recovered!.epoch).toBe(2);
    expect(recovered!.at).toBe('W');
    expect(recovered!.vdl).toBeGreaterThanOrEqual(committed.commitLsn);
    expect(recovered!.truncateFrom).toBe(recovered!.vdl);
    expect(recovered!.truncateTo).toBe(recovered!.vdl + DEFAULT_CONFIG.lal);
    const [accepted] = only(r.do(txn([0])), 'accepted');
    expect(accepted!.firstLsn).toBeGreaterThan(recovered!.truncateTo);
    expect(r.until('committed')).toEqual({ kind: 'committed', txn: accepted!.txn, commitLsn: accepted!.commitLsn, by: 'W' });
    // the committed value of page 3 (PG 1) survived; page 0 has the new one
    r.do(read(0, 3), deliverAll);
    const [ok] = only(r.do(deliverAll), 'readOk');
    expect(ok!.values.map((v) => [v.page, v.value])).toEqual([[0, writeValue(accepted!.txn, 0)], [3, writeValue(0, 1)]]);
  });

  it('client work is refused while the writer is down or recovering', () => {
    const r = new Run();
    r.do({ type: 'crashWriter' });
    expect(r.do(txn([0]))).toEqual([{ kind: 'refused', txn: 0, reason: 'noWriter' }]);
    expect(r.do(read(0))).toEqual([{ kind: 'readRefused', read: 0, at: null, reason: 'noWriter' }]);
    r.do({ type: 'recover' });
    expect(r.do(txn([0]))).toEqual([{ kind: 'refused', txn: 1, reason: 'noWriter' }]);
  });

  it('is blocked without a read quorum, and finishes once enough nodes return', () => {
    const r = new Run({ ...DEFAULT_CONFIG, replaceAfterTicks: 1000 });
    r.do(txn([0]));
    r.until('committed');
    r.do({ type: 'crashWriter' });
    // A1 A2 B1 B2 down: only C1 and C2 answer, short of a read quorum (3/6) of either PG
    const down = ['A1', 'A2', 'B1', 'B2'].map((n) => STORAGE_NODES.indexOf(n));
    for (const n of down) r.do({ type: 'crashNode', node: n });
    r.do({ type: 'recover' }, deliverAll, deliverAll);
    expect(only(r.do(tick), 'recoveryBlocked')).toEqual([{ kind: 'recoveryBlocked', epoch: 2, pgs: [0, 1] }]);
    expect(only(r.log, 'recovered')).toEqual([]);
    r.do({ type: 'restartNode', node: down[0]! }, { type: 'restartNode', node: down[1]! }, tick);
    const recovered = r.until('recovered');
    expect(recovered).toMatchObject({ epoch: 2, at: 'W', vdl: 2 });
  });
});

describe('fencing', () => {
  it('a segment that promised epoch 2 refuses epoch-1 writes still in flight', () => {
    const r = new Run();
    r.do(txn([0]));
    const oldWrite = (m: Message): boolean => m.kind === 'write' && m.epoch === 1;
    expect(r.pending(oldWrite)).toHaveLength(INITIAL_MEMBERS.length);
    r.do({ type: 'crashWriter' }, { type: 'recover' });
    // deliver only the recovery traffic, leaving the old writes pending
    for (let i = 0; i < 200 && r.state.compute['W']!.status !== 'active'; i++) {
      if (!r.deliverWhere((m) => !oldWrite(m))) r.do(tick);
    }
    expect(only(r.log, 'recovered')).toEqual([
      { kind: 'recovered', epoch: 2, at: 'W', vdl: 0, truncateFrom: 0, truncateTo: 12, annulled: 0 },
    ]);
    // recovery finished on a write quorum; let the rest of its traffic reach every segment too
    for (let i = 0; i < 200 && r.deliverWhere((m) => !oldWrite(m)); i++);
    expect(only(r.log, 'staleRefused')).toEqual([]);
    expect(r.pending(oldWrite)).toHaveLength(INITIAL_MEMBERS.length);
    expect(r.pending((m) => !oldWrite(m))).toEqual([]);
    for (const n of INITIAL_MEMBERS) expect(r.state.storage[n]!.durable.segments[0]!.epoch).toBe(2);

    const refused = only(r.do(deliverAll), 'staleRefused');
    expect(refused).toEqual(INITIAL_MEMBERS.map((node) => (
      { kind: 'staleRefused', node, pg: 0, epoch: 2, stale: 1, what: 'write', membership: false }
    )));
    // the refusals reach the new writer, which is not fenced by its own epoch
    expect(only(r.do(deliverAll, tick, deliverAll), 'fenced')).toEqual([]);
    expect(r.state.compute['W']!.status).toBe('active');
    for (const n of STORAGE_NODES) expect(r.state.storage[n]!.durable.segments[0]!.records).toEqual([]);
  });

  it('a duplicated epoch-1 write delivered after the recovery request is refused', () => {
    const r = new Run();
    r.do(txn([0]), { type: 'crashWriter' }, { type: 'recover' });
    // A1's queue: the epoch-1 write, then the recovery requests; duplicate the write behind them
    expect(r.state.world.net['A1']!.map((m) => m.kind)).toEqual(['write', 'recoverReq', 'recoverReq']);
    expect(r.do({ type: 'duplicate', ...r.choice('A1', 0) })).toEqual([]);
    const refused = only(r.do(deliverAll), 'staleRefused');
    expect(refused).toEqual([{ kind: 'staleRefused', node: 'A1', pg: 0, epoch: 2, stale: 1, what: 'write', membership: false }]);
    // the copy that arrived before the promise was queued, but is dropped at persist time
    expect(r.until('recovered').vdl).toBe(0);
    r.do(tick);
    for (const n of STORAGE_NODES) expect(r.state.storage[n]!.durable.segments[0]!.records).toEqual([]);
  });
});

describe('purity', () => {
  it('returned states are frozen by immer', () => {
    const s0 = initialState();
    const { state } = step(s0, tick);
    expect(state.world.time).toBe(1);
    expect(s0.world.time).toBe(0);
    expect(() => {
      (state.world as { time: number }).time = 5;
    }).toThrow(TypeError);
    expect(() => {
      (state.world.net['A1'] as Message[]).push({ kind: 'recoverReq', from: 'W', to: 'A1', epoch: 9, membership: 1, pg: 0 });
    }).toThrow(TypeError);
    expect(() => {
      (state.storage['A1']!.volatile as { up: boolean }).up = false;
    }).toThrow(TypeError);
  });

  it('one history always yields the same observations', () => {
    const history: Event[] = [
      txn([0, 3], [1]), deliverAll, { type: 'crashNode', node: 3 }, tick, deliverAll, read(0, 3),
      { type: 'duplicate', node: 1, k: 0 }, deliverAll, deliverAll, { type: 'crashWriter' }, { type: 'recover' },
      deliverAll, deliverAll, deliverAll, deliverAll, txn([3]), deliverAll, tick, deliverAll,
    ];
    const a = new Run();
    const b = new Run();
    expect(a.do(...history)).toEqual(b.do(...history));
    expect(a.state).toEqual(b.state);
  });
});
