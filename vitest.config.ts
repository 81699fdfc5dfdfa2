import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // A guard against hangs, not a speed target (speed targets live in `npm run bench`). The scenario suites
    // run a PR through plan, apply, rollback and more in one test: ~15 s on a quiet 2-core machine, past 30 s
    // when other suites share it.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
