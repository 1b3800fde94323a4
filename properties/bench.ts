// The benchmark (issue 4): a steady, fault-free workload through the model and impl/, measured.
//
// Workload (the same for both engines, generated lazily): a loop of transactions, each writing 3
// pages in 1 or 2 MTRs (4 redo records with the commit), each followed by deliverAll, tick,
// deliverAll, so every record persists and every commit is acknowledged before the next txn.
// replicas: 0 (writer and storage only), lal large enough that back-pressure never refuses. Pages
// are picked round-robin across the PGs, so every PG takes writes. Every txn must be accepted and
// committed, in order; the run fails loudly otherwise.
//
// Measurements: model at 10^3 and 10^4 records; impl at 10^4, 10^5, 10^6 records (2 PGs); impl at
// 10^5 records over 1, 64 and 13,108 PGs; a floor: as many messages as the impl run queued, pushed
// through the world's network queue (impl/network.ts) with no protocol logic, and another one
// through plain per-destination arrays. Heap: heapUsed sampled during the run (peak), and after a
// forced GC with the engine still alive (run with --expose-gc, as `npm run bench` does). Every row
// runs 3 times (--repeat) and the median run is reported, every run's ns/record beside it. A fixed
// SHA-256 timed before each row and at the end (probeMs) says whether the machine itself held its
// speed through the run; each row counts its page faults (fresh memory touched; a fault is timed
// once per run, machine.faultUs). Targets are reported, never asserted.
//
// Memory on a long run (impl-memory-long, untimed): one impl engine through 3×10^6 records
// (quick: 3×10^4), with a read of page 0 every 1,000 txns, heap after a forced GC and array
// buffers at each 10^6 (quick: 10^4): what the writer and storage keep must not grow with the
// run (the writer releases its log and folds its cached pages' versions, storage coalesces below
// the PGMRPL).
//
// With --forks N each row runs in N fresh processes and the median process is reported.
//
//   npm run bench [-- --json] [-- --quick] [-- --only impl-1e6,floor-1e6] [-- --repeat 5] [-- --forks 3]
//
// npm run bench builds (tsc -p tsconfig.build.json) and runs the compiled dist/properties/bench.js;
// npm run bench:tsx runs this file through tsx instead (slower: import getters, keepNames).

import type { Engine } from '../model/engine.js';
import { ModelEngine } from '../model/engine.js';
import type { Event } from '../model/events.js';
import type { Config, NodeId, Observation } from '../model/types.js';
import { DEFAULT_CONFIG, STORAGE_NODES } from '../model/types.js';
import { ImplEngine } from '../impl/index.js';
import { Network } from '../impl/network.js';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { UsageError, parse, positive } from './commands/common.js';
import { loadavg } from 'node:os';
import { textTable } from './table.js';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';

export const HELP = `usage: aurora-harness bench [options]   (or: npm run bench -- [options])

A steady fault-free workload (txn of 3 page writes = 4 records, then deliverAll, tick,
deliverAll; replicas 0; lal 1,000,000) through the model and impl/, with two floors: the same
messages through the world's network queue (impl/network.ts) and through plain arrays.

  --json        print one JSON object { measurements, ratios, targets } and nothing else
  --quick       small sizes (a smoke run, a few seconds)
  --full        the 13,108-PG run at 10^5 records (default 10^4)
  --only a,b    run only the named measurements (see the ids in the table; impl-memory-long is
                the long run below)
  --repeat N    measure every row N times, each after its own warm-up, and report the median
                run (default 3; 1 with --quick); every run's ns/record is in the JSON
  --forks N     measure every row in N fresh processes, one after another, each with --repeat
                runs, and report the median process (default 1: every row in this process), so
                no one process's JIT and allocator state decides a row (as JMH forks); every
                process's ns/record is in the JSON
  --explore     instead, the exploration benchmark: explore's histories/s on 1 and 2 threads
                and the machine's own scaling (see --explore --help)
  --shape       instead, the cost shape of a txn in impl and the model: the cost of a record and
                of a PG touched, fitted from txns of 2, 4 and 8 records and over 1, 2 and 3 PGs
                (see --shape --help)
  --help        this text

Before each row and at the end SHA-256 of a fixed 16 MiB buffer is timed (the machine probe, in
native code so V8's tiering does not move it; in the JSON as machine and each row's probeMs);
when its slowest run is more than 1.3x its fastest, the report says the machine's speed changed
during the run and the ratios between rows are not to be trusted.
Each row also counts the page faults its timed run took (faults/1k records: fresh memory
touched), and the run times one fault (machine.faultUs): on a VM where a fault costs ~12 us, 80
faults per 1,000 records are ~1 us a record.
Last, memory on a long run (impl-memory-long, untimed): one impl engine at 2 PGs through 3x10^6
records (--quick: 3x10^4) with a read of page 0 every 1,000 txns (a cached page written on and
on), heap after a forced GC and array buffers at every third of it (in the JSON as longRun);
the target is that the last checkpoint holds at most 1.2x the first.

Targets are reported (met / MISS), never asserted: the exit code is 0 unless the run itself
fails (a txn not accepted or not committed) or the options are bad (2). npm run bench builds and
runs the compiled dist/ code; aurora-harness bench runs dist/ when it is newer than the sources,
else the TypeScript through tsx (slower); the first line says which.`;

const RECORDS_PER_TXN = 4;
const PAGES_PER_PG = 2;

interface Spec {
  readonly id: string;
  readonly engine: 'model' | 'impl' | 'floor';
  readonly records: number;
  readonly pgs: number;
  /** For the floor: the impl measurement whose message count it replays. */
  readonly of?: string;
  /** Each txn's pages all in one PG (see txnEvent). */
  readonly local?: boolean;
  /** For the floor: the queues it pushes through (see runFloor). */
  readonly queue?: FloorQueue;
}

