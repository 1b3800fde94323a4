// The simulated network: one array of in-flight messages per destination, in send order, and the
// partitions in force. Nothing moves unless a history event says so.
//
// Fault model (as in the model): messages may wait forever, be delivered out of order (the k-th
// pending one first), be dropped or duplicated; a link is down while its ends are on different
// sides of some partition, and a message sent across a down link is lost (delivery checks again).
//
// Method: a partition is a node set; instead of scanning every cut on every send, each node keeps a
// side signature, one character per cut ('1' inside, '0' outside). Two nodes are connected exactly
// when their signatures are equal, so a link check is one string comparison.

import type { Message, NodeId } from '../model/types.js';
import { STORAGE_NODES as STORAGE_NODES_ } from '../model/types.js';
import { fail as fail_, assert as assert_, mod as mod_ } from './assert.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const assert: typeof assert_ = assert_;
const fail: typeof fail_ = fail_;
const mod: typeof mod_ = mod_;
const STORAGE_NODES: readonly NodeId[] = STORAGE_NODES_;

/** What a taken slot holds (no message is kept alive by it; dropRunAt leaves a young buffer's dead slots as they are). */
const GONE: Message = Object.freeze({ kind: 'gc', from: '', to: '', epoch: 0, pg: 0, point: 0 }) as Message;

/**
 * An empty message buffer with room for n (at least), every slot GONE: a literal for the usual
 * rooms (the bench's buffers hold 4 at storage nodes and 12 at the writer at 2 PGs, 15 and 36
 * at 64), cloned inline, where new Array(n) of a variable n was a builtin call (marginal
 * instructions per record, cachegrind: 2 PGs 12,500 -> 12,397, 64 PGs 25,773 -> 25,721). Past
 * 16, a copy of a 64-slot template (pushing from 16 cost more at 64 PGs: 25,849). Packed, like
 * the buffers pushes fill: one elements kind for every load from a buffer.
 */
function freshBuffer(n: number): Message[] {
  if (n <= 4) return [GONE, GONE, GONE, GONE];
  if (n <= 16) return [GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE];
  const q = ROOM_64.slice();
  while (q.length < n) q.push(GONE);
  return q;
}
const ROOM_64: Message[] = [GONE, GONE, GONE, GONE];
while (ROOM_64.length < 64) ROOM_64.push(GONE);

/**
 * A buffer made at most this many ticks ago is taken as still young (see segment.ts's
 * YOUNG_TICKS: the bench scavenges every ~300 ticks, and an object is promoted only when it
 * survives two). Only a cost rests on this: an old buffer takes a write-barrier call per message.
 */
const YOUNG_BUFFER_TICKS = 8;

export class Network {
  /** Every node, in allNodes order: `deliver {node}` indexes into it. */
  readonly nodes: readonly NodeId[];
  /**
   * Per node (nodes order): its in-flight messages are bufs[i][heads[i] .. ends[i]), in send
   * order. A buffer is reused, never shrunk (a fresh array per delivery regrew from empty on
   * every push run; a shrinking length write is a runtime call); taken slots hold GONE.
   */
  private readonly bufs: Message[][] = [];
  private readonly heads: number[] = [];
  private readonly ends: number[] = [];
  /** The time (ticks) each buffer was made at (dropRunAt's `now`; the first ones count as old). */
  private readonly born: number[] = [];
  /** nodes, as a plain array (a keyed load from the frozen one goes through the generic IC). */
  private readonly names: NodeId[] = [];
  /** A node's position in nodes (the fast path for storage names is in indexOf). */
  private readonly index = new Map<NodeId, number>();
  /** Where STORAGE_NODES start in nodes (-1: not as one contiguous run in order). */
  private readonly storageAt: number;
  private readonly sides = new Map<NodeId, string>();
  private cutsInForce: NodeId[][] = [];
  /**
   * cutsInForce.length, kept as a number field: the send paths test it per message, one load and
   * a compare where the array's length took a map check of the array too.
   */
  private cutCount = 0;
  /** Messages queued so far (sent and not lost to a cut, plus duplicates): a counter for benchmarks. */
  queued = 0;

