#!/usr/bin/env node
/**
 * API budget (`npm run bench` part): REST requests of one single-project autoplan (target <= 10), one
 * approving review and one `/apply`, against the GitHub double. See api-budget.bench.ts.
 *
 *   node bench/api-budget.js
 */
import { runHarnessBench } from './run-harness-bench.js';

runHarnessBench('api-budget.bench.ts', process.argv.slice(2));
