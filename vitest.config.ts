import { defineConfig } from 'vitest/config';

// Five tiers, chosen by path (globs, so new tests land in a tier without editing this file):
//   unit         pure code: no sockets, no child processes, no build needed (`npm run test:unit`)
//   integration  the bridge and the commands against fakes (sockets, the built CLI, child processes)
//   contract     the real @anthropic-ai/sdk client against the bridge
//   e2e          the real Claude Code CLI against the bridge
//   real         the real llama-server (skipped, with one line saying why, without DSB_LLAMA_SERVER_DIR)
// `npm test` runs them all.
const CONTRACT = ['test/contract/**/*.test.ts'];
const E2E = ['test/e2e/**/*.test.ts'];
const REAL = ['test/real/**/*.test.ts'];
const INTEGRATION = [
  'test/commands/**/*.test.ts',
  'test/bridge/http/**/*.test.ts',
  'test/bridge/reliability/*.test.ts',
  'test/bridge/context-server.test.ts',
  'test/bridge/context/discovery.test.ts',
  'test/bridge/context/tokens.test.ts',
  'test/bridge/reasoning.test.ts',
  'test/bridge/routing.test.ts',
  'test/bridge/server.test.ts',
  'test/bridge/upstream.test.ts',
  'test/bridge/upstream-reset.test.ts',
  'test/checks/upstream.test.ts',
  'test/launch/argv.test.ts',
  'test/launch/run.test.ts',
  'test/probe/bridge-demo.test.ts',
  'test/probe/run.test.ts',
  'test/system/serve-process.test.ts',
  'test/security/**/*.test.ts',
  'test/bridge/context-advice-server.test.ts',
  'test/bridge/counting-cache.test.ts',
  'test/bridge/local-counting-bounds.test.ts',
  'test/probe/session.test.ts',
  'test/probe/http.test.ts',
  'test/system/node.test.ts',
  'test/bridge/runtime.test.ts',
  'test/bridge/demo-upstream.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so e2e tests with the real Claude Code CLI are not starved.
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...CONTRACT, ...E2E, ...REAL, ...INTEGRATION],
        },
      },
      {
        extends: true,
        // Hang-catching only: these spawn the built CLI, which takes seconds on a busy machine.
        test: { name: 'integration', include: INTEGRATION, testTimeout: 120_000 },
      },
      { extends: true, test: { name: 'contract', include: CONTRACT } },
      { extends: true, test: { name: 'e2e', include: E2E, testTimeout: 180_000 } },
      {
        extends: true,
        // A llama-server prefill of a Claude Code first turn takes seconds on a busy machine.
        test: {
          name: 'real',
          include: REAL,
          globalSetup: ['test/real/setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