/**
 * The floor's queues: 'network', the world's network queue itself (impl/network.ts, the issue's
 * definition of the floor); 'bare', plain arrays (no queue code; it measured slower than the
 * network queue, whose buffers are reused young where these are trimmed and regrown).
 */
type FloorQueue = 'network' | 'bare';

export interface Measurement {
  readonly id: string;
  readonly engine: 'model' | 'impl' | 'floor';
  readonly records: number;
  readonly pgs: number;
  /** Each txn's pages in one PG (absent: spread over PGs; see txnEvent). */
  readonly local?: boolean;
  /** A floor's queues (absent for engines). */
  readonly queue?: FloorQueue;
  readonly txns: number;
  readonly events: number;
  readonly ms: number;
  readonly recordsPerSec: number;
  readonly nsPerRecord: number;
  /** ns/record over the second half of the run alone (steady state; the whole run is nsPerRecord). */
  readonly steadyNsPerRecord: number;
  /**
   * Every run's nsPerRecord, in the order they ran (see --repeat); the other figures are the
   * median run's (the middle one by nsPerRecord; of an even number, the slower of the two middle).
   */
  readonly runsNsPerRecord: readonly number[];
  /**
   * With --forks N: each process's nsPerRecord (its median run), in the order they ran; the row is
   * the median process's (of an even number, the slower of the two middle), runsNsPerRecord every
   * run of every process.
   */
  readonly forksNsPerRecord?: readonly number[];
  /** Peak heapUsed sampled during the run. */
  readonly heapMB: number;
  /** heapUsed after a forced GC at the end, the engine still reachable (null: no --expose-gc). */
  readonly heapAfterGcMB: number | null;
  /** Array-buffer memory (typed arrays, outside heapUsed) at the end, after the forced GC if any. */
  readonly arrayBuffersMB: number;
  /** The machine probe (see probeMs) just before the row, ms: what this row ran on. */
  readonly probeMs?: number;
  /**
   * Minor page faults during the timed run (the process's, from getrusage), per 1,000 records:
   * fresh memory touched. On this project's VM a fault costs 11-13 us (machine.faultUs), so 100
   * faults per 1,000 records are ~1.2 us a record.
   */
  readonly faultsPer1kRecords: number;
  /** Messages queued on the simulated network (impl), or pushed through the queues (floor). */
  readonly messages: number | null;
  readonly messagesPerRecord: number | null;
}

function config(pgs: number): Config {
  return { ...DEFAULT_CONFIG, pgCount: pgs, pagesPerPg: PAGES_PER_PG, replicas: 0, lal: 1_000_000 };
}

/**
 * Txn i's 3 pages, in 1 or 2 MTRs. Spread (the default): the next three pages of a round-robin
 * over PGs (pg = k mod pgs), so from 3 PGs up a txn's records go to 3 or 4 PGs. Local: all three
 * in PG i mod pgs (its two pages, one written twice), so every txn costs the same messages
 * whatever the volume's size, and every PG still takes writes.
 */
function txnEvent(i: number, pgs: number, local = false): Event {
  const page = (k: number): number => (k % pgs) * PAGES_PER_PG + (Math.floor(k / pgs) % PAGES_PER_PG);
  const k = 3 * i;
  const base = (i % pgs) * PAGES_PER_PG;
  const [a, b, c] = local ? [base + (i % 2), base + 1 - (i % 2), base + (i % 2)] : [page(k), page(k + 1), page(k + 2)];
  return { type: 'txn', mtrs: i % 2 === 0 ? [[a!, b!, c!]] : [[a!], [b!, c!]] };
}

const DELIVER_ALL: Event = { type: 'deliverAll' };
const TICK: Event = { type: 'tick' };

/**
 * Compiled (npm run bench: tsc emits dist/, node runs dist/properties/bench.js, as production code
 * would run) or through tsx (npm run bench:tsx), which transpiles each module to CommonJS-style
 * code where every use of an import is a getter call; the header and the JSON say which.
 */
const COMPILED = import.meta.url.endsWith('.js');

/**
 * A forced full GC, for the heap-after-GC figures: node's own under --expose-gc, else the same
 * function reached by setting the flag at run time (V8 then hands `gc` to new contexts).
 */
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc ?? (() => {
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('gc');
    return typeof f === 'function' ? (f as () => void) : undefined;
  } catch {
    return undefined;
  }
})();
const MB = 1024 * 1024;

function forceGc(): void {
  if (gc !== undefined) { gc(); gc(); }
}

function fail(message: string): never {
  throw new Error(`bench: ${message}`);
}

/** Applies one txn and its settle steps; checks it was accepted and committed, in order. */
function runTxn(engine: Engine, i: number, pgs: number, expectLsn: number, local = false): number {
  const accepted = engine.apply(txnEvent(i, pgs, local));
  const a = accepted[0];
  if (accepted.length !== 1 || a === undefined || a.kind !== 'accepted' || a.txn !== i) {
    fail(`${engine.name}: txn ${i} not accepted: ${JSON.stringify(accepted)}`);
  }
  if (a.firstLsn !== expectLsn || a.commitLsn - a.firstLsn + 1 !== RECORDS_PER_TXN) {
    fail(`${engine.name}: txn ${i} got LSNs ${a.firstLsn}..${a.commitLsn}, expected ${expectLsn}..${expectLsn + RECORDS_PER_TXN - 1}`);
  }
  let committed = 0;
  const take = (obs: readonly Observation[]): void => {
    for (const o of obs) {
      if (o.kind === 'committed') {
        if (o.txn !== i || o.commitLsn !== a.commitLsn) fail(`${engine.name}: unexpected commit ${JSON.stringify(o)} during txn ${i}`);
        committed++;
      } else fail(`${engine.name}: unexpected observation during txn ${i}: ${JSON.stringify(o)}`);
    }
  };
  take(engine.apply(DELIVER_ALL));
  take(engine.apply(TICK));
  take(engine.apply(DELIVER_ALL));
  if (committed !== 1) fail(`${engine.name}: txn ${i} was not committed after deliverAll, tick, deliverAll`);
  return a.commitLsn - a.firstLsn + 1;
}

