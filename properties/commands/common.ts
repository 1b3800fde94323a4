// What every command shares: usage errors (one line, exit 2), flag parsing, file loading.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
  // A zero budget runs nothing, and an exploration of nothing reads as a missed witness.
  if (n === 0) throw new UsageError(`--budget: '${String(text)}' runs nothing; give a positive duration like 30s or 2m`);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function counterexampleFile(file: string | undefined): { file: string; c: Counterexample } {
  if (file === undefined) throw new UsageError('a counterexample FILE is required');
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a directory, not a counterexample file`);
  try {
    return { file, c: loadCounterexample(file) };
  } catch (e) {
    if (e instanceof CounterexampleError) throw new UsageError(e.message);
    const code = errorCode(e);
    if (code !== null) throw new UsageError(`${file}: cannot be read (${code})`);
    throw e;
  }
}

/** A system error's code (EACCES, ENOSPC, ...), or null for anything else. */
export function errorCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/**
 * A directory a run will write into (--out), checked before the run, so a long exploration does
 * not find out at its end that its counterexample cannot be kept: it must be a writable
 * directory, or not exist yet under a writable one (it is made when there is something to write).
 */
export function outputDir(flag: string, dir: string): string {
  let at = resolve(dir);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (!statSync(at).isDirectory()) throw new UsageError(`${flag}: ${at === resolve(dir) ? dir : at} is not a directory`);
  if (!writable(at)) throw new UsageError(`${flag}: ${at === resolve(dir) ? dir : at} cannot be written to`);
  return dir;
}

/** A file a command will write (--html OUT): not a directory, in an existing directory that takes writes. */
export function outputFile(flag: string, file: string): string {
  const full = resolve(file);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`${flag}: ${file} is a directory`);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag}: ${dirname(file)} is not a directory`);
  if (!writable(existsSync(full) ? full : dir)) throw new UsageError(`${flag}: ${file} cannot be written to`);
  return file;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a found counterexample. --out was checked before the run, but a disk can fill or a
 * directory go meanwhile: then the counterexample goes to stderr, whole, rather than being lost.
 */
export function keep(file: string, text: string, command: string): string | null {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  } catch (e) {
    const code = errorCode(e);
    if (code === null) throw e;
    process.stderr.write(`aurora-harness ${command}: could not write ${file} (${code}); the counterexample follows (save it as a .json file to replay it)\n${text}`);
    return null;
  }
}
