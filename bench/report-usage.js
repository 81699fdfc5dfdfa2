/**
 * Preloaded with `node --import` into a measured process: at exit, writes its peak resident memory
 * (`process.resourceUsage().maxRSS`, KiB) and CPU time as JSON to the file named by BENCH_USAGE_FILE.
 * Works for any command without changing it and without GNU time.
 */
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_USAGE_FILE;
if (target) {
  process.on('exit', (code) => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ code, maxRssKiB: usage.maxRSS, userMs: usage.userCPUTime / 1000, systemMs: usage.systemCPUTime / 1000 }));
  });
}