function newEngine(spec: Spec): Engine {
  return spec.engine === 'model' ? new ModelEngine(config(spec.pgs)) : new ImplEngine(config(spec.pgs));
}

/**
 * Start-up, measured honestly: the forced GC comes first, then separate warm-up engines of the
 * same kind and volume run (WARM_UP_ENGINES of them, discarded, unreported: they warm the JIT as
 * a long-running process would be), then the measured engine is built and run from its first
 * record. Before this, the forced GC came right before the measured engine and its
 * first ~10^4 records ran 3-8x slower than its later ones (new space shrunk by the GC, the JIT's
 * code for this volume's shapes not yet warm), so impl-1e4 measured that start-up. The measured
 * engine still pays its own construction and every record from the first; `steadyNsPerRecord`
 * (the second half of the run alone) is reported beside the whole-run figure so the two can be
 * compared, and the targets are judged on the whole run.
 */
function warmUp(spec: Spec): void {
  const records = spec.engine === 'model' ? Math.min(spec.records, 400) : Math.min(spec.records, 20_000);
  for (let k = 0; k < WARM_UP_ENGINES; k++) {
    const engine = newEngine(spec);
    let got = 0;
    for (let i = 0; got < records; i++) got += runTxn(engine, i, spec.pgs, got + 1, spec.local);
  }
}

/**
 * Warm-up engines per row: V8 keeps re-optimizing over the first few engines of a process (fresh
 * 4,000-record engines measured 22,000, 7,000, 8,500, 15,000, 16,000, 16,000, 19,000, 10,000,
 * then ~7,400 ns/record from the ninth on), so one warm-up engine left impl-1e4 measuring that.
 */
const WARM_UP_ENGINES = 3;

function runEngine(spec: Spec, warm = true): Measurement {
  const txns = Math.ceil(spec.records / RECORDS_PER_TXN);
  forceGc();
  if (warm) warmUp(spec);
  const engine: Engine = newEngine(spec);
  const sampleEvery = Math.max(1, Math.min(1000, Math.floor(txns / 50)));
  const heap = new HeapSampler();
  let records = 0;
  const half = Math.floor(txns / 2);
  let tHalf = 0n;
  let sampledAtHalf = 0;
  let recordsAtHalf = 0;
  const faults0 = process.resourceUsage().minorPageFault;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < txns; i++) {
    if (i === half) { tHalf = process.hrtime.bigint(); recordsAtHalf = records; sampledAtHalf = heap.ns; }
    records += runTxn(engine, i, spec.pgs, records + 1, spec.local);
    if (i % sampleEvery === 0) heap.sample();
  }
  const t1 = process.hrtime.bigint();
  const faults = process.resourceUsage().minorPageFault - faults0;
  // The run's time without its heap samples' (see HeapSampler).
  const ns = Number(t1 - t0) - heap.ns;
  const steadyNs = Number(t1 - tHalf) - (heap.ns - sampledAtHalf);
  heap.sample();
  const peak = heap.peak;
  if (records !== txns * RECORDS_PER_TXN) fail(`${spec.id}: ${records} records committed, expected ${txns * RECORDS_PER_TXN}`);
  let after: number | null = null;
  if (gc !== undefined) {
    forceGc();
    after = process.memoryUsage().heapUsed;
  }
  const messages = engine instanceof ImplEngine ? engine.messagesQueued : null;
  // Keep the engine alive through the post-GC sample.
  if (engine.name === '') console.log();
  return {
    id: spec.id, engine: spec.engine, records, pgs: spec.pgs, ...(spec.local === true ? { local: true } : {}), txns, events: txns * 4,
    ms: round(ns / 1e6, 1), recordsPerSec: Math.round(records / (ns / 1e9)), nsPerRecord: round(ns / records, 0),
    steadyNsPerRecord: round(steadyNs / (records - recordsAtHalf), 0), runsNsPerRecord: [round(ns / records, 0)], faultsPer1kRecords: round((faults * 1000) / records, 1),
    heapMB: round(peak / MB, 1), heapAfterGcMB: after === null ? null : round(after / MB, 1), arrayBuffersMB: round(process.memoryUsage().arrayBuffers / MB, 1),
    messages, messagesPerRecord: messages === null ? null : round(messages / records, 2),
  };
}

/**
 * The floor: `messages` messages, one small object each as impl allocates them, in the workload's
 * rhythm (per txn, push its share round-robin over the 10 nodes, 9 storage and the writer, then
 * drain every queue), with no protocol logic: a drained message only adds to a checksum.
 * - 'network': through the world's network queue, impl/network.ts, used as impl uses it: a
 *   storage destination by number (sendToStorage, as writes go), the writer by name (send, as
 *   acks go); each queue drained as deliverAll drains it (read in place, then dropRunAt).
 *   Message objects have the shape of gc and ack messages.
 * - 'bare': plain per-destination arrays, drained by index (no queue code, but each drain's
 *   `length = 0` trims the array, so every push run regrows it).
 */
