import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveIacBinary } from '../../src/runner/resolve-iac-binary.js';
import { runWorkflow } from '../../src/runner/run-workflow.js';
import type { RunWorkflowInput } from '../../src/runner/run-workflow.js';
import { createStandinProject, readStandinLog, STANDIN_BIN, STANDIN_TERRAFORM, STANDIN_TOFU, useTempDirs } from './runner-test-kit.js';
import type { StandinProject } from './runner-test-kit.js';

const SIMPLE = `resource "null_instance" "a" {\n  size = 1\n}\n`;

function input(project: StandinProject, extra: Partial<RunWorkflowInput> = {}, env: Record<string, string> = {}): RunWorkflowInput {
  return {
    kind: 'plan',
    binary: STANDIN_TOFU,
    workingDir: project.dir,
    artifactsDir: project.artifactsDir,
    pluginCacheDir: project.pluginCacheDir,
    env: { IAC_STANDIN_LOG: project.log, ...env },
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    killGraceMs: 500,
    ...extra,
  };
}

describe('runWorkflow failures', () => {
  const tempDir = useTempDirs();

  it.each(['init', 'plan', 'show'])('stops at a failing %s and reports it with its stderr', async (step) => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const result = await runWorkflow(input(project, {}, { IAC_STANDIN_FAIL: step }));
    expect(result.ok).toBe(false);
    expect(result.status).toBe('failed');
    expect(result.failure?.step).toBe(step);
    expect(result.failure?.message).toMatch(new RegExp(`^${step} exited with code 1:\\n`));
    expect(result.failure?.message).toContain('Error: Injected failure');
    expect(result.steps.map((entry) => entry.step)).toEqual(['init', 'plan', 'show'].slice(0, ['init', 'plan', 'show'].indexOf(step) + 1));
    expect(result.planJson).toBeUndefined();
  });

  it('reports an HCL syntax error with file and line', async () => {
    const project = await createStandinProject(tempDir, `resource "null_instance" "a" {\n  size = 1\n  name =\n}\n`);
    const result = await runWorkflow(input(project));
    expect(result.ok).toBe(false);
    expect(result.failure?.step).toBe('plan');
    expect(result.failure?.message).toContain('Error: Invalid expression');
    expect(result.failure?.message).toContain('on main.tf line 3');
  });

  it('times out a hanging plan and kills it', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const result = await runWorkflow(input(project, { stepTimeoutMs: 1_500 }, { IAC_STANDIN_HANG: 'plan' }));
    expect(result.status).toBe('timed_out');
    expect(result.failure?.step).toBe('plan');
    expect(result.failure?.message).toMatch(/^plan timed out/);
    expect(result.steps[1]).toMatchObject({ step: 'plan', timedOut: true, exitCode: null, signal: 'SIGTERM' });
  });

  it('cancels a hanging apply through the abort signal', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const plan = await runWorkflow(input(project));
    expect(plan.ok).toBe(true);
    const controller = new AbortController();
    const running = runWorkflow(input(project, { kind: 'apply', planFile: plan.planFile, signal: controller.signal }, { IAC_STANDIN_HANG: 'apply' }));
    // Abort once the stand-in has logged the apply invocation (it hangs right after).
    for (let i = 0; i < 500 && !readStandinLog(project.log).some((entry) => entry.argv[0] === 'apply'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort();
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.failure?.step).toBe('apply');
    expect(result.steps.at(-1)).toMatchObject({ step: 'apply', cancelled: true });
    expect(await readdir(project.dir)).not.toContain('terraform.tfstate');
  });

  it('marks an apply the tool refused because the saved plan is stale (nothing applied), and only that', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const first = await runWorkflow(input(project, { artifactsDir: path.join(project.artifactsDir, 'first') }));
    const second = await runWorkflow(input(project, { artifactsDir: path.join(project.artifactsDir, 'second') }));
    expect(first.ok && second.ok).toBe(true);
    const applied = await runWorkflow(input(project, { kind: 'apply', planFile: first.planFile }));
    expect(applied.ok).toBe(true);
    expect(applied.stalePlan).toBeUndefined();
    const stateAfterFirst = await readFile(path.join(project.dir, 'terraform.tfstate'), 'utf8');

    // Planned before the first apply changed the state: Terraform refuses it, and says so.
    const stale = await runWorkflow(input(project, { kind: 'apply', planFile: second.planFile }));
    expect(stale.ok).toBe(false);
    expect(stale.status).toBe('failed');
    expect(stale.failure?.step).toBe('apply');
    expect(stale.failure?.message).toContain('Error: Saved plan is stale');
    expect(stale.stalePlan).toBe(true);
    expect(await readFile(path.join(project.dir, 'terraform.tfstate'), 'utf8')).toBe(stateAfterFirst);

    // Any other failing apply is not "stale", nor is a `run` step that merely prints the words.
    const injected = await runWorkflow(input(project, { kind: 'apply', planFile: second.planFile }, { IAC_STANDIN_FAIL: 'apply' }));
    expect(injected.ok).toBe(false);
    expect(injected.stalePlan).toBeUndefined();
    const script = await runWorkflow(input(project, { kind: 'apply', planFile: second.planFile, steps: [{ run: 'echo "Error: Saved plan is stale" >&2; exit 1' }] }));
    expect(script.ok).toBe(false);
    expect(script.failure?.message).toContain('Saved plan is stale');
    expect(script.stalePlan).toBeUndefined();
  });

  it('masks secret env values in failure messages and step output', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const result = await runWorkflow(
      input(project, {
        steps: ['init', { run: 'echo "key is $AWS_SECRET_ACCESS_KEY"; echo "token $MY_TOKEN failed" >&2; exit 4' }, 'plan'],
        secretEnv: { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI-K7MDENG' },
        secrets: ['ghs_installationTokenValue'],
        env: { IAC_STANDIN_LOG: project.log, MY_TOKEN: 'workflow-token-123' },
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.failure?.message).toBe('run: echo "key is $AWS_SECRET_ACCESS_KEY"; echo "token $MY_TOKEN failed" >&2; exit 4 exited with code 4:\ntoken *** failed');
    expect(result.steps[1]?.stdoutTail).toBe('key is ***\n');
  });

  it('fails the plan workflow when show needs a plan that no step made', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const result = await runWorkflow(input(project, { steps: ['init', 'show'] }));
    expect(result).toMatchObject({ ok: false, failure: { step: 'show', message: 'show needs a plan: add a plan step before it' } });
    expect(result.steps.map((step) => step.step)).toEqual(['init']);
  });

  it('runs the binary IAC_BINARY names and creates the shared plugin cache', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const binary = resolveIacBinary({ env: { PATH: '/nonexistent', IAC_BINARY: path.join(STANDIN_BIN, 'terraform') } });
    const result = await runWorkflow(input(project, { binary: binary.path }));
    expect(result.ok).toBe(true);
    expect(readStandinLog(project.log)[0]).toMatchObject({ argv: ['init', '-input=false', '-no-color'], cwd: project.dir, tfInAutomation: true });
    expect(await readdir(path.join(project.pluginCacheDir, 'registry.terraform.io', 'hashicorp'))).toEqual(['null']);
  });
});

