// The reference state machine: step(state, event) -> { state, observations }.
//
// Pure: every transition runs inside immer's produce with auto-freeze on, so an accidental
// mutation of a previous state throws. Simpler than the system on purpose: watermarks are
// recomputed from the state (no incremental bookkeeping; pure functions of immutable values, such
// as a log's per-PG index, a segment's SCL or the writer's watermarks, are memoized per value),
// lists are scanned. Every part of the state (config, control plane, storage fleet, compute nodes,
// world) is a value opaque to immer (frozen.ts): read plainly, and replaced whole, keeping its
// unchanged parts, by a new frozen value on change. Handlers work on the root's parts (Ctx.s) and
// produce's recipe writes each changed part to the draft once, so immer makes the next state
// (frozen, or the same state when nothing changed) without a proxy trap per read. A writer or
// replica handler edits a shallow copy of the node's value and keeps it (frozen.ts Copy/kept).
// Handlers branch here; leaves live in writer.ts, replica.ts, storage.ts, control.ts, recovery.ts
// and network.ts.

import { produce, setAutoFreeze } from 'immer';
import type { Event } from './events.js';
import type { Ctx } from './network.js';
import { choose, dropAllTo, flushSent, linkDown, mod, netOf, nextRead, requeue, setWorld, take, takeAll, worldValue } from './network.js';
import type { ComputeState, Parts, State, StorageNode } from './state.js';
import { DOWN, setCompute } from './state.js';
import type { Config, Message, NodeId, Observation } from './types.js';
import { DEFAULT_CONFIG, INITIAL_MEMBERS, STORAGE_NODES, WRITER, allNodes, bug, checkConfig, computeNodes, isStorage, membersOf, nodesOfAz, pageServers, quorumsFor } from './types.js';
import { wins } from './quorum.js';
import { collectGarbage, crashStorage, gossip, initialSegment, loseDisk, nodeOf, persist, restartStorage, storageNodeValue, storageReceive } from './storage.js';
import { clientRead, clientTxn, known, startRecovery, writerReceive, writerTick, writerUp, writerValue } from './writer.js';
import { emptyReplica, replicaRead, replicaReceive, replicaTick, replicaValue } from './replica.js';
import { addPg, controlTick, initialMembership, setControl } from './control.js';
import { frozen, frozenList, opaque } from './frozen.js';

setAutoFreeze(true);

export interface StepResult {
  readonly state: State;
  readonly observations: readonly Observation[];
}

export function initialState(config: Config = DEFAULT_CONFIG): State {
  const problem = checkConfig(config);
  if (problem !== null) throw new Error(`bad config: ${problem}`);
  const pgs = Array.from({ length: config.pgCount }, initialMembership);
  const storage: Record<NodeId, StorageNode> = {};
  for (const n of STORAGE_NODES) {
    storage[n] = storageNodeValue(
      Object.freeze({ segments: frozenList(pgs.map(() => initialSegment(WRITER))) }),
      Object.freeze({ up: true, downSince: 0, queue: frozenList([]), bases: frozenList([]) }),
    );
  }
  const emptyPlan = { vdl: 0, vcl: 0, gcPoint: 0, truncateTo: 0, ranges: [], annulled: 0, records: pgs.map(() => []), lastPg: pgs.map(() => 0) };
  // The volume is created sealed at epoch 1 with every segment empty and known to be so.
  const writer = writerValue({
    ...writerUp(emptyPlan, 1, 'active', config.pgCount),
    scl: frozenList(pgs.map(() => known(Object.fromEntries(INITIAL_MEMBERS.map((n) => [n, 0]))))),
    sealed: frozenList(pgs.map(() => known(Object.fromEntries(INITIAL_MEMBERS.map((n) => [n, 1]))))),
    incarnations: frozenList(pgs.map(() => known(Object.fromEntries(INITIAL_MEMBERS.map((n) => [n, 1]))))),
  });
  const compute: Record<NodeId, ComputeState> = { [WRITER]: writer };
  for (const r of computeNodes(config).slice(1)) {
    compute[r] = replicaValue({ ...emptyReplica(), epoch: 1, writer: WRITER, vdl: 0, covering: pgs.map((m) => pageServers(config, m)) });
  }
  // Frozen like every state a step makes (produce freezes those).
  return Object.freeze({
    config: frozen({ ...config }),
    control: opaque({ epochNext: 2, writer: WRITER, pgs: Object.freeze(pgs) }),
    storage: opaque(storage),
    compute: opaque(compute),
    world: worldValue({ time: 0, net: opaque(Object.fromEntries(allNodes(config).map((n) => [n, frozenList<Message>([])]))), cuts: frozenList([]), txnCount: 0, readCount: 0 }),
  });
}

const PARTS: readonly (keyof State)[] = ['config', 'control', 'storage', 'compute', 'world'];

