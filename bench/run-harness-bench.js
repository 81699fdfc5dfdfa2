/**
 * Runs one `bench/*.bench.ts` part (TypeScript that drives the built app through the e2e harness in
 * `test/e2e/harness/`) under vitest with `vitest.bench.config.ts`, which `npm test` never includes.
 * Command-line flags reach the part as JSON in BENCH_ARGS. Exits with vitest's status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function runHarnessBench(file, args) {
  if (!existsSync(path.join(ROOT, 'lib/index.js'))) {
    console.error('lib/index.js is missing: run `npm run build` first (npm run bench does).');
    process.exit(2);
  }
  const vitest = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
  const result = spawnSync(process.execPath, [vitest, 'run', '--config', 'vitest.bench.config.ts', `bench/${file}`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
  });
  process.exitCode = result.status ?? 1;
}
