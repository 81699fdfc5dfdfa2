#!/usr/bin/env node
/**
 * Plan rendering speed and memory: `infra-review render --format json|markdown` on a generated plan of
 * 10,000 resource changes, against a Node process that only reads and JSON.parses the same file.
 * Targets: json within 2x of bare, markdown within 3x, peak memory under 4x the file size.
 *
 *   node bench/render-bench.js [--changes N] [--runs R]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePlan } from './generate-plan.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'lib/cli/main.js');
const PRELOAD = path.join(ROOT, 'bench/report-usage.js');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? Number(process.argv[at + 1]) : fallback;
}

const CHANGES = option('--changes', 10_000);
const RUNS = option('--runs', 3);

if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first (npm run bench does).`);
  process.exit(2);
}

const work = mkdtempSync(path.join(tmpdir(), 'infra-review-bench-'));
try {
  const planFile = path.join(work, 'plan.json');
  writeFileSync(planFile, JSON.stringify(generatePlan(CHANGES)));
  const fileBytes = statSync(planFile).size;
  const bareScript = path.join(work, 'bare.js');
  writeFileSync(bareScript, "import { readFileSync } from 'node:fs';\nJSON.parse(readFileSync(process.argv[2], 'utf8'));\n");

  /** Runs `args` under node RUNS times; median wall time, largest peak RSS. */
  const measure = (args) => {
    const walls = [];
    const cpus = [];
    let maxRssKiB = 0;
    for (let run = 0; run < RUNS; run++) {
      const usageFile = path.join(work, `usage-${run}.json`);
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, ['--import', PRELOAD, ...args], {
        env: { ...process.env, BENCH_USAGE_FILE: usageFile },
        stdio: ['ignore', 'ignore', 'pipe'],
        maxBuffer: 16 * 1024 * 1024,
      });
      walls.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
      const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      maxRssKiB = Math.max(maxRssKiB, usage.maxRssKiB);
      cpus.push(usage.userMs + usage.systemMs);
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return { wallMs: median(walls), cpuMs: median(cpus), rssBytes: maxRssKiB * 1024 };
  };

  const idle = measure(['-e', '0']);
  const bare = measure([bareScript, planFile]);
  const json = measure([CLI, 'render', planFile, '--format', 'json']);
  const markdown = measure([CLI, 'render', planFile, '--format', 'markdown']);

  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`plan: ${CHANGES} resource changes, ${mb(fileBytes)} MB; median of ${RUNS} runs; node ${process.version}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log('Wall time includes Node start-up; CPU time (user + system) is steadier on a busy machine.');
  console.log('');
  const rows = [
    ['case', 'wall ms', 'x bare', 'target', 'CPU ms', 'CPU x bare', 'peak RSS MB', 'RSS / file', 'RSS over idle MB', '(over idle) / file'],
    ['node -e 0 (idle)', idle.wallMs.toFixed(0), '', '', idle.cpuMs.toFixed(0), '', mb(idle.rssBytes), '', '', ''],
  ];
  const verdicts = [];
  for (const [name, m, target] of [
    ['read + JSON.parse (bare)', bare, null],
    ['render --format json', json, 2],
    ['render --format markdown', markdown, 3],
  ]) {
    const ratio = m.wallMs / bare.wallMs;
    const rssRatio = m.rssBytes / fileBytes;
    const overIdle = m.rssBytes - idle.rssBytes;
    rows.push([
      name,
      m.wallMs.toFixed(0),
      ratio.toFixed(2),
      target ? `<= ${target}x ${ratio <= target ? 'ok' : 'MISSED'}` : '',
      m.cpuMs.toFixed(0),
      (m.cpuMs / bare.cpuMs).toFixed(2),
      mb(m.rssBytes),
      rssRatio.toFixed(2),
      mb(overIdle),
      (overIdle / fileBytes).toFixed(2),
    ]);
    if (target) {
      const cpuRatio = m.cpuMs / bare.cpuMs;
      verdicts.push(
        `${name}: wall time ${ratio.toFixed(2)}x bare (target <= ${target}x) ${ratio <= target ? 'ok' : 'MISSED'}; CPU time ${cpuRatio.toFixed(2)}x ${cpuRatio <= target ? 'ok' : 'MISSED'}`,
      );
      verdicts.push(
        `${name}: peak RSS ${rssRatio.toFixed(2)}x file (target < 4x) ${rssRatio < 4 ? 'ok' : 'MISSED'}; above an idle node: ${(overIdle / fileBytes).toFixed(2)}x ${overIdle / fileBytes < 4 ? 'ok' : 'MISSED'}`,
      );
    }
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  for (const row of rows) console.log(row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '));
  console.log('');
  for (const verdict of verdicts) console.log(verdict);
} finally {
  rmSync(work, { recursive: true, force: true });
}
