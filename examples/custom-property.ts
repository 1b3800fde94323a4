// A user's own property, written against the package's exports only (no relative imports):
// a custom invariant added beside the registry, run over generated histories with impl/ in
// lockstep. Run it with `npx tsx examples/custom-property.ts` after `npm install` (which builds
// dist/); properties/package.test.ts typechecks and runs it, so it stays true.

import { DEFAULT_CONFIG, isWriterUp, type Config } from 'aurora-harness/model';
import { ImplEngine } from 'aurora-harness/impl';
import { fc, historyArb, runHistory, INVARIANTS, type Invariant } from 'aurora-harness/properties';

/** A design rule of one's own: a writer's epoch never goes back while it stays up. */
const epochForward: Invariant = {
  id: 'my-epoch-forward', tag: 'always',
  title: 'A writer that stays up never lowers its epoch',
  why: 'Storage fences by epoch; a writer that went back could be refused, or worse, accepted.',
  check: (v) => {
    const before = v.prev.compute[v.prev.control.writer];
    const after = v.next.compute[v.next.control.writer];
    if (!isWriterUp(before) || !isWriterUp(after) || v.prev.control.writer !== v.next.control.writer) return null;
    return after.epoch < before.epoch ? `epoch ${before.epoch} -> ${after.epoch} at step ${v.index}` : null;
  },
};

const config: Config = { ...DEFAULT_CONFIG, replicas: 1 };
const seed = Number(process.env.SEED ?? 42);
let histories = 0;
fc.assert(
  fc.property(historyArb({ maxEvents: 40 }), (h) => {
    histories++;
    const r = runHistory(config, h.events, { impl: true, invariants: [...INVARIANTS, epochForward] });
    if (r.violation !== null) throw new Error(`${r.violation.invariant}: ${r.violation.message}`);
  }),
  { seed, numRuns: 5 },
);
// The engines are usable on their own, too.
const engine = new ImplEngine(config);
const seen = engine.apply({ type: 'txn', mtrs: [[0]] });
console.log(`ok: ${histories} histories with ${INVARIANTS.length + 1} invariants; impl answered ${seen.map((o) => o.kind).join(',')}`);