describe('runWorkflow step handling', () => {
  const tempDir = useTempDirs();

  it('accepts the normalised steps of the config loader, runs init first in a fresh checkout, and passes var files', async () => {
    const project = await createStandinProject(tempDir, `variable "size" {\n  default = 1\n}\nresource "null_instance" "a" {\n  size = var.size\n}\n`);
    await writeFile(path.join(project.dir, 'ci.tfvars'), 'size = 3\n');
    const plan = await runWorkflow(
      input(project, { binary: STANDIN_TERRAFORM, steps: [{ step: 'plan', extra_args: ['-var', 'size=4'] }, { step: 'run', run: 'true' }], varFiles: ['ci.tfvars'] }),
    );
    expect(plan.ok).toBe(true);
    expect(plan.steps.map((step) => step.step)).toEqual(['init', 'plan', 'run: true', 'show']);
    const log = readStandinLog(project.log);
    expect(log[1]?.argv.slice(-3)).toEqual(['-var-file=ci.tfvars', '-var', 'size=4']);
    const json = JSON.parse(plan.planJson?.toString('utf8') ?? '') as { resource_changes: Array<{ change: { after: unknown } }> };
    expect(json.resource_changes[0]?.change.after).toEqual({ size: '4' });

    // The config's default apply workflow is just `apply`: it still needs init in a fresh workspace.
    const apply = await runWorkflow(input(project, { binary: STANDIN_TERRAFORM, kind: 'apply', planFile: plan.planFile, steps: [{ step: 'apply' }] }));
    expect(apply.ok).toBe(true);
    expect(apply.steps.map((step) => step.step)).toEqual(['init', 'apply']);
  });

  it('applies the timeout of each kind of step', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const result = await runWorkflow(input(project, { timeouts: { init: 60_000, run: 300 }, steps: ['init', { run: 'sleep 30' }, 'plan'] }));
    expect(result.status).toBe('timed_out');
    expect(result.failure?.step).toBe('run: sleep 30');
    expect(result.steps[0]?.exitCode).toBe(0);
  });

  it('passes TF_WORKSPACE for a non-default workspace', async () => {
    const project = await createStandinProject(tempDir, SIMPLE);
    const plan = await runWorkflow(input(project, { workspace: 'staging' }));
    const apply = await runWorkflow(input(project, { kind: 'apply', planFile: plan.planFile, workspace: 'staging' }));
    expect(apply.ok).toBe(true);
    expect(await readdir(path.join(project.dir, 'terraform.tfstate.d'))).toEqual(['staging']);
  });
});
