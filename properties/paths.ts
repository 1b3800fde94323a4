// Where the package's own files are, whether this module runs from the TypeScript sources
// (properties/paths.ts) or from the build (dist/properties/paths.js): the package root is the
// nearest directory above holding the package's package.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'aurora-harness') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`aurora-harness: no package.json of aurora-harness above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const ROOT = packageRoot();

/** True when this code runs from dist/ (compiled by tsc), false through tsx from the sources. */
export const COMPILED = import.meta.url.endsWith('.js');