  constructor(nodes: readonly NodeId[]) {
    assert(nodes.length > 0, 'a network of no nodes');
    assert(new Set(nodes).size === nodes.length, 'node names are unique');
    this.nodes = nodes;
    this.lastName = nodes[0]!;
    for (let i = 0; i < nodes.length; i++) {
      this.bufs.push([]);
      this.heads.push(0);
      this.ends.push(0);
      this.born.push(-1e9);
      this.index.set(nodes[i]!, i);
      this.names.push(nodes[i]!);
      this.sides.set(nodes[i]!, '');
    }
    const at = nodes.indexOf(STORAGE_NODES[0]!);
    this.storageAt = at >= 0 && STORAGE_NODES.every((n, i) => nodes[at + i] === n) ? at : -1;
  }

  get cuts(): readonly (readonly NodeId[])[] {
    return this.cutsInForce;
  }

  /** The in-flight messages to a node, in send order (a copy). */
  queue(node: NodeId): readonly Message[] {
    const i = this.at(node);
    return this.bufs[i]!.slice(this.heads[i]!, this.ends[i]!);
  }

  /** How many messages are in flight to nodes[i]. */
  pendingAt(i: number): number {
    return this.ends[i]! - this.heads[i]!;
  }

  /**
   * Every node's queue end (nodes order), a copy: deliverAll's start, whose counts are then
   * endsCopy()[i] - headAt(i) (a node's head moves only in its own run). One CloneFastJSArray
   * call: a loop through pendingAt checked the network's and both columns' maps and bounds on
   * every node (~42 instructions a node, twice per transaction in the bench). Marginal
   * instructions per record, cachegrind: 2 PGs 12,452 -> 12,377, 64 PGs 25,000 -> 24,924.
   */
  endsCopy(): number[] {
    return this.ends.slice();
  }

  /** How many messages are in flight to a node. */
  pending(node: NodeId): number {
    return this.pendingAt(this.at(node));
  }

  linkDown(a: NodeId, b: NodeId): boolean {
    if (this.cutCount === 0) return false;
    const sa = this.sides.get(a);
    const sb = this.sides.get(b);
    if (!(sa !== undefined && sb !== undefined)) fail(`link ${a}-${b} between unknown nodes`);
    return sa !== sb;
  }

  /** Queues a message for its destination, unless the link is down (then it is lost). */
  send(msg: Message): void {
    const to = msg.to;
    if (msg.from === to) sendsToItself(msg);
    if (this.cutCount !== 0 && this.linkDown(msg.from, to)) return;
    this.append(this.at(to), msg);
  }

  /**
   * send, to storage node number `s` (STORAGE_NODES order), which msg.to must name: the caller
   * knows the number (the writer keeps its per-member state by it), so the queue is found with
   * no name decoded (indexOf's storage path, ~45 instructions a message by cachegrind).
   */
  sendToStorage(s: number, msg: Message): void {
    const to = msg.to;
    const i = this.storageAt >= 0 ? this.storageAt + s : this.at(to);
    if (this.names[i] !== to) notStorageNode(s, to);
    if (msg.from === to) sendsToItself(msg);
    if (this.cutCount !== 0 && this.linkDown(msg.from, to)) return;
    this.append(i, msg);
  }

  private append(i: number, msg: Message): void {
    const q = this.bufs[i]!;
    const end = this.ends[i]!;
    if (end < q.length) q[end] = msg;
    else q.push(msg);
    this.ends[i] = end + 1;
    this.queued++;
  }

  /** Appends a message as it is (a duplicate): no partition check, as in the model. */
  requeue(msg: Message): void {
    this.append(this.at(msg.to), msg);
  }

  /**
   * Resolves a (node, k) choice: start at nodes[node mod n]; if it has nothing pending, the next
   * node (cyclically) that has; k is taken modulo its queue. Null when nothing is pending at all.
   */
  choose(node: number, k: number): { to: NodeId; index: number } | null {
    const n = this.nodes.length;
    const start = mod(node, n);
    for (let i = 0; i < n; i++) {
      const at = (start + i) % n;
      const count = this.pendingAt(at);
      if (count > 0) return { to: this.nodes[at]!, index: mod(k, count) };
    }
    return null;
  }

