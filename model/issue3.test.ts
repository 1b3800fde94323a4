// Scenario tests for read replicas, failover, self-healing membership changes and volume growth.
// Each one drives the model through explicit events and checks what it observed and its state.

import { describe, it, expect } from 'vitest';
import { writeValue } from './events.js';
import { isWriterUp } from './state.js';
import type { Message, NodeId } from './types.js';
import { DEFAULT_CONFIG, INITIAL_MEMBERS, STORAGE_NODES, computeNodes } from './types.js';
import { Run, deliverAll, only, readReplica, storageIndex, tick, txn, type Obs } from './testkit.js';


describe('read replicas', () => {
  it('default geometry: W and two replicas; replica i is the i-th compute node other than the writer', () => {
    const r = new Run();
    expect(computeNodes(r.state.config)).toEqual(['W', 'R1', 'R2']);
    expect(r.nodes).toEqual(['W', 'R1', 'R2', ...STORAGE_NODES]);
    expect(r.state.control.writer).toBe('W');
    expect(r.replica('R1')).toMatchObject({ epoch: 1, writer: 'W', vdl: 0 });
    expect(r.replica('R2')).toMatchObject({ epoch: 1, writer: 'W', vdl: 0 });
  });

  it('a replica that heard the new VDL reads the committed value; one that has not reads at its older VDL', () => {
    const r = new Run();
    r.do(txn([0]));
    // records to storage and the stream to the replicas; persist; acks to the writer
    r.do(deliverAll, tick);
    const [committed] = only(r.do(deliverAll), 'committed');
    expect(committed).toEqual({ kind: 'committed', txn: 0, commitLsn: 2, by: 'W' });
    // the writer told both replicas its new VDL; only R1 hears it
    const vdlTo = (to: NodeId) => (m: Message) => m.kind === 'vdlUpdate' && m.to === to;
    expect(r.pending(vdlTo('R1')).map((m) => m.kind === 'vdlUpdate' && m.vdl)).toEqual([2]);
    expect(r.pending(vdlTo('R2'))).toHaveLength(1);
    expect(r.deliverAllWhere(vdlTo('R1'))).toBe(1);
    expect(r.replica('R1').vdl).toBe(2);
    expect(r.replica('R2').vdl).toBe(0);

    // R1 (replica 0) and R2 (replica 1) read page 0, each at its own VDL
    expect(r.do(readReplica(0, 0), readReplica(1, 0))).toEqual([]);
    const reqs = r.pending((m) => m.kind === 'readReq');
    expect(reqs.map((m) => m.kind === 'readReq' && [m.from, m.readPoint])).toEqual(expect.arrayContaining([['R1', 2], ['R2', 0]]));
    // segments answer; R2's pending vdlUpdate is held back (delivered later in node order, after R2's reads)
    r.deliverAllWhere((m) => m.kind === 'readReq' || m.kind === 'readResp');
    const oks = only(r.log, 'readOk');
    expect(oks).toHaveLength(2);
    const atR1 = oks.find((o) => o.at === 'R1')!;
    const atR2 = oks.find((o) => o.at === 'R2')!;
    expect(atR1).toMatchObject({ readPoint: 2, values: [{ page: 0, value: writeValue(0, 0) }] });
    expect(atR2).toMatchObject({ readPoint: 0, values: [{ page: 0, value: 0 }] });
    expect(STORAGE_NODES).toContain(atR1.values[0]!.from);
    expect(STORAGE_NODES).toContain(atR2.values[0]!.from);

    // once R2 hears the VDL too, it reads the committed value
    r.do(deliverAll);
    expect(r.replica('R2').vdl).toBe(2);
    r.do(readReplica(1, 0));
    r.do(deliverAll, deliverAll);
    const [later] = only(r.log, 'readOk').filter((o) => o.at === 'R2' && o.read !== atR2.read);
    expect(later).toMatchObject({ at: 'R2', readPoint: 2, values: [{ page: 0, value: writeValue(0, 0) }] });
  });

  it('settles with rounds: a replica read after the commit sees it', () => {
    const r = new Run();
    r.do(txn([1], [4]));
    const committed = r.until('committed');
    r.rounds(2);
    r.do(readReplica(1, 1, 4));
    const ok = r.until('readOk');
    expect(ok).toMatchObject({ at: 'R2', readPoint: committed.commitLsn });
    expect(ok.values.map((v) => [v.page, v.value])).toEqual([[1, writeValue(0, 0)], [4, writeValue(0, 1)]]);
  });

  it('a replica applies stream records to its cache only at or below its VDL', () => {
    const r = new Run();
    // R1 reads pages 0 (PG 0) and 3 (PG 1) at VDL 0 and caches both
    r.do(readReplica(0, 0, 3), deliverAll, deliverAll);
    expect(only(r.log, 'readOk')).toEqual([{
      kind: 'readOk', read: 0, at: 'R1', readPoint: 0,
      values: [expect.objectContaining({ page: 0, value: 0 }), expect.objectContaining({ page: 3, value: 0 })],
    }]);
    expect(r.cached('R1', 0)).toEqual({ page: 0, asOf: 0, value: 0, versions: [] });
    expect(r.cached('R1', 3)).toEqual({ page: 3, asOf: 0, value: 0, versions: [] });

    // one transaction, two MTRs: LSN 1 writes page 0 (PG 0) and ends MTR 1; LSN 2 writes page 3 and
    // LSN 3 commits (both PG 1)
    expect(r.do(txn([0], [3]))).toEqual([{ kind: 'accepted', txn: 0, firstLsn: 1, commitLsn: 3 }]);
    const streamTo = (to: NodeId) => (m: Message) => m.kind === 'stream' && m.to === to;
    expect(r.deliverAllWhere(streamTo('R1'))).toBe(1);
    // the stream is buffered, not applied: R1's VDL is still 0
    expect(r.replica('R1').buffer.map((b) => b.lsn)).toEqual([1, 2, 3]);
    expect(r.cached('R1', 0)!.versions).toEqual([]);
    expect(r.cached('R1', 3)!.versions).toEqual([]);

    // only PG 0's records reach storage: the writer's VDL moves to 1 (the end of MTR 1)
    const writeOf = (pg: number) => (m: Message) => m.kind === 'write' && m.pg === pg;
    expect(r.deliverAllWhere(writeOf(0))).toBe(INITIAL_MEMBERS.length);
    r.do(tick);
    expect(r.deliverAllWhere((m) => m.kind === 'ack')).toBe(INITIAL_MEMBERS.length);
    expect(only(r.log, 'committed')).toEqual([]);
    const vdlTo = (to: NodeId) => (m: Message) => m.kind === 'vdlUpdate' && m.to === to;
    expect(r.pending(vdlTo('R1')).map((m) => m.kind === 'vdlUpdate' && m.vdl)).toEqual([1]);
    r.deliverAllWhere(vdlTo('R1'));
    const rep = r.replica('R1');
    expect(rep.vdl).toBe(1);
    // LSN 1 applied to page 0 (committed at 3, so not yet visible); 2 and 3 wait above the VDL
    expect(r.cached('R1', 0)!.versions).toEqual([{ lsn: 1, commitLsn: 3, value: writeValue(0, 0) }]);
    expect(r.cached('R1', 3)!.versions).toEqual([]);
    expect(rep.buffer.map((b) => b.lsn)).toEqual([2, 3]);
    // a read at VDL 1 is served from the cache and does not see the uncommitted write
    expect(r.do(readReplica(0, 0, 3))).toEqual([{
      kind: 'readOk', read: 1, at: 'R1', readPoint: 1,
      values: [{ page: 0, value: 0, from: 'cache' }, { page: 3, value: 0, from: 'cache' }],
    }]);

    // everything delivered: VDL 3, the rest applied, and the commit is visible at R1
    r.until('committed');
    r.deliverAllWhere(vdlTo('R1'));
    expect(r.replica('R1').vdl).toBe(3);
    expect(r.replica('R1').buffer).toEqual([]);
    expect(r.cached('R1', 3)!.versions).toEqual([{ lsn: 2, commitLsn: 3, value: writeValue(0, 1) }]);
    expect(r.do(readReplica(0, 0, 3))).toEqual([{
      kind: 'readOk', read: 2, at: 'R1', readPoint: 3,
      values: [{ page: 0, value: writeValue(0, 0), from: 'cache' }, { page: 3, value: writeValue(0, 1), from: 'cache' }],
    }]);
  });

  it('a lost stream message is not applied around: the replica drops its cache', () => {
    const r = new Run();
    r.do(readReplica(0, 0), deliverAll, deliverAll);
    expect(r.cached('R1', 0)).toBeDefined();
    r.do(txn([0]));
    const streamTo = (to: NodeId) => (m: Message) => m.kind === 'stream' && m.to === to;
    const [lost] = r.pending(streamTo('R1'));
    const index = r.state.world.net['R1']!.indexOf(lost!);
    r.do({ type: 'drop', ...r.choice('R1', index) });
    r.until('committed');
    r.do(deliverAll);
    expect(r.replica('R1').vdl).toBe(2);
    expect(r.replica('R1').cache).toEqual([]);
    // the next read goes to storage and still sees the commit
    r.do(readReplica(0, 0));
    expect(r.until('readOk')).toMatchObject({ at: 'R1', readPoint: 2, values: [{ page: 0, value: writeValue(0, 0) }] });
  });

  it('without replicas, replica reads are refused and failover is a no-op', () => {
    const r = new Run({ ...DEFAULT_CONFIG, replicas: 0 });
    expect(computeNodes(r.state.config)).toEqual(['W']);
    expect(r.do(readReplica(0, 0))).toEqual([{ kind: 'readRefused', read: 0, at: null, reason: 'noReplica' }]);
    expect(r.do({ type: 'failover', replica: 0 })).toEqual([{ kind: 'noop', reason: 'no replicas' }]);
    expect(r.state.control.writer).toBe('W');
    // and the writer works alone: no stream or VDL updates are sent
    r.do(txn([0]));
    expect(r.pending((m) => m.kind === 'stream' || m.kind === 'vdlUpdate')).toEqual([]);
    expect(r.until('committed')).toEqual({ kind: 'committed', txn: 0, commitLsn: 2, by: 'W' });
  });

  it('a restarted replica reads nothing until it hears a VDL; a crashed one refuses', () => {
    const r = new Run();
    expect(r.do({ type: 'crashReplica', replica: 0 })).toEqual([]);
    expect(r.do(readReplica(0, 0))).toEqual([{ kind: 'readRefused', read: 0, at: 'R1', reason: 'noReplica' }]);
    r.do({ type: 'restartReplica', replica: 0 });
    expect(r.do(readReplica(0, 0))).toEqual([{ kind: 'readRefused', read: 1, at: 'R1', reason: 'replicaNotReady' }]);
    r.do(txn([0]));
    r.until('committed');
    r.do(deliverAll);
    expect(r.replica('R1')).toMatchObject({ epoch: 1, writer: 'W', vdl: 2 });
    r.do(readReplica(0, 0));
    expect(r.until('readOk')).toMatchObject({ at: 'R1', readPoint: 2, values: [{ page: 0, value: writeValue(0, 0) }] });
  });
});