function runFloor(spec: Spec, messages: number, records: number): Measurement {
  const queue: FloorQueue = spec.queue ?? 'bare';
  const txns = Math.ceil(records / RECORDS_PER_TXN);
  forceGc();
  const t = queue === 'network' ? networkFloor(spec.pgs, messages, txns) : bareFloor(spec.pgs, messages, txns);
  // seq & 1 summed over seq = 0 .. messages - 1: every message was drained once.
  if (t.checksum !== Math.floor(messages / 2)) fail(`floor: checksum ${t.checksum} for ${messages} messages`);
  let after: number | null = null;
  if (gc !== undefined) { forceGc(); after = process.memoryUsage().heapUsed; }
  const half = Math.floor(txns / 2);
  return {
    id: spec.id, engine: 'floor', records, pgs: spec.pgs, queue, txns, events: txns * 4,
    ms: round(t.ns / 1e6, 1), recordsPerSec: Math.round(records / (t.ns / 1e9)), nsPerRecord: round(t.ns / records, 0),
    steadyNsPerRecord: round(t.steadyNs / (records - RECORDS_PER_TXN * half), 0), runsNsPerRecord: [round(t.ns / records, 0)], faultsPer1kRecords: round((t.faults * 1000) / records, 1),
    heapMB: round(t.peak / MB, 1), heapAfterGcMB: after === null ? null : round(after / MB, 1), arrayBuffersMB: round(process.memoryUsage().arrayBuffers / MB, 1),
    messages, messagesPerRecord: round(messages / records, 2),
  };
}

/** A floor run's timings: the whole run, its second half (from txn txns/2), peak heapUsed, page faults, checksum. */
interface FloorRun {
  readonly ns: number;
  readonly faults: number;
  readonly steadyNs: number;
  readonly peak: number;
  readonly checksum: number;
}

/** How many of the `messages` txn i pushes: the floor spreads them evenly over the txns. */
function shareOf(i: number, messages: number, txns: number): number {
  return Math.floor(((i + 1) * messages) / txns) - Math.floor((i * messages) / txns);
}

/**
 * Peak heapUsed sampled during a timed run, and the time the samples took, which the run takes off
 * its own time. process.memoryUsage() costs 10-18 us a call here (it reads the RSS from /proc):
 * impl-1e4's 50 samples were ~0.6 ms of its ~11 ms, the floor's 250 ~3 ms of ~150-230 ms.
 * v8.getHeapStatistics() reads the same used_heap_size in ~2 us.
 */
class HeapSampler {
  peak = heapUsed();
  /** ns spent sampling. */
  ns = 0;

  sample(): void {
    const t = process.hrtime.bigint();
    const used = heapUsed();
    if (used > this.peak) this.peak = used;
    this.ns += Number(process.hrtime.bigint() - t);
  }
}

function heapUsed(): number {
  return getHeapStatistics().used_heap_size;
}

/**
 * A floor run's clock, told of each txn: when the second half starts (steady ns) and a heap
 * sample every 1,000 txns (its time taken off the run's, as runEngine does).
 */
class FloorClock {
  private readonly half: number;
  private tHalf = 0n;
  private sampledAtHalf = 0;
  private readonly heap = new HeapSampler();
  private readonly faults0 = process.resourceUsage().minorPageFault;
  private readonly t0 = process.hrtime.bigint();

  constructor(txns: number) {
    this.half = Math.floor(txns / 2);
  }

  txn(i: number): void {
    if (i === this.half) { this.tHalf = process.hrtime.bigint(); this.sampledAtHalf = this.heap.ns; }
    if (i % 1000 === 0) this.heap.sample();
  }

  end(checksum: number): FloorRun {
    const t1 = process.hrtime.bigint();
    const faults = process.resourceUsage().minorPageFault - this.faults0;
    const heap = this.heap;
    const ns = Number(t1 - this.t0) - heap.ns;
    const steadyNs = Number(t1 - this.tHalf) - (heap.ns - this.sampledAtHalf);
    heap.sample();
    return { ns, faults, steadyNs, peak: heap.peak, checksum };
  }
}

// The two floors are two loops, each monomorphic (one call site serving both would be
// polymorphic, and slow whichever ran second).

function bareFloor(pgs: number, messages: number, txns: number): FloorRun {
  const nodes = STORAGE_NODES.length + 1;
  const queues: { to: number; seq: number; pg: number }[][] = Array.from({ length: nodes }, () => []);
  const heads = new Array<number>(nodes).fill(0);
  let sent = 0;
  let checksum = 0;
  const clock = new FloorClock(txns);
  for (let i = 0; i < txns; i++) {
    clock.txn(i);
    const share = shareOf(i, messages, txns);
    for (let m = 0; m < share; m++) {
      const to = (sent + m) % nodes;
      queues[to]!.push({ to, seq: sent + m, pg: i % pgs });
    }
    sent += share;
    for (let n = 0; n < nodes; n++) {
      const q = queues[n]!;
      while (heads[n]! < q.length) checksum += q[heads[n]!++]!.seq & 1;
      q.length = 0;
      heads[n] = 0;
    }
  }
  return clock.end(checksum);
}