  peek(to: NodeId, index: number): Message {
    const i = this.at(to);
    if (!(index >= 0 && index < this.pendingAt(i))) fail(`no message ${index} for ${to}`);
    return this.bufs[i]![this.heads[i]! + index]!;
  }

  /** Removes and returns the chosen message (the later ones move down a slot). */
  take(to: NodeId, index: number): Message {
    const i = this.at(to);
    const count = this.pendingAt(i);
    if (!(index >= 0 && index < count)) fail(`take ${index} of ${count} for ${to}`);
    if (index === 0) return this.takeFirstAt(i);
    const q = this.bufs[i]!;
    const at = this.heads[i]! + index;
    const msg = q[at]!;
    const end = this.ends[i]! - 1;
    for (let j = at; j < end; j++) q[j] = q[j + 1]!;
    q[end] = GONE;
    this.ends[i] = end;
    return msg;
  }

  /**
   * Removes and returns the first message to nodes[i] (one is pending): deliverAll's step, which
   * takes a node's messages pending at its start one by one (deliveries only append).
   */
  takeFirstAt(i: number): Message {
    const q = this.bufs[i]!;
    const head = this.heads[i]!;
    if (!(head < this.ends[i]!)) fail(`take from ${this.nodes[i]} with nothing pending`);
    const msg = q[head]!;
    q[head] = GONE;
    if (head + 1 === this.ends[i]) {
      this.heads[i] = 0;
      this.ends[i] = 0;
    } else this.heads[i] = head + 1;
    return msg;
  }

  /**
   * deliverAll's run, read in place: the first `count` messages to nodes[i] are
   * bufferAt(i)[headAt(i) + j] for j < count; dropRunAt(i, head, count, now) then removes them. The
   * handlers between may append to any queue (past its end) but take from none.
   */
  bufferAt(i: number): readonly Message[] {
    return this.bufs[i]!;
  }

  headAt(i: number): number {
    return this.heads[i]!;
  }

  /**
   * Removes the first `count` messages to nodes[i] (the run at `head`) at time `now` (ticks):
   * deliverAll's step, which may reset a young buffer in place. The usual case (the run empties
   * a young buffer) is this small front, the rest dropRunSlow: small enough to be inlined into
   * deliverAll, where the whole was a call per node's run (~300 instructions a record at 2 PGs). Marginal instructions per record, cachegrind: 2 PGs
   * 10,480 -> 10,350, 64 PGs 17,927 -> 17,839.
   */
  dropRunAt(i: number, head: number, count: number, now: number): void {
    if (now - this.born[i]! <= YOUNG_BUFFER_TICKS && this.heads[i] === head && head + count === this.ends[i]) {
      this.heads[i] = 0;
      this.ends[i] = 0;
    } else this.dropRunSlow(i, head, count, now);
  }

  private dropRunSlow(i: number, head: number, count: number, now: number): void {
    const q = this.bufs[i]!;
    const end = this.ends[i]!;
    if (!(this.heads[i] === head && head + count <= end)) fail(`drop ${count} at ${head} from ${this.nodes[i]}: the run moved`);
    if (head + count === end) {
      // Emptied: a buffer made at most YOUNG_BUFFER_TICKS ago is still young: it is reused as
      // it is, only its head and end reset (no allocation, no write-barrier call for storing a
      // new buffer into the long-lived bufs, and no GONE fill: its delivered messages stay in
      // the dead slots until the next sends overwrite them or the buffer is replaced, at most
      // its room of garbage kept alive a node; nothing reads past the end). Otherwise a fresh
      // buffer of the same room (young, so the next run's sends store into it with no
      // write-barrier call, where the long-lived buffer, in old space, took one per message);
      // the old one, holding only delivered messages, is garbage. Marginal instructions per
      // record, cachegrind: 2 PGs 10,646 -> 10,502, 64 PGs 18,440 -> 18,036 (reset with a GONE
      // fill instead: 10,690 and 18,323; 32 ticks with no fill: 10,553 and 17,989).
      // The dead slots promote nothing: a buffer is replaced within YOUNG_BUFFER_TICKS + 1 ticks,
      // and at 13,108 PGs scavenges come ~4,300 transactions apart (PG-local, steady state;
      // ~1,600 on average from a fresh engine, while the young generation grows). A GONE fill
      // on every drain left the bytes promoted unchanged (scratch/pg.mjs 13108 400000 with
      // warm-ups, PG-local 123.5 -> 123.4 MB, otherwise 76.0 -> 76.0), and the sampling heap
      // profiler, with no mark-compact in its window (two forced scavenges before its own: a
      // mark-compact frees young garbage too, which it counts as collected by a major GC, ~5% of
      // every short-lived site's allocation), finds 0.0-0.1 bytes a record promoted from acks,
      // writes (and their record lists) and gc messages: what is promoted is the records
      // themselves (86-104).
      if (now - this.born[i]! > YOUNG_BUFFER_TICKS) {
        this.bufs[i] = freshBuffer(q.length);
        this.born[i] = now;
      }
      this.heads[i] = 0;
      this.ends[i] = 0;
    } else {
      for (let j = head; j < head + count; j++) q[j] = GONE;
      this.heads[i] = head + count;
    }
  }

