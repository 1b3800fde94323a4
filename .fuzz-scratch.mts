import { initialState, step } from '/work/main/model/step.ts';
import { DEFAULT_CONFIG } from '/work/main/model/types.ts';
import { watermarks } from '/work/main/model/watermarks.ts';
import type { Event } from '/work/main/model/events.ts';

let seed = Number(process.argv[2] ?? 1);
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const ri = (n: number) => Math.floor(rnd() * n);
function ev(): Event {
  const x = ri(100);
  if (x < 15) return { type: 'txn', mtrs: Array.from({ length: 1 + ri(2) }, () => Array.from({ length: 1 + ri(2) }, () => ri(6))) };
  if (x < 22) return { type: 'read', pages: [ri(6), ri(6)] };
  if (x < 40) return { type: 'deliver', node: ri(7), k: ri(5) };
  if (x < 43) return { type: 'drop', node: ri(7), k: ri(5) };
  if (x < 46) return { type: 'duplicate', node: ri(7), k: ri(5) };
  if (x < 58) return { type: 'deliverAll' };
  if (x < 62) return { type: 'crashNode', node: ri(6) };
  if (x < 68) return { type: 'restartNode', node: ri(6) };
  if (x < 70) return { type: 'partition', nodes: [ri(7), ri(7)] };
  if (x < 73) return { type: 'heal' };
  if (x < 75) return { type: 'crashWriter' };
  if (x < 80) return { type: 'recover' };
  if (x < 95) return { type: 'tick' };
  return { type: 'persist', node: ri(6) };
}
const runs = Number(process.argv[3] ?? 300);
let problems = 0;
for (let run = 0; run < runs; run++) {
  const startSeed = seed;
  let s = initialState({ ...DEFAULT_CONFIG, pgCount: 2, pageCount: 6, lal: 8, hedgeTicks: 2, cachePages: 2, layout: run % 2 ? 'fullTail' : 'uniform' });
  const hist: Event[] = [];
  let maxCommitted = 0;
  const lastCommittedTxnPerPage = new Map<number, number>();
  const txnPages = new Map<number, number[]>();
  const committedTxns = new Set<number>();
  let fail: string | null = null;
  const snap = new Map<number, Map<number, number>>();
  for (let i = 0; i < 300 && !fail; i++) {
    const e = ev(); hist.push(e);
    if (e.type === 'read') snap.set(s.world.readCount, new Map(lastCommittedTxnPerPage));
    if (e.type === 'txn') txnPages.set(s.world.txnCount, e.mtrs.flat().map((p) => ((p % 6) + 6) % 6));
    let r;
    try { r = step(s, e); } catch (err) { fail = `throw ${(err as Error).message}`; break; }
    s = r.state;
    for (const o of r.observations) {
      if (o.kind === 'committed') { maxCommitted = Math.max(maxCommitted, o.commitLsn); committedTxns.add(o.txn); for (const p of txnPages.get(o.txn) ?? []) lastCommittedTxnPerPage.set(p, o.txn); }
      if (o.kind === 'recovered' && o.vdl < maxCommitted) fail = `recovered vdl ${o.vdl} < committed ${maxCommitted}`;
      if (o.kind === 'readOk') for (const v of o.values) {
        const t = v.value === 0 ? -1 : Math.floor(v.value / 1000);
        const need = snap.get(o.read)!.get(v.page);
        if (need !== undefined && t < need) fail = `read page ${v.page} got txn ${t} want >= ${need}`;
      }
    }
    if (s.writer.status === 'active') {
      const wm = watermarks(s.config, s.writer);
      if (!(wm.vdl <= wm.vcl && wm.vcl <= wm.allocated && wm.allocated <= wm.vdl + s.config.lal)) fail = `order ${JSON.stringify(wm)}`;
    }
  }
  if (fail) { problems++; if (problems <= 5) console.log(`run ${run} seed ${startSeed}: ${fail} after ${hist.length} events`); }
}
console.log('problems', problems, 'of', runs);
