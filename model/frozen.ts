// Immutable values that immer must not draft.
//
// Redo records and messages never change once made. Left as plain objects, every scan of a
// drafted list of them (a segment's log, a queue of messages) would make immer build a proxy per
// element; as instances of a class they are handed out as they are, and frozen here instead.

import { current, isDraft } from 'immer';

class Immutable {}

const plain = <T>(x: T): T => (isDraft(x) ? current(x as object) as T : x);

/** A frozen copy of `value` that immer treats as an opaque, unchanging value. */
export function frozen<T extends object>(value: T): T {
  const out = new Immutable() as Record<string, unknown>;
  for (const [k, v] of Object.entries(plain(value))) {
    out[k] = Array.isArray(v) ? Object.freeze(plain(v).map(plain)) : plain(v);
  }
  return Object.freeze(out) as T;
}
