// ImplEngine: the protocol engineered for speed, behind the same Engine interface as the model.
//
// One event in, the observations it caused out, in order; the engine does no I/O, and the world
// (the history) decides every delivery, fault and tick. Any event is valid: one that does not
// apply is a recorded no-op, and dynamic choices are taken modulo what exists, exactly as in
// model/step.ts, whose dispatch this mirrors branch for branch.

import type { Engine } from '../model/engine.js';
import type { Event } from '../model/events.js';
import type { Config, Lsn, Message, NodeId, Observation } from '../model/types.js';
import { STORAGE_NODES, bug, nodesOfAz as nodesOfAz_, quorumsFor } from '../model/types.js';
import { wins } from '../model/quorum.js';
import { assert as assert_, fail as fail_, mod as mod_ } from './assert.js';
import { Cluster, type ComputeNode } from './cluster.js';
import { addPg as addPg_, controlTick as controlTick_ } from './control.js';
import { startRecovery as startRecovery_ } from './recovery.js';
import { Replica, replicaRead as replicaRead_, replicaReceive as replicaReceive_, replicaTick as replicaTick_ } from './replica.js';
import { snapshotOfCluster, type Snapshot } from './snapshot.js';
import { collectGarbage as collectGarbage_, gossip as gossip_, persist as persist_, storageReceive as storageReceive_ } from './storage.js';
import { WriterUp, ackTaker as ackTaker_, clientRead as clientRead_, clientTxn as clientTxn_, writerCatchUp as writerCatchUp_, writerReceiveAt as writerReceiveAt_, writerTakeAckBy as writerTakeAckBy_, writerTick as writerTick_ } from './writer.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const nodesOfAz: typeof nodesOfAz_ = nodesOfAz_;
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const mod: typeof mod_ = mod_;
const addPg: typeof addPg_ = addPg_;
const controlTick: typeof controlTick_ = controlTick_;
const startRecovery: typeof startRecovery_ = startRecovery_;
const replicaRead: typeof replicaRead_ = replicaRead_;
const replicaReceive: typeof replicaReceive_ = replicaReceive_;
const replicaTick: typeof replicaTick_ = replicaTick_;
const collectGarbage: typeof collectGarbage_ = collectGarbage_;
const gossip: typeof gossip_ = gossip_;
const persist: typeof persist_ = persist_;
const storageReceive: typeof storageReceive_ = storageReceive_;
const clientRead: typeof clientRead_ = clientRead_;
const clientTxn: typeof clientTxn_ = clientTxn_;
const writerReceiveAt: typeof writerReceiveAt_ = writerReceiveAt_;
const writerTick: typeof writerTick_ = writerTick_;
const ackTaker: typeof ackTaker_ = ackTaker_;
const writerTakeAckBy: typeof writerTakeAckBy_ = writerTakeAckBy_;
const writerCatchUp: typeof writerCatchUp_ = writerCatchUp_;

export class ImplEngine implements Engine {
  readonly name = 'impl';
  private readonly c: Cluster;

  constructor(config: Config) {
    this.c = new Cluster(config);
  }

  apply(event: Event): readonly Observation[] {
    dispatch(this.c, event);
    return this.c.drain();
  }

  /** Messages queued on the simulated network so far (for benchmarks; not part of the protocol). */
  get messagesQueued(): number {
    return this.c.net.queued;
  }

  snapshot(): Snapshot {
    return snapshotOfCluster(this.c);
  }

  /**
   * Where the current writer's log is released to (null: no writer up): compared with the model's
   * after every step (properties' agreement invariant), as the release sends and observes nothing
   * itself; the snapshot at the end compares it once more with everything else.
   */
  writerReleased(): Lsn | null {
    const x = this.c.computeNode(this.c.control.writer);
    return x instanceof WriterUp ? x.log.released : null;
  }
}

