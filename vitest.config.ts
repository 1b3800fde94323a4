import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['model/**/*.test.ts', 'impl/**/*.test.ts', 'properties/**/*.test.ts'],
    testTimeout: 50_000,
  },
});