  /** Drops every message in flight to a node (a restarted process has new connections). */
  dropAllTo(node: NodeId, now: number): void {
    const i = this.at(node);
    const count = this.pendingAt(i);
    if (count > 0) this.dropRunAt(i, this.heads[i]!, count, now);
  }

  /** Cuts `nodes` off from everyone else (the cut is kept in allNodes order). */
  partition(nodes: readonly NodeId[]): void {
    const inside = new Set(nodes);
    assert(inside.size > 0 && inside.size < this.nodes.length, 'a partition splits the nodes');
    this.cutsInForce.push(this.nodes.filter((n) => inside.has(n)));
    this.cutCount = this.cutsInForce.length;
    for (const n of this.nodes) this.sides.set(n, this.sides.get(n)! + (inside.has(n) ? '1' : '0'));
  }

  heal(): void {
    assert(this.cutsInForce.length > 0, 'heal with nothing cut');
    this.cutsInForce = [];
    this.cutCount = 0;
    for (const n of this.nodes) this.sides.set(n, '');
  }

  /** The node's position in nodes (it must be a node of this network). */
  private at(node: NodeId): number {
    const i = this.indexOf(node);
    if (i < 0) noQueue(node);
    return i;
  }

  /**
   * The node's position in nodes (-1: unknown). Storage names ('A1'..'C3') need no hashing; any
   * other name is hashed once and then remembered (the last one: acks all go to the writer).
   */
  private indexOf(node: NodeId): number {
    // The memo hit inline, the rest out of line: small, so send stays small enough (with what it
    // inlines) to be inlined into acknowledge, and acknowledge into persist.
    if (node === this.lastName) return this.lastAt;
    return this.indexOfOther(node);
  }

  /** indexOf past its memo. */
  private indexOfOther(node: NodeId): number {
    if (this.storageAt >= 0 && node.length === 2) {
      const guess = (node.charCodeAt(0) - 65) * 3 + (node.charCodeAt(1) - 49);
      if (guess >= 0 && guess < STORAGE_NODES.length && STORAGE_NODES[guess] === node) return this.storageAt + guess;
    }
    const i = this.index.get(node) ?? -1;
    if (i >= 0) {
      this.lastName = node;
      this.lastAt = i;
    }
    return i;
  }

  /** indexOf's memo: the last non-storage name it hashed, and its position (nodes[0] at first). */
  private lastName: NodeId;
  private lastAt = 0;
}

// The failures of the send path, out of line: a template literal is bytecode that counted against
// the inlining budget of every function send, sendToStorage and at are inlined into (acknowledge
// into persist, the sends of the writer).
function sendsToItself(msg: Message): never {
  fail(`${msg.from} sends to itself`);
}

function notStorageNode(s: number, to: NodeId): never {
  fail(`storage node ${s} is not ${to}`);
}

function noQueue(node: NodeId): never {
  fail(`no queue for ${node}`);
}