function dispatch(c: Cluster, e: Event): void {
  // A switch on strings tests its cases in order: the steady state's events first (tick was the
  // 19th test).
  switch (e.type) {
    case 'txn': return clientTxn(c, e);
    case 'deliverAll': return deliverAll(c);
    case 'tick': return tick(c);
    case 'read': return clientRead(c, e);
    case 'readReplica': return readReplica(c, e.replica, e.pages);
    case 'deliver': return deliverChosen(c, e.node, e.k, 'deliver');
    case 'drop': return deliverChosen(c, e.node, e.k, 'drop');
    case 'duplicate': return deliverChosen(c, e.node, e.k, 'duplicate');
    case 'crashNode': return crashNode(c, storageId(e.node));
    case 'restartNode': return restartNode(c, storageId(e.node));
    case 'loseDisk': return loseDisk(c, storageId(e.node));
    case 'partition': {
      const nodes = c.net.nodes;
      return partition(c, [...new Set(e.nodes.map((i) => nodes[mod(i, nodes.length)]!))]);
    }
    case 'partitionAz': return partition(c, nodesOfAz(mod(e.az, 3)));
    case 'heal': return c.net.cuts.length === 0 ? c.noop('nothing to heal') : c.net.heal();
    case 'crashWriter': return crashWriter(c);
    case 'recover': return recover(c);
    case 'crashReplica': return crashReplica(c, e.replica);
    case 'restartReplica': return restartReplica(c, e.replica);
    case 'failover': return failover(c, e.replica);
    case 'persist': return persist(c, c.storageNode(storageId(e.node)));
    case 'addPg': return addPg(c);
  }
}

function storageId(i: number): NodeId {
  return STORAGE_NODES[mod(i, STORAGE_NODES.length)]!;
}

/** The i-th compute node that is not the control plane's writer (null: there is none). */
function otherCompute(c: Cluster, i: number): NodeId | null {
  const others = c.computeIds.filter((n) => n !== c.control.writer);
  return others.length === 0 ? null : others[mod(i, others.length)]!;
}

// ---- Network choices -----------------------------------------------------------------------

function deliverChosen(c: Cluster, node: number, k: number, what: 'deliver' | 'drop' | 'duplicate'): void {
  const choice = c.net.choose(node, k);
  if (choice === null) return c.noop('nothing pending');
  if (what === 'duplicate') return c.net.requeue(c.net.peek(choice.to, choice.index));
  const msg = c.net.take(choice.to, choice.index);
  if (what === 'deliver') deliver(c, msg);
}

