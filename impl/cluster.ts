// The whole simulated deployment as mutable state: control plane, storage nodes, compute nodes,
// the network and the world's counters, plus the observations of the event being applied.
//
// Durable vs volatile: each StorageNode keeps its segments (durable) apart from its queue
// (volatile); compute nodes keep nothing durable (the log on storage is the database); the
// control plane is durable. Handlers take the Cluster and mutate it in place; observations are
// appended in the order things happen and handed out per event by `drain`.

import type { Config, Membership, Message, NodeId, Observation } from '../model/types.js';
import { INITIAL_MEMBERS, STORAGE_NODES, WRITER, allNodes as allNodes_, checkConfig as checkConfig_, computeNodes as computeNodes_, membersOf as membersOf_, pageServers as pageServers_ } from '../model/types.js';
import { assert as assert_, fail as fail_ } from './assert.js';
import { ControlPlane } from './control.js';
import { Network } from './network.js';
import { emptyPlan } from './plan.js';
import type { Recovering } from './recovery.js';
import { Replica } from './replica.js';
import { Segment } from './segment.js';
import { StorageNode } from './storage.js';
import { storageIndex } from './watermarks.js';
import { WriterUp } from './writer.js';

// Bound once at load: under tsx (npm run bench) every use of an import is a getter call.
const allNodes: typeof allNodes_ = allNodes_;
const checkConfig: typeof checkConfig_ = checkConfig_;
const computeNodes: typeof computeNodes_ = computeNodes_;
const pageServers: typeof pageServers_ = pageServers_;
const membersOf: typeof membersOf_ = membersOf_;
const fail: typeof fail_ = fail_;
const assert: typeof assert_ = assert_;

export interface Down {
  readonly status: 'down';
}
const DOWN: Down = Object.freeze({ status: 'down' });
/** What an event that observed nothing returns (shared: most ticks and deliveries observe nothing). */
const NONE: readonly Observation[] = Object.freeze([]);

/** What a compute node is doing. A writer that learns of a newer epoch is fenced: it goes down. */
export type ComputeNode = Down | Recovering | WriterUp | Replica;

export class Cluster {
  readonly config: Config;
  readonly control: ControlPlane;
  readonly net: Network;
  readonly storage = new Map<NodeId, StorageNode>();
  readonly compute = new Map<NodeId, ComputeNode>();
  /** The storage nodes in STORAGE_NODES order (the tick walks them). */
  readonly storageList: StorageNode[] = [];
  /**
   * Per node, in net.nodes order: its name, and its StorageNode (null: a compute node). Plain
   * arrays (net.nodes is frozen, and a keyed load from a frozen array went through the generic
   * IC), so deliverAll finds a storage node by its queue number with no Map lookup.
   */
  readonly nodeIds: NodeId[] = [];
  readonly storageAtIndex: (StorageNode | null)[] = [];
  /**
   * The writer W first, then the replicas R1..Rn. A plain copy of computeNodes' frozen list: a
   * keyed load from a frozen array went through the generic KeyedLoadIC in optimized code (every
   * ack asks hasReplicas, every tick walks the list; callgrind: ~2 generic loads per record).
   */
  readonly computeIds: readonly NodeId[];
  /**
   * Bumped whenever a compute node's state is replaced (setCompute): deliverAll looks a compute
   * node up once per run of its messages and again only when this moved (a fence or recovery).
   */
  computeVersion = 0;
  /** Logical time: ticks so far. */
  time = 0;
  txnCount = 0;
  readCount = 0;
  /**
   * The observations of the event being applied; null until its first one, which is made into a
   * one-element list literal (most events observe one thing or nothing: an empty list per event,
   * then a push, was an allocation plus a GrowFastElements call for 17 slots on every txn and
   * every commit acknowledged).
   */
  private out: Observation[] | null = null;
  private readonly pageServersMemo = new WeakMap<Membership, NodeId[]>();

  constructor(config: Config) {
    const problem = checkConfig(config);
    if (problem !== null) throw new Error(`bad config: ${problem}`);
    this.config = frozenConfig(config);
    this.control = new ControlPlane(config.pgCount);
    this.computeIds = [...computeNodes(config)];
    assert(this.computeIds.length === config.replicas + 1, 'the writer and its replicas');
    this.net = new Network(allNodes(config));
    // A member's segment is made now, a non-member's when first asked for (StorageNode.segments).
    for (const n of STORAGE_NODES) {
      this.storage.set(n, new StorageNode(n, this.control.pgs.map((m) => (membersOf(m).includes(n) ? Segment.initial(WRITER) : undefined))));
      this.storageList.push(this.storageNode(n));
    }
    for (const n of this.net.nodes) {
      this.nodeIds.push(n);
      this.storageAtIndex.push(this.storage.get(n) ?? null);
    }
    assert(this.storageAtIndex.length === this.net.nodes.length, 'a slot per node of the network');
    // The members memo has a slot per PG from the start (members() grows it only for a PG added
    // later): growing it on a fresh engine's first write changed its elements kind under code
    // optimized on warm engines (a 'not a Smi' deopt of shipRecords per new engine).
    for (let pg = 0; pg < config.pgCount; pg++) {
      this.membersSeen.push(undefined);
      this.membersList.push(undefined);
    }
    this.compute.set(WRITER, initialWriter(this.config, config.pgCount));
    for (const r of this.computeIds.slice(1)) {
      const replica = new Replica();
      replica.follow(1, WRITER);
      replica.vdl = 0;
      replica.covering = this.control.pgs.map((_, pg) => this.pageServers(pg));
      this.compute.set(r, replica);
    }
  }

