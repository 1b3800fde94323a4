// The simulated network: per-destination queues of in-flight messages, in send order, and
// partitions. Nothing is delivered unless a history event says so.
//
// Fault model: messages may be delayed indefinitely, delivered out of order (the k-th pending
// message goes first), dropped, duplicated; a link is down while its ends are on different sides
// of a partition, and a message sent or delivered across a down link is lost. A message delivered
// to a crashed node is lost too.

import { anyOf, opaque, opaqueWith, replaced, withoutAt, type Edit } from './frozen.js';
import type { Parts, World } from './state.js';
import type { Config, Message, NodeId, Observation } from './types.js';
import { allNodes } from './types.js';

export interface Ctx {
  /**
   * The state's parts as the step has left them so far: each a frozen value, read plainly and
   * replaced whole on change (step hands the changed ones to immer once, at the end).
   */
  readonly s: Parts;
  readonly out: Observation[];
  /** The configuration, read plainly (a step never changes it). */
  readonly config: Config;
  /**
   * Messages sent in this step, in send order: they join their destinations' queues when the
   * step ends (`flushSent`), in one change of the world. No handler reads a queue after sending.
   */
  readonly sent: Message[];
}

export function linkDown(world: Pick<World, 'cuts'>, a: NodeId, b: NodeId): boolean {
  return anyOf(world.cuts, (cut) => cut.includes(a) !== cut.includes(b));
}

/**
 * The world (time, counters, queues, partitions) is a value, frozen and never drafted (read
 * plainly): a change replaces it whole, keeping whichever of its parts did not change.
 */
export function worldValue(world: World): World {
  return Object.freeze(worldCopy(world));
}

/** The world's writable copy, part by part (one fixed shape: frozen.ts Copy). */
function worldCopy(w: World): Edit<World> {
  return { time: w.time, net: w.net, cuts: w.cuts, txnCount: w.txnCount, readCount: w.readCount };
}

export function setWorld(ctx: Ctx, change: Partial<World>): void {
  ctx.s.world = replaced(worldCopy, ctx.s.world, change);
}

/** The next read number (reads are numbered across the cluster). */
export function nextRead(ctx: Ctx): number {
  const read = ctx.s.world.readCount;
  setWorld(ctx, { readCount: read + 1 });
  return read;
}

/**
 * Sends `msg`: in flight once this step ends; lost at once across a down link. The message is a
 * fresh object whose lists are frozen: it is frozen as it is, not copied.
 */
export function send(ctx: Ctx, msg: Message): void {
  if (linkDown(ctx.s.world, msg.from, msg.to)) return;
  ctx.sent.push(Object.freeze(msg));
}

/** Appends a message to its destination's queue as is (a duplicate: no partition check). */
export function requeue(ctx: Ctx, msg: Message): void {
  ctx.sent.push(msg);
}

/** The step's messages join their destinations' queues, in send order, in one new world value. */
export function flushSent(ctx: Ctx): void {
  if (ctx.sent.length === 0) return;
  const net = ctx.s.world.net;
  const grown: Record<NodeId, Message[]> = {};
  for (const msg of ctx.sent) (grown[msg.to] ??= [...net[msg.to]!]).push(msg);
  for (const to of Object.keys(grown)) Object.freeze(grown[to]);
  setWorld(ctx, { net: opaque(net, grown) });
  ctx.sent.length = 0;
}

/**
 * The network's queues are one value (opaque to immer, read plainly): a take replaces the
 * destination's queue, and so the value, by a new frozen one.
 */
function setQueue(ctx: Ctx, to: NodeId, queue: readonly Message[]): void {
  setWorld(ctx, { net: opaqueWith(netOf(ctx), to, queue) });
}

/** The queues, to take from: only before the step sends anything (sends join them at its end). */
export function netOf(ctx: Ctx): World['net'] {
  if (ctx.sent.length > 0) throw new Error('a queue was read after a send in the same step');
  return ctx.s.world.net;
}

/**
 * Resolves a (node, k) choice: node indexes `nodes` (allNodes(config)); when that node has nothing pending, the
 * next one (cyclically) that has is taken; k is taken modulo its queue. Null when nothing is
 * pending anywhere.
 */
export function choose(world: World, nodes: readonly NodeId[], node: number, k: number): { to: NodeId; index: number } | null {
  const start = mod(node, nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const to = nodes[(start + i) % nodes.length]!;
    const queue = world.net[to]!;
    if (queue.length > 0) return { to, index: mod(k, queue.length) };
  }
  return null;
}

/** Removes and returns the chosen message. */
export function take(ctx: Ctx, to: NodeId, index: number): Message {
  const queue = netOf(ctx)[to]!;
  setQueue(ctx, to, Object.freeze(withoutAt(queue, index)));
  return queue[index]!;
}

/**
 * Drops every message in flight to `to`: a restarted process has new connections, and nothing sent
 * to the one before reaches it.
 */
export function dropAllTo(ctx: Ctx, to: NodeId): void {
  if (netOf(ctx)[to]!.length > 0) setQueue(ctx, to, EMPTY);
}

/**
 * Removes every pending message: returns the queues as they were (node by node, in the order
 * given) and leaves every queue empty, in one change of the network's value.
 */
export function takeAll(ctx: Ctx, nodes: readonly NodeId[]): (readonly Message[])[] {
  const net = netOf(ctx);
  const queues = nodes.map((n) => net[n]!);
  if (queues.some((q) => q.length > 0)) setWorld(ctx, { net: emptyNet(allNodes(ctx.config)) });
  return queues;
}

const EMPTY: readonly Message[] = Object.freeze([]);

/** Per list of every node (allNodes: one frozen list per config shape), the network with every queue empty: a value, shared. */
const emptyNets = new WeakMap<readonly NodeId[], World['net']>();

function emptyNet(nodes: readonly NodeId[]): World['net'] {
  let net = emptyNets.get(nodes);
  if (net === undefined) emptyNets.set(nodes, (net = opaque(Object.fromEntries(nodes.map((n) => [n, EMPTY])))));
  return net;
}

export function mod(n: number, m: number): number {
  return ((Math.trunc(n) % m) + m) % m;
}

/** The nodes that have pending messages, in the order given. */
export function nodesWithPending(world: World, nodes: readonly NodeId[]): NodeId[] {
  return nodes.filter((n) => (world.net[n]?.length ?? 0) > 0);
}
