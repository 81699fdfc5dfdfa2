import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePlan } from '../../bench/generate-plan.js';
import { main } from '../../src/cli/program.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { parsePlanJson } from '../../src/plan/plan-model.js';
import { PLAN_COMMENT_MARKER, planCommentPartMarker, renderPlanComment } from '../../src/render/render-plan-comment.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'infra-review-render-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function resourceChange(address: string, actions: string[], before: unknown, after: unknown, extra: object = {}) {
  const [type, name] = address.split('.');
  return {
    address,
    mode: 'managed',
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: { actions, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...extra },
  };
}

const PLAN = {
  format_version: '1.2',
  terraform_version: '1.9.0',
  resource_changes: [
    resourceChange('aws_instance.web', ['create'], null, { ami: 'ami-1', instance_type: 't3.micro' }),
    resourceChange('aws_db_instance.main', ['delete'], { identifier: 'main', password: 'hunter2-secret' }, null, {
      before_sensitive: { password: true },
    }),
    resourceChange('aws_s3_bucket.logs', ['update'], { bucket: 'logs', acl: 'private' }, { bucket: 'logs', acl: 'public-read' }),
  ],
};

function writePlan(name: string, content: unknown): string {
  const file = path.join(work, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Runs the CLI in-process and captures what it writes. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { write: stdoutWrite } = process.stdout;
  const { write: stderrWrite } = process.stderr;
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

describe('infra-review render', () => {
  const planFile = writePlan('prod-plan.json', PLAN);

  it('prints the analysis JSON contract with --format json', async () => {
    const { code, stdout, stderr } = await run(['render', planFile, '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.format_version).toBe('1.2');
    expect(json.summary).toMatchObject({ add: 1, change: 1, destroy: 1, replace: 0 });
    expect(Object.keys(json.summary).sort()).toEqual(['add', 'change', 'destroy', 'forget', 'import', 'move', 'no_op', 'read', 'replace']);
    expect(json.changes.map((c: { address: string }) => c.address).sort()).toEqual(['aws_db_instance.main', 'aws_instance.web', 'aws_s3_bucket.logs']);
    for (const change of json.changes) expect(Object.keys(change)).toEqual(expect.arrayContaining(['address', 'actions', 'risk', 'reasons']));
    expect(['none', 'low', 'medium', 'high', 'critical']).toContain(json.risk.level);
    expect(stdout).not.toContain('hunter2-secret');
  });

  it('prints the first comment body with --format markdown (the default), named after the plan file', async () => {
    const { code, stdout } = await run(['render', planFile]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(PLAN_COMMENT_MARKER);
    expect(stdout).toContain('| <code>prod-plan</code> | 1 | 1 | 1 | 0 |');
    expect(stdout).toContain('```diff');
    expect(stdout).not.toContain('hunter2-secret');
    const named = await run(['render', planFile, '--project', 'networking']);
    expect(named.stdout).toContain('| <code>networking</code> |');
  });

  it('writes every body to --out-dir as comment-N.md, creating the folder', async () => {
    const many = {
      format_version: '1.2',
      resource_changes: Array.from({ length: 1500 }, (_, i) =>
        resourceChange(`aws_instance.n${i}`, ['create'], null, { ami: `ami-${i}`, tags: { Name: `n${i}`, Team: 'x'.repeat(40) } }),
      ),
    };
    const file = writePlan('many.json', many);
    const outDir = path.join(work, 'out', 'nested');
    const { code, stdout } = await run(['render', file, '--out-dir', outDir]);
    expect(code).toBe(0);
    const files = readdirSync(outDir).sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));
    expect(files.length).toBeGreaterThan(1);
    expect(files).toEqual(files.map((_, i) => `comment-${i + 1}.md`));
    const bodies = files.map((name) => readFileSync(path.join(outDir, name), 'utf8'));
    expect(bodies[0]).toBe(stdout);
    bodies.forEach((body, i) => {
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(body.split('\n')[0]).toBe(i === 0 ? PLAN_COMMENT_MARKER : planCommentPartMarker(i + 1));
    });
  });

  it('exits 2 with one line naming the file when the plan is missing, not JSON or not a plan', async () => {
    const cases: [string, RegExp][] = [
      [path.join(work, 'absent.json'), /absent\.json: cannot read the file \(no such file\)/],
      [writePlan('broken.json', '{"format_version": "1.2", "resource_changes": ['), /broken\.json.*(truncated|not valid JSON)/],
      [writePlan('state.json', { format_version: '1.0', values: {} }), /state\.json/],
      [writePlan('empty.json', ''), /empty\.json/],
    ];
    for (const [file, message] of cases) {
      const { code, stdout, stderr } = await run(['render', file, '--format', 'json']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('exits 2 on an unknown --format', async () => {
    const { code } = await run(['render', planFile, '--format', 'yaml']);
    expect(code).toBe(2);
  });

  it('applies the risk: section of --config', async () => {
    const config = writePlan(
      'infra-review.yml',
      'projects: []\nrisk:\n  rules:\n    - type: "aws_instance"\n      actions: [create]\n      level: critical\n      reason: "instances need a capacity review"\n',
    );
    const { code, stdout } = await run(['render', planFile, '--format', 'json', '--config', config]);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    const web = json.changes.find((c: { address: string }) => c.address === 'aws_instance.web');
    expect(web.risk).toBe('critical');
    expect(web.reasons.join(' ')).toContain('instances need a capacity review');
  });

  it('exits 2 on an invalid --config, naming file, YAML path and line of every problem', async () => {
    const config = writePlan('bad.yml', 'risk:\n  rules:\n    - type: "aws_*"\n      level: extreme\n      reason: "x"\n  many_changes_threshold: -3\n');
    const { code, stdout, stderr } = await run(['render', planFile, '--config', config]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/bad\.yml:4:\d+: risk\.rules\[0\]\.level: /);
    expect(stderr).toMatch(/bad\.yml:6:\d+: risk\.many_changes_threshold: /);
    const syntax = writePlan('syntax.yml', 'risk:\n  rules: [\n');
    const bad = await run(['render', planFile, '--config', syntax]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/syntax\.yml:\d+:\d+: invalid YAML/);
  });

  it('prints, for a generated 3,000-change plan, the same bytes as rendering the whole plan in memory', async () => {
    const file = writePlan('generated.json', generatePlan(3000));
    const inMemory = analyzePlan(parsePlanJson(readFileSync(file), file));
    const json = await run(['render', file, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(`${JSON.stringify(toAnalysisJson(inMemory), null, 2)}\n`);
    const outDir = path.join(work, 'generated-out');
    const markdown = await run(['render', file, '--out-dir', outDir]);
    expect(markdown.code).toBe(0);
    const bodies = renderPlanComment({
      headSha: '',
      projects: [{ name: 'generated', dir: path.relative(process.cwd(), work) || '.', workspace: 'default', status: 'planned', analysis: inMemory }],
    });
    expect(bodies.length).toBeGreaterThan(1);
    expect(markdown.stdout).toBe(bodies[0]);
    expect(bodies.map((_, i) => readFileSync(path.join(outDir, `comment-${i + 1}.md`), 'utf8'))).toEqual(bodies);
  });

  it('reads a plan from a pipe (a file that cannot be read twice)', async () => {
    const fifo = path.join(work, 'plan.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return; // no mkfifo (Windows): nothing to prove here
    const writer = spawn('sh', ['-c', `cat "$1" > "$2"`, 'sh', planFile, fifo]);
    const { code, stdout } = await run(['render', fifo, '--format', 'json']);
    await once(writer, 'exit');
    expect(code).toBe(0);
    expect(stdout).toBe(`${JSON.stringify(toAnalysisJson(analyzePlan(parsePlanJson(readFileSync(planFile)))), null, 2)}\n`);
  });

  const built = path.join(REPO_ROOT, 'lib/cli/main.js');

  it.skipIf(!existsSync(built))('loads neither Handlebars, zod nor yaml for --format json, and only the Handlebars runtime for markdown (the built CLI, a resolve hook listing every import)', () => {
    const log = path.join(work, 'imports.log');
    const hooks = path.join(work, 'log-imports.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const resolved = await next(specifier, context);\n  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');\n  return resolved;\n}\n`,
    );
    const register = path.join(work, 'register-hooks.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const imported = (format: string): string => {
      writeFileSync(log, '');
      const result = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, built, 'render', planFile, '--format', format], { encoding: 'utf8' });
      expect(result.status).toBe(0);
      return readFileSync(log, 'utf8');
    };
    const json = imported('json');
    expect(json).toContain('/plan/analyze-plan-file.js');
    expect(json).not.toMatch(/node_modules\/(handlebars|zod|yaml)\//);
    // The hook does see them when they are loaded: markdown needs Handlebars, but only its runtime:
    // the templates were compiled at build time (src/render/precompiled-views.ts).
    const markdown = imported('markdown');
    expect(markdown).toMatch(/node_modules\/handlebars\/runtime\.js\n/);
    expect(markdown).not.toMatch(/node_modules\/handlebars\/(lib\/index\.js|dist\/cjs\/handlebars\.js)/);
    expect(markdown).not.toContain('/render/precompile-views.js');
  });
  it.skipIf(!existsSync(built))('lets V8 optimise only the plan scanner (cli/v8-tuning.ts), and renders the same', () => {
    const big = path.join(work, 'big-plan.json');
    writeFileSync(big, JSON.stringify(generatePlan(3000)));
    const traced = spawnSync(process.execPath, ['--trace-opt', built, 'render', big, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(traced.status).toBe(0);
    const optimised = [...traced.stdout.matchAll(/completed (?:optimizing|compiling) .*?<JSFunction (\S+?)[ >]/g)].map((m) => m[1] as string);
    expect(optimised.length).toBeGreaterThan(0);
    expect(optimised.filter((name) => !name.startsWith('scan'))).toEqual([]);
    const plain = spawnSync(process.execPath, [built, 'render', big, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(plain.stdout).toBe(`${JSON.stringify(toAnalysisJson(analyzePlan(parsePlanJson(readFileSync(big)))), null, 2)}\n`);
  });

  it.skipIf(!existsSync(built))('runs as the built binary with the documented exit statuses', () => {
    const ok = spawnSync(process.execPath, [built, 'render', planFile, '--format', 'json'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).summary.destroy).toBe(1);
    const bad = spawnSync(process.execPath, [built, 'render', path.join(work, 'absent.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^infra-review: .*absent\.json: cannot read the file/);
  });
});
