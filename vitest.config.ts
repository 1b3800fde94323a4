import { defineConfig } from 'vitest/config';
import { availableParallelism } from 'node:os';

export default defineConfig({
  test: {
    include: ['model/**/*.test.ts', 'impl/**/*.test.ts', 'properties/**/*.test.ts'],
    testTimeout: 50_000,
    // Vitest's default leaves one core idle (cores - 1 workers): on a 2-core machine that is one
    // worker and every file in turn. The tests are CPU-bound and independent: use every core.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