/** Txn i is tick i of the world's time (the workload ticks once a txn), as dropRunAt is told. */
function networkFloor(pgs: number, messages: number, txns: number): FloorRun {
  const writer: NodeId = 'W';
  const net = new Network([...STORAGE_NODES, writer]);
  const storage = STORAGE_NODES.length;
  const nodes = storage + 1;
  let sent = 0;
  let checksum = 0;
  const clock = new FloorClock(txns);
  for (let i = 0; i < txns; i++) {
    clock.txn(i);
    const share = shareOf(i, messages, txns);
    const pg = i % pgs;
    for (let m = 0; m < share; m++) {
      const seq = sent + m;
      const to = seq % nodes;
      if (to < storage) net.sendToStorage(to, { kind: 'gc', from: writer, to: STORAGE_NODES[to]!, epoch: 1, pg, point: seq });
      else net.send({ kind: 'ack', from: STORAGE_NODES[seq % storage]!, to: writer, epoch: 1, pg, scl: seq, incarnation: 1 });
    }
    sent += share;
    for (let n = 0; n < nodes; n++) {
      const count = net.pendingAt(n);
      if (count === 0) continue;
      const q = net.bufferAt(n);
      const head = net.headAt(n);
      for (let j = 0; j < count; j++) {
        const msg = q[head + j]!;
        checksum += (msg.kind === 'gc' ? msg.point : msg.kind === 'ack' ? msg.scl : 0) & 1;
      }
      net.dropRunAt(n, head, count, i);
    }
  }
  if (net.queued !== messages) fail(`floor: the network queued ${net.queued} of ${messages} messages`);
  return clock.end(checksum);
}

/**
 * A row measured `repeat` times (each run builds its own engine after its own warm-up, or is a
 * whole floor run), reported as the median run: one short run is at the mercy of a single
 * descheduling or JIT recompilation on this shared machine (impl-1e4 is ~15 ms), and the median
 * of three is not. Every run's ns/record stays in runsNsPerRecord; the peak heap is the highest of
 * all runs (the heap target is judged on the worst).
 */
function measureRow(repeat: number, run: () => Measurement): Measurement {
  const runs: Measurement[] = [];
  for (let k = 0; k < repeat; k++) runs.push(run());
  return { ...medianOf(runs), runsNsPerRecord: runs.map((m) => m.nsPerRecord) };
}

/**
 * The middle measurement by ns/record (of an even number, the slower of the two middle), with the
 * highest peak heap of them all: measureRow's runs, forkRow's processes.
 */
function medianOf(ms: readonly Measurement[]): Measurement {
  const sorted = [...ms].sort((a, b) => a.nsPerRecord - b.nsPerRecord);
  return { ...sorted[Math.floor(sorted.length / 2)]!, heapMB: Math.max(...ms.map((m) => m.heapMB)) };
}

/**
 * A row measured in `forks` fresh processes, one after another (as JMH forks its benchmarks): each
 * runs this file with --only the row and reports its median run; the row is the median process.
 * Runs inside one process (--repeat) share its JIT and allocator state; processes do not. What
 * they do not fix: on this VM impl's speed also drifts over stretches of seconds to a minute
 * (two --forks 3 runs a minute apart read impl-1e6 at 877-1,111 and 720-741 ns/record, the
 * three processes of each run alike), unseen by the SHA probe and by a 64 MiB pointer chase.
 * Compiled, the child runs dist/properties/bench.js; from the sources, bench.ts through tsx.
 */