  storageNode(id: NodeId): StorageNode {
    const n = this.storage.get(id);
    if (n === undefined) fail(`${id} is not a storage node`);
    return n;
  }

  computeNode(id: NodeId): ComputeNode {
    // The last node looked up, while no compute node was replaced since (the writer, on nearly
    // every call: each txn, tick and run of acks asked the Map).
    if (id === this.lastComputeId && this.lastComputeVersion === this.computeVersion) return this.lastCompute;
    const x = this.compute.get(id);
    if (x === undefined) fail(`${id} is not a compute node`);
    this.lastComputeId = id;
    this.lastCompute = x;
    this.lastComputeVersion = this.computeVersion;
    return x;
  }

  /**
   * computeNode's memo: valid while computeVersion is lastComputeVersion (setCompute bumps it).
   * Before the first lookup the version never matches, and the id is '' (no node's name), not
   * null: with only strings ever compared, `id === lastComputeId` is a pointer compare in
   * optimized code (null made it a generic StrictEqual call on every txn and writer tick).
   */
  private lastComputeId: NodeId = '';
  private lastCompute: ComputeNode = DOWN;
  private lastComputeVersion = -1;

  setCompute(id: NodeId, x: ComputeNode): void {
    if (!this.compute.has(id)) fail(`${id} is not a compute node`);
    this.compute.set(id, x);
    this.computeVersion++;
  }

  setDown(id: NodeId): void {
    this.setCompute(id, DOWN);
  }

  /** The members that serve page reads (all, or only the full segments in the full/tail layout). */
  pageServers(pg: number): NodeId[] {
    const m = this.control.pgs[pg];
    if (m === undefined) fail(`no PG ${pg}`);
    let servers = this.pageServersMemo.get(m);
    if (servers === undefined) this.pageServersMemo.set(m, (servers = pageServers(this.config, m)));
    return servers;
  }

  /**
   * The PG's members (membersOf its current membership), memoized per PG by membership identity:
   * an array load and a compare instead of membersOf's WeakMap lookup on every write shipped.
   */
  members(pg: number): readonly NodeId[] {
    const m = this.control.pgs[pg];
    if (m === undefined) fail(`no PG ${pg}`);
    if (this.membersSeen[pg] === m) return this.membersList[pg]!;
    const members = membersOf(m);
    // Grown densely (a write far past the end would turn the arrays into dictionaries).
    while (this.membersSeen.length <= pg) {
      this.membersSeen.push(undefined);
      this.membersList.push(undefined);
    }
    this.membersSeen[pg] = m;
    this.membersList[pg] = members;
    return members;
  }

  private readonly membersSeen: (Membership | undefined)[] = [];
  private readonly membersList: (readonly NodeId[] | undefined)[] = [];

  send(msg: Message): void {
    this.net.send(msg);
  }

  /** send, to storage node number `s` (STORAGE_NODES order), which msg.to names. */
  sendToStorage(s: number, msg: Message): void {
    this.net.sendToStorage(s, msg);
  }

  observe(o: Observation): void {
    const out = this.out;
    if (out === null) this.out = [o];
    else out.push(o);
  }

  noop(reason: string): void {
    this.observe({ kind: 'noop', reason });
  }

  /** The observations since the last drain. */
  drain(): readonly Observation[] {
    const out = this.out;
    if (out === null) return NONE;
    assert(out.length > 0, 'a list is made only for an observation');
    this.out = null;
    return out;
  }
}

/**
 * The engine's own frozen copy of the config, built by one object literal listing every field
 * (bugs too, undefined when absent, which the mutant switch reads as absent), so every engine's config has the
 * same hidden class. A spread copy did not: from the third engine of a process on, its frozen
 * copy had a new map, and every function reading the config (the mutant switch, pgOfPage, inlined into the
 * txn, ack and tick paths) deoptimized on the measured engine ('wrong map' at config.bugs,
 * --trace-deopt at 64 PGs).
 */
function frozenConfig(config: Config): Config {
  const copy: Config = {
    pgCount: config.pgCount, pagesPerPg: config.pagesPerPg, lal: config.lal, hedgeTicks: config.hedgeTicks,
    retransmitTicks: config.retransmitTicks, cachePages: config.cachePages, layout: config.layout, replicas: config.replicas,
    replaceAfterTicks: config.replaceAfterTicks, bugs: config.bugs,
  };
  assert(Object.keys(copy).length >= Object.keys(config).length, 'the copy keeps every field of the config');
  return Object.freeze(copy);
}

/** The volume is created sealed at epoch 1, every segment empty and known to be so. */
function initialWriter(config: Config, pgCount: number): WriterUp {
  const w = new WriterUp(config, emptyPlan(pgCount), 1, 'active', pgCount);
  for (let pg = 0; pg < pgCount; pg++) {
    for (const n of INITIAL_MEMBERS) {
      const i = storageIndex(n);
      w.newIncarnation(pg, i, 1);
      w.setSealed(pg, i, 1);
      w.marks.setInitial(pg, i);
    }
  }
  return w;
}
