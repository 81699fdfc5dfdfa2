#!/usr/bin/env node
/**
 * Plan rendering speed and memory: `infra-review render --format json|markdown` on a generated plan of
 * 10,000 resource changes, against a Node process that only reads and JSON.parses the same file.
 * Targets: json within 2x of bare, markdown within 3x, peak memory under 4x the file size. Memory is
 * shown twice: the peak RSS of the process, and that peak minus the peak of an idle `node -e 0`
 * (what the work itself costs); each against the file size, each with its own verdict.
 * An extra table shows the same changes in the realistic shape (with planned_values, prior_state and
 * configuration); the headline stays the plain generated plan.
 *
 *   node bench/render-bench.js [--changes N] [--runs R] [--no-realistic]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePlan, generateRealisticPlan } from './generate-plan.js';

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
  const bareScript = path.join(work, 'bare.js');
  writeFileSync(bareScript, "import { readFileSync } from 'node:fs';\nJSON.parse(readFileSync(process.argv[2], 'utf8'));\n");

  /** One run of `args` under node: wall time, CPU time, peak RSS. */
  const runOnce = (args) => {
    const usageFile = path.join(work, 'usage.json');
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--import', PRELOAD, ...args], {
      env: { ...process.env, BENCH_USAGE_FILE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
    return { wallMs, cpuMs: usage.userMs + usage.systemMs, rssKiB: usage.maxRssKiB };
  };

  /**
   * Runs each case RUNS times, the cases taking turns (bare, json, markdown, bare, ...) so that a change
   * in the machine's load falls on all of them alike; median wall and CPU time, largest peak RSS.
   */
  const measureAll = (cases) => {
    const runs = cases.map(() => []);
    for (let run = 0; run < RUNS; run++) cases.forEach((args, i) => runs[i].push(runOnce(args)));
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return runs.map((list) => ({
      wallMs: median(list.map((r) => r.wallMs)),
      cpuMs: median(list.map((r) => r.cpuMs)),
      rssBytes: Math.max(...list.map((r) => r.rssKiB)) * 1024,
    }));
  };

  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  const [idle] = measureAll([['-e', '0']]);

  /** One plan shape: bare, json, markdown; its table rows and verdicts. */
  const benchShape = (label, plan) => {
    const planFile = path.join(work, `${label}.json`);
    writeFileSync(planFile, JSON.stringify(plan));
    const fileBytes = statSync(planFile).size;
    // The CLI as the `infra-review` bin runs it (`#!/usr/bin/env node` on lib/cli/main.js).
    const [bare, json, markdown] = measureAll([
      [bareScript, planFile],
      [CLI, 'render', planFile, '--format', 'json'],
      [CLI, 'render', planFile, '--format', 'markdown'],
    ]);
    rmSync(planFile);
    const rows = [];
    const verdicts = [];
    for (const [name, m, target] of [
      ['read + JSON.parse (bare)', bare, null],
      ['render --format json', json, 2],
      ['render --format markdown', markdown, 3],
    ]) {
      const ratio = m.wallMs / bare.wallMs;
      const rssRatio = m.rssBytes / fileBytes;
      const overIdle = m.rssBytes - idle.rssBytes;
      const overIdleRatio = overIdle / fileBytes;
      rows.push([
        name,
        m.wallMs.toFixed(0),
        ratio.toFixed(2),
        target ? `<= ${target}x ${ratio <= target ? 'ok' : 'MISSED'}` : '',
        m.cpuMs.toFixed(0),
        (m.cpuMs / bare.cpuMs).toFixed(2),
        mb(m.rssBytes),
        rssRatio.toFixed(2),
        rssRatio < 4 ? 'ok' : 'MISSED',
        mb(overIdle),
        overIdleRatio.toFixed(2),
        overIdleRatio < 4 ? 'ok' : 'MISSED',
      ]);
      if (target) {
        const cpuRatio = m.cpuMs / bare.cpuMs;
        verdicts.push(
          `${name}: wall time ${ratio.toFixed(2)}x bare (target <= ${target}x) ${ratio <= target ? 'ok' : 'MISSED'}; CPU time ${cpuRatio.toFixed(2)}x ${cpuRatio <= target ? 'ok' : 'MISSED'}`,
        );
        const memory = rssRatio < 4 ? 'target met' : overIdleRatio < 4 ? 'target MISSED: only the figure above an idle node is under 4x' : 'target MISSED';
        verdicts.push(
          `${name}: peak RSS ${rssRatio.toFixed(2)}x file (target < 4x) ${rssRatio < 4 ? 'ok' : 'MISSED'}; above an idle node: ${overIdleRatio.toFixed(2)}x ${overIdleRatio < 4 ? 'ok' : 'MISSED'} (${memory})`,
        );
      }
    }
    return { fileBytes, rows, verdicts };
  };

  const header = ['case', 'wall ms', 'x bare', 'target', 'CPU ms', 'CPU x bare', 'peak RSS MB', 'RSS / file', '< 4x', 'RSS over idle MB', '(over idle) / file', '< 4x'];
  const print = (rows) => {
    const widths = header.map((_, col) => Math.max(...rows.map((row) => row[col].length)));
    for (const row of rows) console.log(row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '));
  };

  const headline = benchShape('plan', generatePlan(CHANGES));
  console.log(`plan: ${CHANGES} resource changes, ${mb(headline.fileBytes)} MB; median of ${RUNS} runs; node ${process.version}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log('Wall time includes Node start-up; CPU time (user + system) is steadier on a busy machine. The cases take turns; peak RSS is the largest of the runs.');
  console.log('');
  print([header, ['node -e 0 (idle)', idle.wallMs.toFixed(0), '', '', idle.cpuMs.toFixed(0), '', mb(idle.rssBytes), '', '', '', '', ''], ...headline.rows]);
  console.log('');
  for (const verdict of headline.verdicts) console.log(verdict);

  if (!process.argv.includes('--no-realistic')) {
    // Extra, not the headline: the same changes with planned_values, prior_state and configuration.
    const realistic = benchShape('realistic', generateRealisticPlan(CHANGES));
    console.log('');
    console.log(`extra shape (not the headline): the same ${CHANGES} changes as terraform show -json writes them, with planned_values, prior_state and configuration: ${mb(realistic.fileBytes)} MB`);
    print([header, ...realistic.rows]);
    console.log('');
    for (const verdict of realistic.verdicts) console.log(`(extra shape) ${verdict}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
