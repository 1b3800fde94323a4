// The oracle's transaction outcomes: each txn is decided once, by an acknowledgement or by a
// recovery, a late acknowledgement may only confirm what recovery kept, and a recovery that completes
// after a newer one decides nothing.

import { describe, it, expect } from 'vitest';
import { DEFAULT_CONFIG, type Observation } from '../model/types.js';
import type { Event } from '../model/events.js';
import { Oracle } from './oracle.js';

const TXN: Event = { type: 'txn', mtrs: [[0]] };
const SETTLE: Event = { type: 'deliverAll' };
const accepted: Observation = { kind: 'accepted', txn: 0, firstLsn: 1, commitLsn: 2 };
const ack: Observation = { kind: 'committed', txn: 0, commitLsn: 2, by: 'W' };
const recovered = (vdl: number, epoch = 2): Observation => ({ kind: 'recovered', epoch, at: 'R1', vdl, truncateFrom: vdl, truncateTo: vdl + 16, annulled: 0 });

function run(steps: readonly (readonly Observation[])[]): string[] {
  const oracle = new Oracle(DEFAULT_CONFIG);
  const found = oracle.observe(TXN, [accepted]);
  for (const obs of steps) found.push(...oracle.observe(SETTLE, obs));
  return found.map((f) => `${f.invariant}: ${f.message}`);
}

describe('the oracle decides each txn once', () => {
  it('takes an acknowledgement, and refuses a second one', () => {
    expect(run([[ack]])).toEqual([]);
    expect(run([[ack], [ack]])).toEqual(['commit-rule: txn 0 went to committed from committed']);
  });

  it('takes a deposed writer\'s acknowledgement of a txn recovery kept, once (shrinks/late-ack-after-recovery.json)', () => {
    expect(run([[recovered(2)], [ack]])).toEqual([]);
    expect(run([[recovered(2)], [ack], [ack]])).toEqual(['commit-rule: txn 0 went to committed from committed']);
  });

  it('refuses an acknowledgement of a txn recovery annulled', () => {
    expect(run([[recovered(0)], [ack]])).toEqual(['commit-rule: txn 0 went to committed from annulled']);
  });

  it('calls an acknowledged commit above a later recovery\'s VDL lost', () => {
    expect(run([[ack], [recovered(0)]])).toEqual(['durability: txn 0 was acknowledged at 2 but recovery 2 kept only up to VDL 0']);
  });

  it('lets a recovery that completes after a newer one decide nothing, and still checks the next newer one (shrinks/stale-recovery-completes-late.json)', () => {
    // Epoch 3 completed first; txn 0 is then accepted at 1..2 (in this test's terms) and an older
    // recovery (epoch 2) completes: it must not annul or commit txn 0, nor call anything lost.
    const oracle = new Oracle(DEFAULT_CONFIG);
    expect(oracle.observe(SETTLE, [recovered(0, 3)])).toEqual([]);
    expect(oracle.observe(TXN, [accepted])).toEqual([]);
    expect(oracle.observe(SETTLE, [{ ...recovered(0, 2), truncateTo: 1 } as Observation])).toEqual([]);
    expect(oracle.txns[0]!.status).toBe('accepted');
    expect(oracle.observe(SETTLE, [ack])).toEqual([]);
    expect(oracle.observe(SETTLE, [recovered(0, 2)])).toEqual([]);
    // A newer recovery than any seen still decides, and still calls an acknowledged commit it drops lost.
    expect(oracle.observe(SETTLE, [recovered(0, 4)]).map((f) => f.invariant)).toEqual(['durability']);
  });
});
