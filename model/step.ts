// The reference state machine: step(state, event) -> { state, observations }.
//
// Pure: every transition runs inside immer's produce with auto-freeze on, so an accidental
// mutation of a previous state throws. Simpler than the system on purpose: watermarks are
// recomputed from scratch, lists are scanned. Handlers branch here; leaves live in writer.ts,
// storage.ts, recovery.ts and network.ts.

import { produce, setAutoFreeze, current, isDraft } from 'immer';
import type { Event } from './events.js';
import type { Ctx } from './network.js';
import { choose, mod, requeue, take } from './network.js';
import type { State, StorageNode } from './state.js';
import type { Config, Message, NodeId, Observation } from './types.js';
import { ALL_NODES, DEFAULT_CONFIG, STORAGE_NODES, WRITER, checkConfig, nodesOfAz } from './types.js';
import { crashStorage, gossip, initialSegment, persist, restartStorage, storageReceive } from './storage.js';
import { clientRead, clientTxn, crashWriter, startRecovery, writerReceive, writerTick, writerUp } from './writer.js';
import { membersOf } from './watermarks.js';

setAutoFreeze(true);

export interface StepResult {
  readonly state: State;
  readonly observations: readonly Observation[];
}

export function initialState(config: Config = DEFAULT_CONFIG): State {
  const problem = checkConfig(config);
  if (problem !== null) throw new Error(`bad config: ${problem}`);
  const storage: Record<NodeId, StorageNode> = {};
  for (const n of STORAGE_NODES) {
    storage[n] = {
      durable: { segments: Array.from({ length: config.pgCount }, initialSegment) },
      volatile: { up: true, queue: [] },
    };
  }
  const emptyPlan = {
    vdl: 0, vcl: 0, truncateTo: 0, ranges: [], annulled: 0,
    records: Array.from({ length: config.pgCount }, () => []),
    lastPg: Array.from({ length: config.pgCount }, () => 0),
  };
  const writer = writerUp(emptyPlan, 1, 'active', config.pgCount);
  // The volume is created sealed at epoch 1 with every segment empty and known to be so.
  const scl = writer.scl.map(() => Object.fromEntries(STORAGE_NODES.map((n) => [n, 0])));
  return {
    config,
    control: { epochNext: 2 },
    storage,
    writer: { ...writer, scl },
    world: { time: 0, net: Object.fromEntries(ALL_NODES.map((n) => [n, []])), cuts: [], txnCount: 0, readCount: 0 },
  };
}

export function step(state: State, event: Event): StepResult {
  const out: Observation[] = [];
  const next = produce(state, (s) => {
    apply({ s, out }, event);
  });
  return { state: next, observations: out };
}

function apply(ctx: Ctx, e: Event): void {
  switch (e.type) {
    case 'txn': return clientTxn(ctx, e);
    case 'read': return clientRead(ctx, e);
    case 'deliver': return deliverChosen(ctx, e.node, e.k);
    case 'drop': return dropChosen(ctx, e.node, e.k);
    case 'duplicate': return duplicateChosen(ctx, e.node, e.k);
    case 'deliverAll': return deliverAll(ctx);
    case 'crashNode': return crashNode(ctx, storageNode(e.node));
    case 'restartNode': return restartNode(ctx, storageNode(e.node));
    case 'partition': return partition(ctx, [...new Set(e.nodes.map((i) => ALL_NODES[mod(i, ALL_NODES.length)]!))]);
    case 'partitionAz': return partition(ctx, nodesOfAz(mod(e.az, 3)));
    case 'heal': return heal(ctx);
    case 'crashWriter': return crashWriter(ctx);
    case 'recover': return startRecovery(ctx);
    case 'tick': return tick(ctx);
    case 'persist': return persist(ctx, storageNode(e.node));
  }
}

function storageNode(i: number): NodeId {
  return STORAGE_NODES[mod(i, STORAGE_NODES.length)]!;
}

// ---- Network choices -----------------------------------------------------------------------

function deliverChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  deliver(ctx, take(ctx, c.to, c.index));
}

function dropChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  take(ctx, c.to, c.index);
}

function duplicateChosen(ctx: Ctx, node: number, k: number): void {
  const c = choose(ctx.s.world, node, k);
  if (c === null) return noop(ctx, 'nothing pending');
  const msg = ctx.s.world.net[c.to]![c.index]!;
  requeue(ctx, (isDraft(msg) ? current(msg as object) : msg) as Message);
}

/** Every message pending when the event starts, node by node in ALL_NODES order, in send order. */
function deliverAll(ctx: Ctx): void {
  const counts = ALL_NODES.map((n) => [n, ctx.s.world.net[n]!.length] as const);
  for (const [n, count] of counts) {
    for (let i = 0; i < count; i++) deliver(ctx, take(ctx, n, 0));
  }
}

/** A message across a down link, or to a crashed node, is lost. */
function deliver(ctx: Ctx, msg: Message): void {
  const w = ctx.s.world;
  if (w.cuts.some((cut) => cut.includes(msg.from) !== cut.includes(msg.to))) return;
  if (msg.to === WRITER) return writerReceive(ctx, msg);
  if (!ctx.s.storage[msg.to]!.volatile.up) return;
  storageReceive(ctx, msg.to, msg);
}

// ---- Faults --------------------------------------------------------------------------------

function crashNode(ctx: Ctx, node: NodeId): void {
  if (!ctx.s.storage[node]!.volatile.up) return noop(ctx, `${node} is down`);
  crashStorage(ctx, node);
}

function restartNode(ctx: Ctx, node: NodeId): void {
  if (ctx.s.storage[node]!.volatile.up) return noop(ctx, `${node} is up`);
  restartStorage(ctx, node);
}

function partition(ctx: Ctx, nodes: NodeId[]): void {
  if (nodes.length === 0 || nodes.length === ALL_NODES.length) return noop(ctx, 'empty partition');
  ctx.s.world.cuts.push(nodes.sort((a, b) => ALL_NODES.indexOf(a) - ALL_NODES.indexOf(b)));
}

function heal(ctx: Ctx): void {
  if (ctx.s.world.cuts.length === 0) return noop(ctx, 'nothing to heal');
  ctx.s.world.cuts = [];
}

// ---- Time ----------------------------------------------------------------------------------

function tick(ctx: Ctx): void {
  ctx.s.world.time++;
  for (const n of STORAGE_NODES) persist(ctx, n);
  for (const n of STORAGE_NODES) gossip(ctx, n, (pg) => membersOf(ctx.s.config, pg));
  writerTick(ctx);
}

function noop(ctx: Ctx, reason: string): void {
  ctx.out.push({ kind: 'noop', reason });
}
