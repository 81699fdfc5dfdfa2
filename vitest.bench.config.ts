import { defineConfig } from 'vitest/config';

/**
 * `npm run bench` parts that drive the built app through the e2e harness (TypeScript): `bench/*.bench.ts`,
 * run one file at a time by `bench/run-harness-bench.js`. Kept apart from `vitest.config.ts`, so
 * `npm test` never runs them: they measure, they do not assert timings.
 */
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    pool: 'forks',
    // Reports are written straight to stdout, not buffered and labelled per test.
    disableConsoleIntercept: true,
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
