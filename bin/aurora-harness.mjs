#!/usr/bin/env node
// The aurora-harness command. Runs the compiled build (dist/, made by npm install's prepare or
// npm run build) when every file of it is newer than every TypeScript source; otherwise, or with
// AURORA_HARNESS_SOURCE=1, loads the TypeScript sources through tsx (no build step, slower).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest mtime of the .ts files under dir (declaration files aside). */
function newestSource(dir, newest = 0) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = newestSource(path, newest);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** tsc rewrites every output on each build, so the entry point's mtime is the build's. */
function distIsFresh() {
  if (process.env.AURORA_HARNESS_SOURCE === '1') return false;
  let built;
  try {
    built = statSync(join(root, 'dist', 'properties', 'cli.js')).mtimeMs;
  } catch {
    return false;
  }
  return ['model', 'impl', 'properties'].every((d) => newestSource(join(root, d)) < built);
}

// A reader that stops early (aurora-harness show FILE | head) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
let main;
if (distIsFresh()) {
  ({ main } = await import('../dist/properties/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../properties/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
