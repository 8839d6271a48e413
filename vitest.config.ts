import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so e2e tests with the real Claude Code CLI are not starved.
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
