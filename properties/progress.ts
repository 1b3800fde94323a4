// Progress of a long run, on stderr. On a terminal: one line, rewritten in place as the run goes.
// Anywhere else (a CI log, a file, beside --json on stdout): a whole line every `everyMs`, so a
// 40-minute job's log shows that it is alive and how far it got, while a run shorter than that
// (the README's 20-second default) prints nothing more than it did.

export interface Progress {
  /** The run's state now, as one line of text (no newline). */
  update(text: string): void;
  /** The run is over: a terminal's line is cleared; a log keeps its lines. */
  done(): void;
}

export interface ProgressOptions {
  /** Rewrite one line in place (stderr is a terminal and nothing else is printed meanwhile). */
  readonly tty: boolean;
  /** Off a terminal: at most one line per this many ms (the first after this many ms). */
  readonly everyMs: number;
  /** Milliseconds, monotonic (performance.now in the CLI; a fake clock in tests). */
  readonly now: () => number;
  readonly write: (s: string) => void;
}

/** A line of progress off a terminal this often: a few dozen lines an hour in a CI log. */
export const PROGRESS_EVERY_MS = 30_000;

export function progress(opts: ProgressOptions): Progress {
  let last = opts.now();
  let shown = false;
  return {
    update(text) {
      if (opts.tty) {
        opts.write(`\r\x1b[K${text}`);
        shown = true;
        return;
      }
      const t = opts.now();
      if (t - last < opts.everyMs) return;
      last = t;
      opts.write(`${text}\n`);
    },
    done() {
      if (opts.tty && shown) opts.write('\r\x1b[K');
    },
  };
}

/** A span of time as a clock reads it: 45s, 3m 05s, 1h 02m 00s. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${two(Math.floor(s / 60) % 60)}m ${two(s % 60)}s`;
}
