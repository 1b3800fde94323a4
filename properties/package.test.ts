// The package's exports map: `npm run build` emits dist/ (JavaScript and declarations), and a
// user's file that imports only 'aurora-harness/model', '/impl' and '/properties' typechecks
// against those declarations and runs against that JavaScript (examples/custom-property.ts).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('package exports', () => {
  it('every export target exists after the build, and an outside file typechecks and runs', () => {
    run([tsc, '-p', 'tsconfig.build.json']);
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { exports: Record<string, string | { types: string; import: string }> };
    for (const [entry, target] of Object.entries(pkg.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.import]) {
        expect(existsSync(`${root}/${file}`), `${entry} -> ${file}`).toBe(true);
      }
    }
    run([tsc, '-p', 'examples/tsconfig.json']);
    const out = run(['--import', 'tsx', 'examples/custom-property.ts']);
    expect(out).toMatch(/^ok: 5 histories with \d+ invariants; impl answered accepted/);
  });
});
