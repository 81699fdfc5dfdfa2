#!/usr/bin/env node
/**
 * Webhook load (`npm run bench` part): signed pull_request and issue_comment deliveries at a fixed rate
 * against the built app; p50/p99 response time, 5xx, jobs lost. See webhook-load.bench.ts.
 *
 *   node bench/webhook-load.js [--rate 200] [--seconds 30] [--in-flight 256] [--workers 2] [--prs 100] [--store sqlite|postgres] [--cpu-prof DIR]
 */
import { runHarnessBench } from './run-harness-bench.js';

runHarnessBench('webhook-load.bench.ts', process.argv.slice(2));