describe('failover', () => {
  it('promotes a replica that recovers every commit; the partitioned old writer is fenced after heal', () => {
    const r = new Run();
    r.do(txn([0], [3]));
    const committed = r.until('committed');
    // a second transaction is accepted by W just as W is cut off: its messages are lost at the cut,
    // so W still has unacknowledged records when the partition heals (an idle W sends storage
    // nothing, and storage fences a writer only when it hears from it)
    const [inFlight] = only(r.do(txn([1])), 'accepted');
    expect(inFlight).toBeDefined();
    expect(r.do({ type: 'partition', nodes: [0] })).toEqual([]);
    expect(r.state.world.cuts).toEqual([['W']]);

    expect(r.do({ type: 'failover', replica: 0 })).toEqual([{ kind: 'recoveryStarted', epoch: 2, at: 'R1' }]);
    expect(r.state.control.writer).toBe('R1');
    const recovered = r.until('recovered');
    expect(recovered).toMatchObject({ epoch: 2, at: 'R1' });
    expect(recovered.vdl).toBeGreaterThanOrEqual(committed.commitLsn);
    expect(recovered.truncateTo).toBeGreaterThanOrEqual(inFlight!.commitLsn);
    expect(isWriterUp(r.state.compute['R1'])).toBe(true);
    // the old writer still believes it is active: nothing has told it otherwise yet
    expect(r.state.compute['W']!.status).toBe('active');
    expect(only(r.log, 'fenced')).toEqual([]);

    // clients now reach R1: a new transaction commits there, by R1
    const [next] = only(r.do(txn([2])), 'accepted');
    expect(next!.firstLsn).toBeGreaterThan(recovered.truncateTo);
    expect(r.until('committed')).toEqual({ kind: 'committed', txn: next!.txn, commitLsn: next!.commitLsn, by: 'R1' });

    // heal: W retransmits its unacknowledged records under epoch 1; storage refuses and fences it
    r.do({ type: 'heal' });
    const fenced = r.until('fenced');
    expect(fenced).toEqual({ kind: 'fenced', node: 'W', epoch: 1, by: 2 });
    expect(r.state.compute['W']!.status).toBe('down');
    expect(only(r.log, 'staleRefused').every((o) => o.stale === 1 && !o.membership)).toBe(true);
    expect(only(r.log, 'staleRefused').length).toBeGreaterThan(0);
    // the in-flight transaction never committed; the committed ones are all readable at R1
    expect(only(r.log, 'committed').map((c) => c.txn)).toEqual([committed.txn, next!.txn]);
    r.do({ type: 'read', pages: [0, 1, 2, 3] });
    const ok = r.until('readOk');
    expect(ok.at).toBe('R1');
    expect(ok.values.map((v) => [v.page, v.value])).toEqual([
      [0, writeValue(0, 0)], [1, 0], [2, writeValue(next!.txn, 0)], [3, writeValue(0, 1)],
    ]);
  });

  it('the other replica follows the new writer', () => {
    const r = new Run();
    r.do(txn([0]));
    r.until('committed');
    r.do({ type: 'partition', nodes: [0] }, { type: 'failover', replica: 0 });
    r.until('recovered');
    r.do(txn([0]));
    r.until('committed', (c) => c.by === 'R1');
    r.rounds(2);
    // R2 is now replica 1 of R1's cluster (W is replica 0)
    expect(r.replica('R2')).toMatchObject({ epoch: 2, writer: 'R1' });
    r.do(readReplica(1, 0));
    expect(r.until('readOk')).toMatchObject({ at: 'R2', values: [{ page: 0, value: writeValue(1, 0) }] });
  });
});

