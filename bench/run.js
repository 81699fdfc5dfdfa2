#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): runs each benchmark part in its own Node process, one after
 * the other, so one part's memory never counts against another. To add a part, add its file to PARTS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Benchmark parts, in order. A part missing from this checkout is skipped with a note. */
const PARTS = ['render-bench.js', 'store-bench.js', 'api-budget.js', 'webhook-load.js'];

let failed = 0;
for (const part of PARTS) {
  const file = path.join(BENCH_DIR, part);
  if (!existsSync(file)) {
    console.log(`\n(skipping ${part}: not in this checkout)`);
    continue;
  }
  console.log(`\n=== ${part} ===`);
  const result = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`${part} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
