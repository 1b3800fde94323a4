// What every command shares: usage errors (one line, exit 2), flag parsing, file loading.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { CounterexampleError, loadCounterexample, type Counterexample } from '../shrinks.js';

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>;

export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals > 0 });
    if (r.positionals.length > positionals) throw new UsageError(`unexpected argument '${r.positionals[positionals]}'`);
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // node:util's messages can run over lines (a hint after the error): one line here.
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

export function count(flag: string, text: string | boolean | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag}: '${String(text)}' is not a non-negative integer`);
  }
  return Number(text);
}

/** A count of at least 1 (runs, rounds): 0 is bad input too. */
export function positive(flag: string, text: string | boolean | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : 0;
  if (n < 1 || !Number.isSafeInteger(n)) throw new UsageError(`${flag}: '${String(text)}' is not a positive integer`);
  return n;
}

export function duration(text: string | boolean | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = typeof text === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim()) : null;
  if (m === null) throw new UsageError(`--budget: '${String(text)}' is not a duration like 30s or 2m`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function counterexampleFile(file: string | undefined): { file: string; c: Counterexample } {
  if (file === undefined) throw new UsageError('a counterexample FILE is required');
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  try {
    return { file, c: loadCounterexample(file) };
  } catch (e) {
    if (e instanceof CounterexampleError) throw new UsageError(e.message);
    throw e;
  }
}
