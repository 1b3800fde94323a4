import { describe, expect, it } from 'vitest';
import { clock, progress } from './progress.js';

function fake(tty: boolean): { out: string[]; at: (ms: number) => void; p: ReturnType<typeof progress> } {
  let t = 1_000;
  const out: string[] = [];
  const p = progress({ tty, everyMs: 30_000, now: () => t, write: (s) => out.push(s) });
  return { out, at: (ms) => (t = 1_000 + ms), p };
}

describe('progress of a long run', () => {
  it('off a terminal, writes a whole line once per interval, the first after one interval, and nothing at the end', () => {
    const { out, at, p } = fake(false);
    at(10_000);
    p.update('a');
    at(29_999);
    p.update('b');
    expect(out).toEqual([]);
    at(30_000);
    p.update('c');
    at(45_000);
    p.update('d');
    at(61_000);
    p.update('e');
    p.done();
    expect(out).toEqual(['c\n', 'e\n']);
  });

  it('on a terminal, rewrites one line on every update and clears it at the end', () => {
    const { out, p } = fake(true);
    p.update('a');
    p.update('b');
    p.done();
    expect(out).toEqual(['\r\x1b[Ka', '\r\x1b[Kb', '\r\x1b[K']);
  });

  it('on a terminal, a run that showed nothing clears nothing', () => {
    const { out, p } = fake(true);
    p.done();
    expect(out).toEqual([]);
  });

  it('reads time as a clock does', () => {
    expect(clock(0)).toBe('0s');
    expect(clock(59_999)).toBe('59s');
    expect(clock(60_000)).toBe('1m 00s');
    expect(clock(185_000)).toBe('3m 05s');
    expect(clock(3_720_000)).toBe('1h 02m 00s');
  });
});