export function step(state: State, event: Event): StepResult {
  const out: Observation[] = [];
  const next = produce(state, (draft) => {
    // Handlers read the parts plainly (no proxy trap per read) and replace them whole; each part
    // that changed is then written to the draft once.
    const parts: Parts = { config: state.config, control: state.control, storage: state.storage, compute: state.compute, world: state.world };
    const ctx: Ctx = { s: parts, out, config: state.config, sent: [] };
    apply(ctx, event);
    flushSent(ctx);
    // (Freezing them first: the fleet and the compute nodes change in place after a step's first change.)
    for (const k of PARTS) if (parts[k] !== state[k]) Reflect.set(draft, k, Object.freeze(parts[k]));
  });
  return { state: next, observations: out };
}

function apply(ctx: Ctx, e: Event): void {
  switch (e.type) {
    case 'txn': return clientTxn(ctx, e);
    case 'read': return clientRead(ctx, e);
    case 'readReplica': return readReplica(ctx, e.replica, e.pages);
    case 'deliver': return deliverChosen(ctx, e.node, e.k);
    case 'drop': return dropChosen(ctx, e.node, e.k);
    case 'duplicate': return duplicateChosen(ctx, e.node, e.k);
    case 'deliverAll': return deliverAll(ctx);
    case 'crashNode': return crashNode(ctx, storageNode(e.node));
    case 'restartNode': return restartNode(ctx, storageNode(e.node));
    case 'loseDisk': return loseDiskInModel(ctx, storageNode(e.node));
    case 'partition': {
      const nodes = allNodes(ctx.config);
      return partition(ctx, [...new Set(e.nodes.map((i) => nodes[mod(i, nodes.length)]!))]);
    }
    case 'partitionAz': return partition(ctx, nodesOfAz(mod(e.az, 3)));
    case 'heal': return heal(ctx);
    case 'crashWriter': return crashWriter(ctx);
    case 'recover': return recover(ctx);
    case 'crashReplica': return crashReplica(ctx, e.replica);
    case 'restartReplica': return restartReplica(ctx, e.replica);
    case 'failover': return failover(ctx, e.replica);
    case 'tick': return tick(ctx);
    case 'persist': return persist(ctx, storageNode(e.node));
    case 'addPg': return addPg(ctx);
  }
}

function storageNode(i: number): NodeId {
  return STORAGE_NODES[mod(i, STORAGE_NODES.length)]!;
}

/** The i-th compute node that is not the control plane's writer (null: there is none). */
function otherCompute(ctx: Ctx, i: number): NodeId | null {
  const others = computeNodes(ctx.config).filter((n) => n !== ctx.s.control.writer);
  return others.length === 0 ? null : others[mod(i, others.length)]!;
}

// ---- Network choices -----------------------------------------------------------------------

function deliverChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, allNodes(ctx.config), node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  deliver(ctx, take(ctx, c.to, c.index));
}

function dropChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, allNodes(ctx.config), node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  take(ctx, c.to, c.index);
}

function duplicateChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, allNodes(ctx.config), node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  requeue(ctx, netOf(ctx)[c.to]![c.index]!);
}

/** Every message pending when the event starts, node by node, in send order. */
function deliverAll(ctx: Ctx): void {
  // Messages sent meanwhile join the emptied queues, to wait for a later event.
  for (const queue of takeAll(ctx, allNodes(ctx.config))) {
    for (const msg of queue) deliver(ctx, msg);
  }
}

/** A message across a down link, or to a crashed node, is lost. */
function deliver(ctx: Ctx, msg: Message): void {
  if (linkDown(ctx.s.world, msg.from, msg.to)) return;
  if (isStorage(msg.to)) {
    if (nodeOf(ctx, msg.to).volatile.up) storageReceive(ctx, msg.to, msg);
    return;
  }
  const c = ctx.s.compute[msg.to]!;
  if (c.status === 'replica') replicaReceive(ctx, msg.to, msg);
  else if (c.status !== 'down') writerReceive(ctx, msg.to, msg);
}

// ---- Faults --------------------------------------------------------------------------------

function crashNode(ctx: Ctx, node: NodeId): void {
  if (!nodeOf(ctx, node).volatile.up) return noop(ctx, `${node} is down`);
  crashStorage(ctx, node);
}

/**
 * The failure model bounds disk losses, as DESIGN.md's promise does ("as long as each PG keeps a
 * read quorum", AZ+1): a loss that would leave some PG without a read quorum of whole (not blank)
 * segments among its members is outside it, and is a recorded no-op. Only the environment is
 * bounded so: a segment blanked by the protocol itself (a rollback, a replacement) is not, so a
 * protocol that loses data on its own is still caught. Without this bound a history could lose
 * every copy of a committed record (eight disks in a few ticks, before any replacement had
 * hydrated), and the durability invariant flagged a loss no design survives.
 */