function forkRow(id: string, forks: number, args: readonly string[]): Measurement {
  const file = fileURLToPath(import.meta.url);
  const root = fileURLToPath(new URL(COMPILED ? '../..' : '..', import.meta.url));
  const runs: Measurement[] = [];
  for (let k = 0; k < forks; k++) {
    const r = spawnSync(process.execPath, [...(COMPILED ? [] : ['--import', 'tsx']), '--expose-gc', file, '--only', id, '--json', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * MB });
    if (r.error !== undefined) throw new Error(`bench --forks: could not start a process for ${id}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`bench --forks: the process for ${id} exited ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    const m = (JSON.parse(r.stdout) as { measurements: Measurement[] }).measurements[0];
    if (m?.id !== id) throw new Error(`bench --forks: the process for ${id} reported no such row`);
    runs.push(m);
  }
  return { ...medianOf(runs), runsNsPerRecord: runs.flatMap((m) => m.runsNsPerRecord), forksNsPerRecord: runs.map((m) => m.nsPerRecord) };
}

/**
 * The machine's own speed, probed: SHA-256 of 16 MiB (a 64 KiB buffer, 256 times), timed three
 * times, the median kept. The hash runs in OpenSSL's native code, so what it reads is the machine,
 * not V8: an integer loop in JavaScript, which this probe used to be, reads 9x slower or faster by
 * whether TurboFan's concurrently compiled code has been installed yet (2026-11-27: the same
 * 2*10^7-add loop took 95-105 ms in some processes and 9-14 ms in others, on a calm machine where
 * the same loop in C took 5.9 ms +-2% every time; with --no-concurrent-recompilation it was always
 * fast). Rows measured seconds apart, and the ratios between them, mean little unless the probe
 * held steady across the run. It runs before every row and once at the end; the report gives its
 * spread.
 */
function probeMs(): number {
  // A small buffer hashed many times: the probe adds nothing to the rows' array-buffer figures.
  probeBuffer ??= Buffer.alloc(64 * 1024, 7);
  // The median of three, so one scavenge or JIT job landing in a 10 ms sample does not read as the
  // machine slowing down.
  const ms: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    const h = createHash('sha256');
    for (let done = 0; done < PROBE_BYTES; done += probeBuffer.length) h.update(probeBuffer);
    h.digest();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return round(ms.sort((a, b) => a - b)[1]!, 1);
}

const PROBE_BYTES = 16 * 1024 * 1024;
let probeBuffer: Buffer | null = null;

/**
 * What a page fault costs here, us: a fresh 16 MiB typed array (mapped, not yet touched) written
 * once per 4 KiB page, timed, over the faults it took (null: the allocator handed back memory
 * already touched, so no fault to time). 11-13 us on this project's VM (2026-11-27), where the
 * writer log's growth alone was ~190 ns a record before it went to fixed blocks.
 */
function faultUs(): number | null {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = process.hrtime.bigint();
  const a = new Int32Array(4 * 1024 * 1024);
  for (let i = 0; i < a.length; i += 1024) a[i] = 1;
  const ns = Number(process.hrtime.bigint() - t0);
  const faults = process.resourceUsage().minorPageFault - f0;
  return faults >= 1024 ? round(ns / faults / 1000, 2) : null;
}

/** Above this max/min of the probe across a run, the report says its ratios are not to be trusted. */
const PROBE_STEADY = 1.3;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function specs(quick: boolean, full: boolean): Spec[] {
  const s = quick ? 0.01 : 1;
  const n = (x: number): number => Math.max(RECORDS_PER_TXN, Math.round(x * s));
  const bigPgs = quick ? 512 : 13_108;
  return [
    { id: 'model-1e3', engine: 'model', records: n(1e3), pgs: 2 },
    { id: 'model-1e4', engine: 'model', records: n(1e4), pgs: 2 },
    { id: 'impl-1e4', engine: 'impl', records: n(1e4), pgs: 2 },
    { id: 'impl-1e5', engine: 'impl', records: n(1e5), pgs: 2 },
    { id: 'impl-1e6', engine: 'impl', records: n(1e6), pgs: 2 },
    { id: 'floor-1e6', engine: 'floor', records: n(1e6), pgs: 2, of: 'impl-1e6', queue: 'network' },
    { id: 'floor-bare-1e6', engine: 'floor', records: n(1e6), pgs: 2, of: 'impl-1e6', queue: 'bare' },
    { id: 'impl-1e5-pg1', engine: 'impl', records: n(1e5), pgs: 1 },
    { id: 'impl-1e5-pg64', engine: 'impl', records: n(1e5), pgs: 64 },
    // 13,108 PGs: ticks walk only the PGs with work (impl/workset.ts) and the PGMRPL goes only to
    // PGs with records committing above the point they were last told, so the per-record cost no
    // longer grows with the volume; the run still pays a one-off setup (every segment is created
    // and visited once), and each PG's newest page versions live until its next write (~4,400
    // txns later), so they are promoted and die in old space. Messages per record are 3.9x those
    // at 1 PG (13.5 vs 3.5: a txn's pages fall in 3 or 4 PGs of 6 members each). By default this
    // runs 10^4 records; --full runs 10^5.
    { id: `impl-pg${bigPgs}`, engine: 'impl', records: full ? n(1e5) : n(1e4), pgs: bigPgs },
    // The same volumes with each txn's pages in one PG: messages per record stay at 1 PG's, so
    // what is left of the growth is the volume's own cost (its per-PG state, its work sets).
    { id: 'impl-1e5-pg64-local', engine: 'impl', records: n(1e5), pgs: 64, local: true },
    { id: `impl-pg${bigPgs}-local`, engine: 'impl', records: full ? n(1e5) : n(1e4), pgs: bigPgs, local: true },
  ];
}

interface Ratio {
  readonly name: string;
  readonly value: number | null;
  readonly target: string;
  readonly met: boolean | null;
}

function ratios(ms: readonly Measurement[], quick: boolean, long: LongRun | null): Ratio[] {
  const by = (id: string): Measurement | undefined => ms.find((m) => m.id === id);
  const big = ms.find((m) => m.engine === 'impl' && m.pgs > 64 && m.local !== true);
  const bigLocal = ms.find((m) => m.engine === 'impl' && m.pgs > 64 && m.local === true);
  const r = (name: string, value: number | null, target: string, ok: (v: number) => boolean): Ratio =>
    ({ name, value: value === null ? null : round(value, 2), target, met: value === null ? null : ok(value) });
  const div = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : a / b);
  const pgNs = [by('impl-1e5-pg1'), by('impl-1e5-pg64'), big].map((m) => m?.nsPerRecord);
  const spread = (xs: (number | undefined)[]): number | null => (xs.every((x) => x !== undefined) ? Math.max(...(xs as number[])) / Math.min(...(xs as number[])) : null);
  const pgFlat = spread(pgNs);
  const pgFlatLocal = spread([by('impl-1e5-pg1'), by('impl-1e5-pg64-local'), bigLocal].map((m) => m?.nsPerRecord));
  const top = quick ? 'impl-1e6 (quick: 1e4)' : 'impl-1e6';
  return [
    r(`${top} records/s`, by('impl-1e6')?.recordsPerSec ?? null, '>= 1,000,000', (v) => v >= 1e6),
    r('impl/model speed at 1e4 (model ns/record / impl ns/record)', div(by('model-1e4')?.nsPerRecord, by('impl-1e4')?.nsPerRecord), '>= 100', (v) => v >= 100),
    r('impl ns/record 1e6 / 1e4', div(by('impl-1e6')?.nsPerRecord, by('impl-1e4')?.nsPerRecord), '<= 1.5', (v) => v <= 1.5),
    r('impl ns/record 64 PGs / 1 PG (1e5 records)', div(by('impl-1e5-pg64')?.nsPerRecord, by('impl-1e5-pg1')?.nsPerRecord), '<= 1.5', (v) => v <= 1.5),
    r(`impl ns/record ${big?.pgs ?? '?'} PGs (${big?.records ?? '?'} records) / 1 PG (1e5 records)`, div(big?.nsPerRecord, by('impl-1e5-pg1')?.nsPerRecord), '<= 1.5', (v) => v <= 1.5),
    r('impl ns/record max/min over 1, 64, big PGs', pgFlat, '<= 1.5', (v) => v <= 1.5),
    r('impl ns/record max/min over 1, 64, big PGs, PG-local txns', pgFlatLocal, '<= 1.5', (v) => v <= 1.5),
    r('impl / floor ns/record at 1e6 (floor: the world\'s network queue, impl/network.ts)', div(by('impl-1e6')?.nsPerRecord, by('floor-1e6')?.nsPerRecord), '<= 3', (v) => v <= 3),
    r('impl / plain-array floor ns/record at 1e6 (no queue code)', div(by('impl-1e6')?.nsPerRecord, by('floor-bare-1e6')?.nsPerRecord), '<= 3', (v) => v <= 3),
    // Not a target: the workload sends more messages per record once a txn's 3 pages fall in 3
    // PGs (3.5 per record at 1 PG, 13.5 from 3 PGs up), so cost per message shows the volume's
    // own effect.
    { ...r('(info) impl ns/message max/min over 1, 64, big PGs', perMessageFlat(by('impl-1e5-pg1'), by('impl-1e5-pg64'), big), '(no target)', () => true), met: null },
    r('impl-1e6 heap after GC, MB', by('impl-1e6')?.heapAfterGcMB ?? null, '< 200', (v) => v < 200),
    r('impl-1e6 heap after GC + array buffers, MB', sumOrNull(by('impl-1e6')?.heapAfterGcMB, by('impl-1e6')?.arrayBuffersMB), '< 200', (v) => v < 200),
    r('impl-1e6 peak heapUsed, MB', by('impl-1e6')?.heapMB ?? null, '< 200', (v) => v < 200),
    ...(long === null ? [] : [r(`impl memory after GC (heap + array buffers), ${long.checkpoints[2]!.records.toLocaleString('en')} / ${long.checkpoints[0]!.records.toLocaleString('en')} records (one engine)`,
      long.growth, '<= 1.2 (flat)', (v) => v <= 1.2)]),
  ];
}

