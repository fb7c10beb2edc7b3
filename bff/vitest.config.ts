import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // real DuckDB loads and whole-corpus runs; generous because CI machines are shared and noisy
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
