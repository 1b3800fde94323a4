// Deep equality of plain data (observations, snapshots): node's util.isDeepStrictEqual, with a
// fast path for what the harness compares on every step.
//
// isDeepStrictEqual is general (Maps, Dates, typed arrays, cycles, symbol keys) and costs a few
// microseconds per call even on equal values; the agreement check asks it once per step. Model
// and impl answer with plain objects and arrays of strings, numbers and booleans, so a direct walk
// settles nearly every call. The walk answers `true` only where isDeepStrictEqual certainly would
// (same prototype, plain objects or arrays, the same own keys, Object.is on primitives); on any
// difference, or on anything it does not know, it hands the question to isDeepStrictEqual. So the
// answer is isDeepStrictEqual's; only its cost changes. Assumed, as the types say, of the values
// compared: JSON-like data, with no symbol keys and no non-index properties on arrays (the walk
// does not look for those).

import { isDeepStrictEqual } from 'node:util';

const toStringOf = Object.prototype.toString;
const hasOwn = Object.prototype.hasOwnProperty;

/** util.isDeepStrictEqual(a, b), fast on equal plain data. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return plainEqual(a, b, 0) || isDeepStrictEqual(a, b);
}

/** True only when a and b are certainly deep-strict-equal plain data; false means "not sure". */
function plainEqual(a: unknown, b: unknown, depth: number): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 64) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) return Array.isArray(b) && arraysEqual(a, b, depth);
  if (Array.isArray(b) || toStringOf.call(a) !== '[object Object]' || toStringOf.call(b) !== '[object Object]') return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = x[k];
    // An undefined value must be an own key of both (not a missing one on one side).
    if (v === undefined && !hasOwn.call(y, k)) return false;
    if (!plainEqual(v, y[k], depth + 1)) return false;
  }
  return true;
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[], depth: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // A hole and an undefined element differ for isDeepStrictEqual.
    if (v === undefined && (!(i in a) || !(i in b))) return false;
    if (!plainEqual(v, b[i], depth + 1)) return false;
  }
  return true;
}