/** Memory at one checkpoint of the long run. */
interface Checkpoint {
  readonly records: number;
  readonly heapAfterGcMB: number | null;
  readonly arrayBuffersMB: number;
}

interface LongRun {
  readonly id: typeof LONG_ID;
  readonly pgs: number;
  readonly checkpoints: readonly Checkpoint[];
  /** Last checkpoint's heap after GC + array buffers over the first's (null: no GC exposed). */
  readonly growth: number | null;
}

const LONG_ID = 'impl-memory-long';
const READ_EVERY = 1000;
const READ_PAGE_0: Event = { type: 'read', pages: [0] };

/**
 * One impl engine through `records` records of the workload, untimed, with a read of page 0 every
 * READ_EVERY txns (so the writer caches it, and every later write of it is a version the cache
 * must fold away); at every third of the run a forced GC, then heap used and array buffers (the
 * writer's log lives in array buffers).
 */
function longRun(records: number): LongRun {
  const pgs = 2;
  forceGc();
  const engine = new ImplEngine(config(pgs));
  const every = Math.ceil(records / 3 / RECORDS_PER_TXN) * RECORDS_PER_TXN;
  const checkpoints: Checkpoint[] = [];
  let done = 0;
  for (let i = 0; checkpoints.length < 3; i++) {
    done += runTxn(engine, i, pgs, done + 1);
    if (i % READ_EVERY === 0) {
      // From the cache at once, or from a segment within a round.
      const seen = [...engine.apply(READ_PAGE_0)];
      for (let k = 0; k < 3 && !seen.some((o) => o.kind === 'readOk'); k++) seen.push(...engine.apply(DELIVER_ALL), ...engine.apply(TICK), ...engine.apply(DELIVER_ALL));
      if (!seen.some((o) => o.kind === 'readOk')) fail(`${LONG_ID}: the read after txn ${i} was not answered: ${JSON.stringify(seen)}`);
    }
    if (done % every !== 0) continue;
    forceGc();
    const mem = process.memoryUsage();
    checkpoints.push({ records: done, heapAfterGcMB: gc === undefined ? null : round(mem.heapUsed / MB, 1), arrayBuffersMB: round(mem.arrayBuffers / MB, 1) });
  }
  const total = (c: Checkpoint): number | null => (c.heapAfterGcMB === null ? null : c.heapAfterGcMB + c.arrayBuffersMB);
  const first = total(checkpoints[0]!);
  const last = total(checkpoints[2]!);
  return { id: LONG_ID, pgs, checkpoints, growth: first === null || last === null ? null : round(last / first, 2) };
}

function sumOrNull(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : a + b;
}

function perMessageFlat(...ms: (Measurement | undefined)[]): number | null {
  const ns: number[] = [];
  for (const m of ms) {
    if (m === undefined || m.messages === null || m.messages === 0) return null;
    ns.push((m.ms * 1e6) / m.messages);
  }
  return Math.max(...ns) / Math.min(...ns);
}

function table(ms: readonly Measurement[]): string {
  const head = ['id', 'engine', 'records', 'pgs', 'ms', 'records/s', 'ns/record', 'runs min-max', 'steady ns/record', 'heap peak MB', 'heap after GC MB', 'array buffers MB', 'faults/1k records', 'msgs/record'];
  const rows = ms.map((m) => [m.id, m.engine, m.records.toLocaleString('en'), String(m.pgs), m.ms.toFixed(1),
    m.recordsPerSec.toLocaleString('en'), String(m.nsPerRecord), `${Math.min(...m.runsNsPerRecord)}-${Math.max(...m.runsNsPerRecord)}`, String(m.steadyNsPerRecord), m.heapMB.toFixed(1), m.heapAfterGcMB?.toFixed(1) ?? '-', m.arrayBuffersMB.toFixed(1), m.faultsPer1kRecords.toFixed(1), m.messagesPerRecord?.toFixed(2) ?? '-']);
  return textTable(head, rows, 2);
}