describe('self-healing', () => {
  it('a disk loss that would leave a PG no read quorum of whole segments is a no-op: the failure model (AZ+1)', () => {
    const r = new Run();
    r.do(txn([0], [3]));
    r.until('committed');
    for (const n of ['A1', 'B1', 'C1']) expect(r.do({ type: 'loseDisk', node: storageIndex(n) })).toEqual([]);
    // A2, B2 and C2 are the PGs' last whole segments: a read quorum, and every commit is on one of them
    expect(r.do({ type: 'loseDisk', node: storageIndex('A2') })).toEqual([
      { kind: 'noop', reason: "losing A2's disk would leave PG 0 without a read quorum of whole segments (outside the failure model)" },
    ]);
    expect(r.state.storage['A2']!.durable.segments.some((s) => s.blank)).toBe(false);
    // once the replacements have hydrated, the PGs have whole segments to spare again
    const settled = () => r.state.control.pgs.every((m, pg) => m.sets.length === 1 && m.sets[0]!.every((n) => !r.state.storage[n]!.durable.segments[pg]!.blank));
    for (let i = 0; i < 40 && !settled(); i++) r.round();
    expect(settled()).toBe(true);
    expect(r.do({ type: 'loseDisk', node: storageIndex('A2') })).toEqual([]);
    expect(r.state.storage['A2']!.durable.segments.every((s) => s.blank)).toBe(true);
  });

  it('replaces a segment whose disk is lost by the spare of its AZ; writes commit throughout', () => {
    const r = new Run();
    r.do(txn([0], [3]));
    r.until('committed');
    expect(storageIndex('C2')).toBe(7);
    expect(r.do({ type: 'loseDisk', node: storageIndex('C2') })).toEqual([]);
    expect(r.state.storage['C2']!.durable.segments.every((s) => s.blank && s.records.length === 0)).toBe(true);

    // a write right after the loss commits (4/6 without C2)
    r.do(txn([1], [4]));
    const begins = only(r.do(tick), 'membership');
    expect(begins).toEqual([0, 1].map((pg) => ({
      kind: 'membership', pg, epoch: 2, step: 'begin',
      sets: [INITIAL_MEMBERS, ['A1', 'A2', 'B1', 'B2', 'C1', 'C3']],
    })));
    expect(r.state.control.pgs.map((m) => m.sets.length)).toEqual([2, 2]);
    // the write commits on the joint quorum (4/6 of both sets), while the change is in flight
    expect(r.until('committed').txn).toBe(1);
    expect(r.state.control.pgs.map((m) => m.sets.length)).toEqual([2, 2]);

    // another write; C3 hydrates (gossip, retransmission) and the change completes in both PGs
    r.do(txn([2], [5]));
    const completes = () => only(r.log, 'membership').filter((o) => o.step === 'complete');
    for (let i = 0; i < 15 && completes().length < 2; i++) r.round();
    expect(completes()).toEqual([0, 1].map((pg) => ({
      kind: 'membership', pg, epoch: 3, step: 'complete', sets: [['A1', 'A2', 'B1', 'B2', 'C1', 'C3']],
    })));
    expect(only(r.log, 'membership').map((o) => o.step)).toEqual(['begin', 'begin', 'complete', 'complete']);
    if (only(r.log, 'committed').length < 3) expect(r.until('committed').txn).toBe(2);
    for (const pg of [0, 1]) {
      expect(r.state.control.pgs[pg]!.sets).toEqual([['A1', 'A2', 'B1', 'B2', 'C1', 'C3']]);
      expect(r.state.storage['C3']!.durable.segments[pg]!.blank).toBe(false);
    }
    // C3 holds every record of its PGs
    const lsns = (n: NodeId, pg: number) => r.state.storage[n]!.durable.segments[pg]!.records.map((x) => x.lsn);
    for (const pg of [0, 1]) expect(lsns('C3', pg)).toEqual(lsns('A1', pg));

    // and writes go on in the new membership, acknowledged by C3
    r.do(txn([0], [3]));
    expect(r.until('committed').txn).toBe(3);
    expect(only(r.log, 'refused')).toEqual([]);
    expect(only(r.log, 'committed').map((c) => c.txn)).toEqual([0, 1, 2, 3]);
    // the read path works against the new membership too
    r.do({ type: 'read', pages: [0, 3] });
    const ok = r.until('readOk');
    expect(ok.values.map((v) => [v.page, v.value])).toEqual([[0, writeValue(3, 0)], [3, writeValue(3, 1)]]);
  });

  it('rolls back when the failed member returns before its replacement hydrates', () => {
    const r = new Run();
    const C2 = storageIndex('C2');
    const C3 = storageIndex('C3');
    r.do(txn([0], [3]));
    r.until('committed');
    r.do({ type: 'crashNode', node: C2 });
    // C2 down for replaceAfterTicks ticks: the change begins
    const replaceAfter = r.state.config.replaceAfterTicks;
    const begun: Obs<'membership'>[] = [];
    for (let i = 0; i < replaceAfter && begun.length === 0; i++) begun.push(...only(r.round(), 'membership'));
    expect(begun.map((o) => [o.pg, o.step, o.sets])).toEqual([0, 1].map((pg) => [pg, 'begin', [INITIAL_MEMBERS, ['A1', 'A2', 'B1', 'B2', 'C1', 'C3']]]));
    // the spare crashes at once, so it cannot hydrate
    r.do({ type: 'crashNode', node: C3 });
    r.do(txn([1], [4]));
    expect(r.until('committed').txn).toBe(1);
    expect(only(r.log, 'membership').filter((o) => o.step !== 'begin')).toEqual([]);

    // C2 returns, whole: the change is rolled back
    r.do({ type: 'restartNode', node: C2 });
    const rolledBack = only(r.do(tick), 'membership');
    expect(rolledBack).toEqual([0, 1].map((pg) => ({ kind: 'membership', pg, epoch: 3, step: 'rollback', sets: [INITIAL_MEMBERS] })));
    for (const pg of [0, 1]) {
      expect(r.state.control.pgs[pg]!.sets).toEqual([INITIAL_MEMBERS]);
      expect(r.state.storage['C3']!.durable.segments[pg]).toMatchObject({ records: [], sealedEpoch: 0 });
    }
    // writes go on, and C2 catches up (retransmission)
    r.do(txn([2], [5]));
    expect(r.until('committed').txn).toBe(2);
    r.rounds(3);
    const lsns = (n: NodeId, pg: number) => r.state.storage[n]!.durable.segments[pg]!.records.map((x) => x.lsn);
    for (const pg of [0, 1]) expect(lsns('C2', pg)).toEqual(lsns('A1', pg));
    expect(only(r.log, 'membership').map((o) => o.step)).toEqual(['begin', 'begin', 'rollback', 'rollback']);
  });

  // A node replaced earlier and taken back later as a spare is a new, empty segment: the writer
  // must not count the SCL the node reported as a member before (shrinks/stale-scl-after-spare-reuse.json).
  for (const bugs of [[], ['writer-keeps-spare-scl' as const]]) {
    it(`a spare reused after leaving the PG starts with no SCL at the writer${bugs.length ? ' (the mutant writer-keeps-spare-scl keeps it)' : ''}`, () => {
      const r = new Run({ ...DEFAULT_CONFIG, bugs });
      const writer = () => { const w = r.state.compute[r.state.control.writer]; if (!isWriterUp(w)) throw new Error('no writer'); return w; };
      const settled = () => r.state.control.pgs.every((m) => m.sets.length === 1);
      r.do(txn([0], [3]));
      r.until('committed');
      // A1 leaves: its disk is lost, A3 replaces it
      r.do({ type: 'loseDisk', node: storageIndex('A1') });
      for (let i = 0; i < 40 && (r.state.control.pgs[0]!.sets.length === 1 || !settled()); i++) r.round();
      expect(r.state.control.pgs.map((m) => m.sets)).toEqual([0, 1].map(() => [['A3', 'A2', 'B1', 'B2', 'C1', 'C2']]));
      const before = writer().scl[0]!['A1'];
      expect(before, 'the writer still holds what A1 reported as a member').toBeGreaterThanOrEqual(0);
      // A2's disk is lost: A1, the AZ's spare now, replaces it
      r.do({ type: 'loseDisk', node: storageIndex('A2') });
      const begun = only(r.do(tick), 'membership');
      expect(begun.map((o) => o.sets[1])).toEqual([0, 1].map(() => ['A3', 'A1', 'B1', 'B2', 'C1', 'C2']));
      const known = (pg: number) => ({ scl: writer().scl[pg]!['A1'], sealed: writer().sealed[pg]!['A1'], incarnation: writer().incarnations[pg]!['A1'] });
      for (const pg of [0, 1]) {
        const incarnation = r.state.storage['A1']!.durable.segments[pg]!.incarnation;
        if (bugs.length === 0) expect(known(pg)).toEqual({ scl: undefined, sealed: undefined, incarnation });
        else expect(known(pg).scl, 'the mutant keeps the old SCL').toBeDefined();
      }
      if (bugs.length > 0) return;
      // A1 hydrates, is sealed, and the change completes; writes commit in the new membership
      for (let i = 0; i < 40 && !settled(); i++) r.round();
      expect(settled()).toBe(true);
      r.do(txn([1], [4]));
      expect(r.until('committed').txn).toBe(1);
      for (const pg of [0, 1]) expect(writer().incarnations[pg]!['A1']).toBe(r.state.storage['A1']!.durable.segments[pg]!.incarnation);
    });
  }
});