/** Every message pending when the event starts, node by node (allNodes order), in send order. */
function deliverAll(c: Cluster): void {
  const nodes = c.nodeIds;
  const storageAt = c.storageAtIndex;
  const net = c.net;
  const ends = net.endsCopy();
  // deliverAll's checks are written as `if (...) fail(...)`: an assert call, inlined, spends
  // bytecode of the inlining budget (34 a call site) that storageReceive's path needs.
  if (ends.length !== nodes.length) fail('a queue per node');
  // Deliveries only append (to any queue), so node n's first `count` messages are exactly the ones
  // pending at the start: they are read in place, in send order, then dropped as one run.
  // Deliveries never partition or heal, so whether any cut is in force holds for the whole event.
  // A node's head moves only in its own run: its count is its end at the start less its head.
  const cut = net.cuts.length > 0;
  for (let i = 0; i < nodes.length; i++) {
    // A head is never past its end, so an end of 0 (an emptied queue is reset to 0..0) means
    // nothing pending: the head need not be loaded for the idle nodes.
    const end = ends[i]!;
    if (end === 0) continue;
    const head = net.headAt(i);
    const count = end - head;
    if (count === 0) continue;
    const q = net.bufferAt(i);
    // A storage node's object never changes (a crash only marks it down), so it is looked up
    // once per batch; a compute node's may be replaced by a handler (fenced, recovered), so it
    // is looked up again whenever the cluster's computeVersion moved.
    const id = nodes[i]!;
    const storage = storageAt[i]!;
    if (storage === null) {
      let version = -1;
      let x: ComputeNode | null = null;
      // The writer that takes this run's acks deferred (ackTaker: null, none), asked again
      // whenever x is looked up and after every other delivery; acks change neither.
      let taker: WriterUp | null = null;
      // The writer whose catch-up is owed after acks taken in this run (writerTakeAckBy).
      let owed: WriterUp | null = null;
      for (let j = 0; j < count; j++) {
        const msg = q[head + j]!;
        if (cut && net.linkDown(msg.from, msg.to)) continue;
        if (x === null || c.computeVersion !== version) {
          if (owed !== null && c.computeVersion !== version) fail('acks change no compute node');
          version = c.computeVersion;
          x = c.computeNode(id);
          taker = ackTaker(c, id, x);
        }
        if (taker !== null && msg.kind === 'ack') {
          if (taker !== x) fail('the ack taker is the node looked up');
          if (writerTakeAckBy(c, taker, msg) === 1) owed = taker;
          continue;
        }
        if (owed !== null) {
          writerCatchUp(c, id, owed);
          owed = null;
        }
        deliverToComputeAt(c, id, x, msg);
        taker = ackTaker(c, id, x);
      }
      if (owed !== null) writerCatchUp(c, id, owed);
    } else if (storage.up === true) {
      // Up for the whole run: only crashNode and restartNode (events of their own) change `up`,
      // never a delivery; a down node's run is lost as a whole (dropped below). Tested once a
      // run as a compare with the constant, where `&& storage.up` per message was a generic
      // truthiness test; and a run with no cut in force needs no link test at all (marginal
      // instructions per record, cachegrind: 2 PGs 11,210 -> 10,646, 64 PGs 18,573 -> 18,440;
      // most of it at 2 PGs is the bare loop, whose one call site V8 now inlines further).
      if (cut) {
        for (let j = 0; j < count; j++) {
          const msg = q[head + j]!;
          if (!net.linkDown(msg.from, msg.to)) storageReceive(c, storage, msg);
        }
      } else for (let j = 0; j < count; j++) storageReceive(c, storage, q[head + j]!);
    }
    net.dropRunAt(i, head, count, c.time);
  }
}

/** A message across a down link, or to a crashed node, is lost. */
function deliver(c: Cluster, msg: Message): void {
  if (c.net.linkDown(msg.from, msg.to)) return;
  const node = c.storage.get(msg.to);
  if (node !== undefined) {
    if (node.up) storageReceive(c, node, msg);
    return;
  }
  deliverToCompute(c, msg);
}

/** A message to a compute node (looked up each time: fencing or recovery replaces its state). */
function deliverToCompute(c: Cluster, msg: Message): void {
  deliverToComputeAt(c, msg.to, c.computeNode(msg.to), msg);
}

/** deliverToCompute, with the node's current state looked up by the caller. */
function deliverToComputeAt(c: Cluster, id: NodeId, x: ComputeNode, msg: Message): void {
  assert(msg.to === id, 'the message is to the node given');
  if (x instanceof Replica) replicaReceive(c, x, msg);
  else if (x.status !== 'down') writerReceiveAt(c, id, x, msg);
}

// ---- Faults --------------------------------------------------------------------------------

function crashNode(c: Cluster, id: NodeId): void {
  const node = c.storageNode(id);
  if (!node.up) return c.noop(`${id} is down`);
  node.crash(c.time);
}

/**
 * A disk loss inside the failure model (model/step.ts loseDiskInModel): one that would leave some
 * PG without a read quorum of whole segments among its members is a recorded no-op.
 */