/** Bad input throws UsageError (the caller prints one line, exit 2). */
export function main(argv: readonly string[]): number {
  const { values } = parse([...argv], { json: { type: 'boolean' }, quick: { type: 'boolean' }, full: { type: 'boolean' }, only: { type: 'string' }, repeat: { type: 'string' }, forks: { type: 'string' } });
  if (values.help === true) {
    console.log(HELP);
    return 0;
  }
  const json = values.json === true;
  const quick = values.quick === true;
  const full = values.full === true;
  const repeat = positive('--repeat', values.repeat, quick ? 1 : 3);
  const forks = positive('--forks', values.forks, 1);
  const only = typeof values.only !== 'string' ? null : new Set(values.only.split(',').map((x) => x.trim()).filter((x) => x !== ''));
  const ids = [...specs(quick, full).map((x) => x.id), LONG_ID];
  const unknown = only === null ? [] : [...only].filter((x) => !ids.includes(x));
  if (only !== null && (only.size === 0 || unknown.length > 0)) {
    throw new UsageError(`--only: ${unknown.length > 0 ? `unknown measurement ${unknown.join(', ')}` : 'no measurement named'} (ids${quick ? ' with --quick' : ''}: ${ids.join(', ')})`);
  }
  // Progress goes to stderr under --json, so stdout is the one JSON object.
  const log = (s: string): void => { if (json) console.error(s); else console.log(s); };
  // The machine's load before the run: a busy neighbour makes every figure below slower.
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  log(`bench: node ${process.version}, load average ${loadBefore} before the run, ${COMPILED ? 'compiled (dist/)' : 'tsx (TypeScript transpiled on load)'}, ${gc === undefined ? 'no --expose-gc (heap after GC not measured)' : '--expose-gc'}${quick ? ', quick sizes' : ''}`);
  // Every engine row runs after warm-up engines of its own kind and volume (see warmUp).
  const out: Measurement[] = [];
  probeMs(); // its first run allocates the buffer and loads the hash
  const fault = faultUs();
  for (const spec of specs(quick, full)) {
    if (only !== null && !only.has(spec.id)) continue;
    const probe = probeMs();
    let m: Measurement;
    if (forks > 1) {
      m = forkRow(spec.id, forks, ['--repeat', String(repeat), ...(quick ? ['--quick'] : []), ...(full ? ['--full'] : [])]);
    } else if (spec.engine === 'floor') {
      const source = out.find((x) => x.id === spec.of);
      // Without the impl run, estimate its message count from a small one.
      const messages = source?.messages ?? Math.round((runEngine({ ...spec, id: 'probe', engine: 'impl', records: 4000 }, false).messagesPerRecord ?? 0) * spec.records);
      m = measureRow(repeat, () => runFloor(spec, messages, spec.records));
    } else {
      m = measureRow(repeat, () => runEngine(spec));
    }
    m = { ...m, probeMs: probe };
    out.push(m);
    log(`  ${m.id}: ${m.records} records in ${m.ms} ms (${m.recordsPerSec.toLocaleString('en')} records/s, ${m.nsPerRecord} ns/record${m.forksNsPerRecord !== undefined ? ` median of ${forks} processes: ${m.forksNsPerRecord.join(' / ')}` : repeat > 1 ? ` median of ${m.runsNsPerRecord.join(' / ')}` : ''}, heap peak ${m.heapMB} MB)`);
  }
  let long: LongRun | null = null;
  if (only === null || only.has(LONG_ID)) {
    long = longRun(quick ? 30_000 : 3_000_000);
    log(`  ${LONG_ID}: ${long.checkpoints.map((c) => `${c.records.toLocaleString('en')} records: heap after GC ${c.heapAfterGcMB ?? '-'} MB, array buffers ${c.arrayBuffersMB} MB`).join('; ')}`);
  }
  const rs = ratios(out, quick, long);
  const probes = [...out.map((m) => m.probeMs!), probeMs()];
  const probeSpread = round(Math.max(...probes) / Math.min(...probes), 2);
  const machine = { probe: 'sha256', probeBytes: PROBE_BYTES, probeMs: probes, probeSpread, steady: probeSpread <= PROBE_STEADY, faultUs: fault };
  if (json) {
    console.log(JSON.stringify({ node: process.version, loadBefore, compiled: COMPILED, exposeGc: gc !== undefined, quick, repeat, forks, machine, measurements: out, longRun: long, ratios: rs }, null, 2));
  } else {
    if (out.length > 0) console.log(`\n${table(out)}\n`);
    for (const r of rs) console.log(`  ${r.met === null ? 'n/a ' : r.met ? 'met ' : 'MISS'}  ${r.name}: ${r.value ?? '-'} (target ${r.target})`);
    console.log(`\n  machine probe (SHA-256 of ${PROBE_BYTES / 1024 / 1024} MiB, before each row and at the end): ${Math.min(...probes)}-${Math.max(...probes)} ms, max/min ${probeSpread}: ${machine.steady ? 'steady' : `the machine's speed changed during the run (above ${PROBE_STEADY}); ratios between rows are not to be trusted, run again`}`);
    console.log(`  page fault: ${fault === null ? 'not measured (no fault taken)' : `${fault} us each`} (fresh memory: faults/1k records above is what each row touched)`);
  }
  return 0;
}

if (process.argv[1] !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const mode = argv.includes('--explore') ? ' --explore' : argv.includes('--shape') ? ' --shape' : '';
  try {
    process.exitCode = mode === ' --explore' ? await (await import('./bench-explore.js')).main(argv)
      : mode === ' --shape' ? await (await import('./bench-shape.js')).main(argv) : main(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench${mode}: ${e.message} (see${mode} --help)`);
    process.exitCode = 2;
  }
}