function loseDiskInModel(ctx: Ctx, node: NodeId): void {
  const pg = pgLeftWithoutReadQuorum(ctx, node);
  if (pg !== null) return noop(ctx, `losing ${node}'s disk would leave PG ${pg} without a read quorum of whole segments (outside the failure model)`);
  loseDisk(ctx, node);
}

/** The first PG that losing the node's disk would leave without a read quorum of whole segments, or null. */
function pgLeftWithoutReadQuorum(ctx: Ctx, node: NodeId): number | null {
  const segments = nodeOf(ctx, node).durable.segments;
  const pgs = ctx.s.control.pgs;
  for (let pg = 0; pg < pgs.length; pg++) {
    const m = pgs[pg]!;
    const members = membersOf(m);
    if (!members.includes(node) || segments[pg]!.blank) continue;
    const whole = members.filter((n) => n !== node && !nodeOf(ctx, n).durable.segments[pg]!.blank);
    if (!wins(quorumsFor(ctx.config, m).read, whole)) return pg;
  }
  return null;
}

function restartNode(ctx: Ctx, node: NodeId): void {
  if (nodeOf(ctx, node).volatile.up) return noop(ctx, `${node} is up`);
  restartStorage(ctx, node);
}

function partition(ctx: Ctx, nodes: NodeId[]): void {
  if (nodes.length === 0 || nodes.length === allNodes(ctx.config).length) return noop(ctx, 'empty partition');
  const order = allNodes(ctx.config);
  setWorld(ctx, { cuts: frozenList([...ctx.s.world.cuts, frozenList(nodes.sort((a, b) => order.indexOf(a) - order.indexOf(b)))]) });
}

function heal(ctx: Ctx): void {
  if (ctx.s.world.cuts.length === 0) return noop(ctx, 'nothing to heal');
  setWorld(ctx, { cuts: frozenList([]) });
}

function crashWriter(ctx: Ctx): void {
  const node = ctx.s.control.writer;
  if (ctx.s.compute[node]!.status === 'down') return noop(ctx, `writer ${node} is down`);
  setCompute(ctx, node, DOWN);
}

function recover(ctx: Ctx): void {
  const node = ctx.s.control.writer;
  const status = ctx.s.compute[node]!.status;
  if (status !== 'down') return noop(ctx, `writer ${node} is ${status}`);
  startRecovery(ctx, node);
}

function crashReplica(ctx: Ctx, i: number): void {
  const node = otherCompute(ctx, i);
  if (node === null) return noop(ctx, 'no replicas');
  if (ctx.s.compute[node]!.status === 'down') return noop(ctx, `${node} is down`);
  setCompute(ctx, node, DOWN);
}

function restartReplica(ctx: Ctx, i: number): void {
  const node = otherCompute(ctx, i);
  if (node === null) return noop(ctx, 'no replicas');
  if (ctx.s.compute[node]!.status !== 'down') return noop(ctx, `${node} is up`);
  // A VDL update sent to the replica before it crashed, delivered after, made it read below the
  // PGMRPL its earlier self had let the writer announce (gc-safe: shrinks/replica-restart-stale-vdl.json).
  if (!bug(ctx.config, 'replica-restart-keeps-queue')) dropAllTo(ctx, node);
  setCompute(ctx, node, emptyReplica());
}

/** The control plane makes a replica the writer; it recovers under a new epoch. */
function failover(ctx: Ctx, i: number): void {
  const node = otherCompute(ctx, i);
  if (node === null) return noop(ctx, 'no replicas');
  if (ctx.s.compute[node]!.status !== 'replica') return noop(ctx, `${node} is not a replica`);
  setControl(ctx, { writer: node });
  startRecovery(ctx, node);
}

function readReplica(ctx: Ctx, i: number, pages: readonly number[]): void {
  const node = otherCompute(ctx, i);
  if (node === null || ctx.s.compute[node]!.status !== 'replica') {
    ctx.out.push({ kind: 'readRefused', read: nextRead(ctx), at: node, reason: 'noReplica' });
    return;
  }
  replicaRead(ctx, node, pages);
}

// ---- Time ----------------------------------------------------------------------------------

function tick(ctx: Ctx): void {
  setWorld(ctx, { time: ctx.s.world.time + 1 });
  for (const n of STORAGE_NODES) persist(ctx, n);
  for (const n of STORAGE_NODES) collectGarbage(ctx, n);
  for (const n of STORAGE_NODES) gossip(ctx, n);
  controlTick(ctx);
  for (const n of computeNodes(ctx.config)) {
    const c = ctx.s.compute[n]!;
    if (c.status === 'replica') replicaTick(ctx, n);
    else writerTick(ctx, n);
  }
}

function noop(ctx: Ctx, reason: string): void {
  ctx.out.push({ kind: 'noop', reason });
}