function loseDisk(c: Cluster, id: NodeId): void {
  const node = c.storageNode(id);
  const pgs = c.control.pgs;
  for (let pg = 0; pg < pgs.length; pg++) {
    const members = c.members(pg);
    if (!members.includes(id) || node.segment(pg).blank) continue;
    const whole = members.filter((n) => n !== id && !c.storageNode(n).segment(pg).blank);
    if (!wins(quorumsFor(c.config, pgs[pg]!).read, whole)) {
      return c.noop(`losing ${id}'s disk would leave PG ${pg} without a read quorum of whole segments (outside the failure model)`);
    }
  }
  node.loseDisk();
}

function restartNode(c: Cluster, id: NodeId): void {
  const node = c.storageNode(id);
  if (node.up) return c.noop(`${id} is up`);
  node.restart();
}

function partition(c: Cluster, nodes: NodeId[]): void {
  if (nodes.length === 0 || nodes.length === c.net.nodes.length) return c.noop('empty partition');
  c.net.partition(nodes);
}

function crashWriter(c: Cluster): void {
  const node = c.control.writer;
  if (c.computeNode(node).status === 'down') return c.noop(`writer ${node} is down`);
  c.setDown(node);
}

function recover(c: Cluster): void {
  const node = c.control.writer;
  const status = c.computeNode(node).status;
  if (status !== 'down') return c.noop(`writer ${node} is ${status}`);
  startRecovery(c, node);
}

function crashReplica(c: Cluster, i: number): void {
  const node = otherCompute(c, i);
  if (node === null) return c.noop('no replicas');
  if (c.computeNode(node).status === 'down') return c.noop(`${node} is down`);
  c.setDown(node);
}

function restartReplica(c: Cluster, i: number): void {
  const node = otherCompute(c, i);
  if (node === null) return c.noop('no replicas');
  if (c.computeNode(node).status !== 'down') return c.noop(`${node} is up`);
  // Nothing sent to its earlier process reaches it (model/step.ts restartReplica).
  if (!bug(c.config, 'replica-restart-keeps-queue')) c.net.dropAllTo(node, c.time);
  c.setCompute(node, new Replica());
}

/** The control plane makes a replica the writer; it recovers under a new epoch. */
function failover(c: Cluster, i: number): void {
  const node = otherCompute(c, i);
  if (node === null) return c.noop('no replicas');
  if (c.computeNode(node).status !== 'replica') return c.noop(`${node} is not a replica`);
  c.control.writer = node;
  startRecovery(c, node);
}

function readReplica(c: Cluster, i: number, pages: readonly number[]): void {
  const node = otherCompute(c, i);
  const x = node === null ? null : c.computeNode(node);
  if (node === null || !(x instanceof Replica)) {
    c.observe({ kind: 'readRefused', read: c.readCount++, at: node, reason: 'noReplica' });
    return;
  }
  replicaRead(c, node, x, pages);
}

// ---- Time ----------------------------------------------------------------------------------

/** Storage persists, coalesces and gossips; the control plane heals; each compute node ticks. */
function tick(c: Cluster): void {
  c.time++;
  const nodes = c.storageList;
  // A node with nothing to persist, or with no segment to collect or gossip for and no
  // membership change to sync, is skipped here, not called: persist, collectGarbage and gossip
  // would return at once (a walk of an empty work set does nothing), and at 2 PGs most gossip
  // calls and a third of the others had nothing to do.
  // Indexed loops: for-of called the array iterator's next (a builtin) per node.
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    if (n.queueLength !== 0 || n.bases.length !== 0) persist(c, n);
  }
  const version = c.control.version;
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    if (n.gcWork.size !== 0 || n.controlVersion !== version) collectGarbage(c, n);
  }
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k]!;
    if (n.gossipWork.size !== 0 || n.controlVersion !== version) gossip(c, n);
  }
  controlTick(c);
  const computeIds = c.computeIds;
  for (let i = 0; i < computeIds.length; i++) {
    const id = computeIds[i]!;
    const x = c.computeNode(id);
    if (x instanceof Replica) replicaTick(c, id, x);
    else writerTick(c, id);
  }
  assert(c.time > 0, 'time moves forward');
}