describe('volume growth', () => {
  it('addPg adds PG 2 with pages 6..8; a transaction writing page 7 commits', () => {
    const r = new Run();
    r.do(txn([0]));
    r.until('committed');
    expect(r.do({ type: 'addPg' })).toEqual([{ kind: 'pgAdded', pg: 2, pages: [6, 8] }]);
    expect(r.state.control.pgs).toHaveLength(3);
    expect(r.state.control.pgs[2]!.sets).toEqual([INITIAL_MEMBERS]);
    for (const n of STORAGE_NODES) expect(r.state.storage[n]!.durable.segments).toHaveLength(3);

    const [accepted] = only(r.do(txn([7])), 'accepted');
    expect(accepted).toEqual({ kind: 'accepted', txn: 1, firstLsn: 3, commitLsn: 4 });
    const writes = r.pending((m) => m.kind === 'write');
    expect(writes.every((m) => m.kind === 'write' && m.pg === 2)).toBe(true);
    expect(writes.map((m) => m.to).sort()).toEqual([...INITIAL_MEMBERS].sort());
    expect(r.until('committed')).toEqual({ kind: 'committed', txn: 1, commitLsn: 4, by: 'W' });
    for (const n of INITIAL_MEMBERS) expect(r.state.storage[n]!.durable.segments[2]!.records.map((x) => x.lsn)).toContain(3);

    // the page reads back, at the writer and at a replica
    r.do({ type: 'read', pages: [7] });
    expect(r.until('readOk')).toMatchObject({ at: 'W', readPoint: 4, values: [{ page: 7, value: writeValue(1, 0) }] });
    r.rounds(1);
    r.do(readReplica(0, 7));
    expect(r.until('readOk', (o) => o.at === 'R1')).toMatchObject({ readPoint: 4, values: [{ page: 7, value: writeValue(1, 0) }] });
  });
});
