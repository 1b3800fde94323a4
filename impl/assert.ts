// Assertions for impl/: programmer errors throw at once, close to the cause (TIGER_STYLE).
//
// Expected operating outcomes (a quorum lost, a stale epoch, a write refused) are never asserted:
// they are observations. An assertion failing means impl/ itself is wrong. Messages are plain
// strings, or thunks where building them would cost on the hot path.

export class ImplAssertionError extends Error {
  override readonly name = 'ImplAssertionError';
}

export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new ImplAssertionError(typeof message === 'string' ? message : message());
}

/** n modulo m, for any integer-ish n (negative and fractional choices included); m > 0. */
export function mod(n: number, m: number): number {
  assert(m > 0, 'mod by a non-positive number');
  return ((Math.trunc(n) % m) + m) % m;
}

/** The index of the last element of an ascending `xs` (by key) whose key is <= `at`, or -1. */
export function lastAtOrBelow<T>(xs: readonly T[], key: (x: T) => number, at: number): number {
  let hi = xs.length;
  // Logs are appended to and mostly asked about their end: try the last element first.
  if (hi === 0 || key(xs[hi - 1]!) <= at) return hi - 1;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(xs[mid]!) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** xs[0 .. n) ascending, in place, by insertion sort (short lists: no comparator calls); the rest left as it is. */
export function sortSmallPrefix(xs: number[], n: number): void {
  for (let i = 1; i < n; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && xs[j]! > x) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
}

/**
 * Throws an assertion error: for hot paths, as `if (!cond) fail(`...`)`, where a message thunk
 * passed to assert would be a closure allocated on every call.
 */
export function fail(message: string): never {
  throw new ImplAssertionError(message);
}
