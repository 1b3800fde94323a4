// Test kit for scenario tests: a model run driven event by event that keeps every observation and a
// readable trace (printed when the test fails; TRACE=1 prints it always), with helpers to deliver
// chosen messages through ordinary `deliver` events.

import { onTestFinished } from 'vitest';
import type { Event } from './events.js';
import { ModelEngine } from './engine.js';
import { choose } from './network.js';
import type { CachedPage, Replica, State } from './state.js';
import type { Config, Message, NodeId, Observation } from './types.js';
import { DEFAULT_CONFIG, STORAGE_NODES, allNodes } from './types.js';
import { describeEvent, describeObservation } from './describe.js';

export type Kind = Observation['kind'];
export type Obs<K extends Kind> = Extract<Observation, { kind: K }>;

export const deliverAll: Event = { type: 'deliverAll' };
export const tick: Event = { type: 'tick' };
export const txn = (...mtrs: number[][]): Event => ({ type: 'txn', mtrs });
export const readReplica = (replica: number, ...pages: number[]): Event => ({ type: 'readReplica', replica, pages });
export const storageIndex = (n: NodeId): number => {
  const i = STORAGE_NODES.indexOf(n);
  if (i < 0) throw new Error(`${n} is not a storage node`);
  return i;
};

export function only<K extends Kind>(obs: readonly Observation[], kind: K): Obs<K>[] {
  return obs.filter((o): o is Obs<K> => o.kind === kind);
}

export const read = (...pages: number[]): Event => ({ type: 'read', pages });

/** A model run that keeps every observation (and a readable trace, printed when a test fails). */
export class Run {
  readonly engine: ModelEngine;
  readonly log: Observation[] = [];
  readonly trace: string[] = [];
  constructor(config: Config = DEFAULT_CONFIG) {
    this.engine = new ModelEngine(config);
    // the run's trace is printed when the test fails (TRACE=1: always)
    onTestFinished(({ task }) => {
      if (task.result?.state === 'fail' || process.env.TRACE) console.log(`${task.name}\n  ${this.trace.join('\n  ')}`);
    });
  }
  get state(): State {
    return this.engine.state;
  }
  get nodes(): NodeId[] {
    return allNodes(this.state.config);
  }
  do(...events: Event[]): Observation[] {
    const out: Observation[] = [];
    for (const e of events) {
      const obs = this.engine.apply(e);
      this.trace.push(`${describeEvent(e, this.state.config)}${obs.length ? ` => ${obs.map(describeObservation).join('; ')}` : ''}`);
      out.push(...obs);
    }
    this.log.push(...out);
    return out;
  }
  /** deliverAll, tick, deliverAll: records reach storage, persist, and the acks reach the writer. */
  round(): Observation[] {
    return this.do(deliverAll, tick, deliverAll);
  }
  rounds(n: number): Observation[] {
    const out: Observation[] = [];
    for (let i = 0; i < n; i++) out.push(...this.round());
    return out;
  }
  /** Runs rounds until an observation of `kind` matching `pred` appears (at most `max` rounds). */
  until<K extends Kind>(kind: K, pred: (o: Obs<K>) => boolean = () => true, max = 12): Obs<K> {
    for (let i = 0; i < max; i++) {
      const hit = only(this.round(), kind).filter(pred);
      if (hit.length > 0) return hit[0]!;
    }
    throw new Error(`no matching ${kind} after ${max} rounds`);
  }
  /** The (node, k) arguments that make a deliver event pick message `index` to `to`. */
  choice(to: NodeId, index: number): { node: number; k: number } {
    for (let node = 0; node < this.nodes.length; node++) {
      const c = choose(this.state.world, this.nodes, node, index);
      if (c !== null && c.to === to && c.index === index) return { node, k: index };
    }
    throw new Error(`no network event reaches message ${index} to ${to}`);
  }
  /** Delivers the first pending message that matches, through a `deliver` event; false if none. */
  deliverWhere(pred: (m: Message) => boolean): boolean {
    for (const to of this.nodes) {
      const index = this.state.world.net[to]!.findIndex(pred);
      if (index < 0) continue;
      this.do({ type: 'deliver', ...this.choice(to, index) });
      return true;
    }
    return false;
  }
  /** Delivers every pending message that matches (and any matching ones they cause). */
  deliverAllWhere(pred: (m: Message) => boolean): number {
    let n = 0;
    while (n < 500 && this.deliverWhere(pred)) n++;
    return n;
  }
  pending(pred: (m: Message) => boolean = () => true): Message[] {
    return Object.values(this.state.world.net).flat().filter(pred);
  }
  replica(node: NodeId): Replica {
    const c = this.state.compute[node]!;
    if (c.status !== 'replica') throw new Error(`${node} is ${c.status}, not a replica`);
    return c;
  }
  cached(node: NodeId, page: number): CachedPage | undefined {
    return this.replica(node).cache.find((c) => c.page === page);
  }
}
