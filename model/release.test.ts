// The writer's log release (state.ts `released`): what every member holds and no read needs is
// dropped from the writer, which keeps its memory flat on long runs; a member added later gets it
// from its peers. Cached pages fold their versions below the lowest read point in use likewise.

import { describe, expect, it } from 'vitest';
import { writeValue } from './events.js';
import type { WriterUp } from './state.js';
import { isWriterUp } from './state.js';
import type { Message, NodeId } from './types.js';
import { DEFAULT_CONFIG } from './types.js';
import { watermarks } from './watermarks.js';
import { Run, only, read, storageIndex, tick, txn } from './testkit.js';

function writer(r: Run): WriterUp {
  const w = r.state.compute[r.state.control.writer];
  if (!isWriterUp(w)) throw new Error('no writer up');
  return w;
}

const lsns = (r: Run, n: NodeId, pg: number) => r.state.storage[n]!.durable.segments[pg]!.records.map((x) => x.lsn);

describe('the writer releases its log', () => {
  it('once every member holds a record and its PG was told a PGMRPL at or above its commit', () => {
    const r = new Run();
    r.do(txn([0], [3]));
    const { commitLsn } = r.until('committed');
    const w0 = writer(r);
    // committed, so every member acknowledged... but no PGMRPL told yet: all held
    expect(w0.released).toBe(w0.base);
    r.rounds(r.state.config.retransmitTicks);
    const w = writer(r);
    expect(w.released).toBe(commitLsn);
    expect(w.records).toEqual([]);
    expect(w.releasedCpl).toBe(commitLsn);
    // the watermarks stand on the released prefix: VDL and the allocation point stay
    const m = watermarks(r.state.config, r.state.control.pgs, w);
    expect([m.vdl, m.vcl, m.allocated]).toEqual([commitLsn, commitLsn, commitLsn]);
    // new records link back past the release
    r.do(txn([1]));
    const next = writer(r).records;
    expect(next.map((x) => [x.lsn, x.prevVol])).toEqual([[commitLsn + 1, commitLsn], [commitLsn + 2, commitLsn + 1]]);
    expect(next[0]!.prevPg).toBe(w.releasedLastPg[next[0]!.pg]);
    expect(r.until('committed').txn).toBe(1);
  });

  it('not past a member that has not acknowledged: a down member pins it and catches up by retransmission', () => {
    const r = new Run({ ...DEFAULT_CONFIG, replaceAfterTicks: 1000 });
    const C2 = storageIndex('C2');
    r.do({ type: 'crashNode', node: C2 });
    r.do(txn([0], [3]));
    r.until('committed');
    r.rounds(2 * r.state.config.retransmitTicks);
    expect(writer(r).released).toBe(writer(r).base);
    r.do({ type: 'restartNode', node: C2 });
    r.rounds(2 * r.state.config.retransmitTicks);
    expect(lsns(r, 'C2', 0)).toEqual(lsns(r, 'A1', 0));
    expect(writer(r).released).toBe(writer(r).base + 3);
  });

  it('folds a cached page\'s versions below the lowest read point in use: a hot page keeps a few, reads see the same', () => {
    const r = new Run();
    r.do(txn([0]));
    r.until('committed');
    r.do(read(0));
    r.until('readOk');
    // page 0 is cached at the writer; 30 more writes of it, a read from cache now and then
    for (let t = 1; t <= 30; t++) {
      r.do(txn([0]));
      r.until('committed');
      if (t % 10 === 0) {
        // Served from the cache at once.
        expect(only(r.do(read(0)), 'readOk').map((o) => o.values)).toEqual([[{ page: 0, value: writeValue(t, 0), from: 'cache' }]]);
      }
    }
    const entry = writer(r).cache.find((c) => c.page === 0)!;
    // The writes since the last fold (one a tick, a fold a round); without folding it would carry
    // one version per write since it was read (30).
    expect(entry.versions.length).toBeLessThanOrEqual(r.state.config.retransmitTicks);
    expect(entry.asOf).toBeGreaterThan(0);
  });

  it('a member added after a release hydrates the released records from its peers, and the change completes', () => {
    const r = new Run();
    r.do(txn([0], [3]), txn([1], [4]));
    r.until('committed', (o) => o.txn === 1);
    r.rounds(r.state.config.retransmitTicks);
    const released = writer(r).released;
    expect(released).toBe(writer(r).base + 6);
    r.do({ type: 'loseDisk', node: storageIndex('C2') });
    const begins = only(r.do(tick), 'membership');
    expect(begins.map((o) => o.step)).toEqual(['begin', 'begin']);
    // the writer holds nothing of the PGs' records to send C3: gossip must bring them
    expect(writer(r).records).toEqual([]);
    const sent: Message[] = [];
    for (let i = 0; i < 12 && only(r.log, 'membership').filter((o) => o.step === 'complete').length < 2; i++) {
      sent.push(...(r.state.world.net['C3'] ?? []));
      r.round();
    }
    expect(only(r.log, 'membership').filter((o) => o.step === 'complete').map((o) => o.pg)).toEqual([0, 1]);
    expect(sent.some((m) => m.kind === 'gossipResp')).toBe(true);
    expect(sent.some((m) => m.kind === 'write' && m.records.some((x) => x.lsn <= released))).toBe(false);
    for (const pg of [0, 1]) expect(lsns(r, 'C3', pg)).toEqual(lsns(r, 'A1', pg));
    // and the volume goes on in the new membership
    r.do(txn([0], [3]));
    expect(r.until('committed').txn).toBe(2);
    r.do(read(0, 3));
    expect(r.until('readOk').values.map((v) => v.value)).toEqual([writeValue(2, 0), writeValue(2, 1)]);
  });
});
