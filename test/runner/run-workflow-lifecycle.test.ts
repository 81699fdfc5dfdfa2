import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runner/run-workflow.js';
import type { RunWorkflowInput, WorkflowResult } from '../../src/runner/run-workflow.js';
import { createStandinProject, readStandinLog, STANDIN_TERRAFORM, useTempDirs } from './runner-test-kit.js';
import type { StandinProject } from './runner-test-kit.js';

interface PlanJson {
  format_version: string;
  resource_changes: Array<{
    address: string;
    action_reason?: string;
    change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null; after_unknown: Record<string, unknown>; replace_paths?: string[][] };
  }>;
  output_changes: Record<string, { actions: string[] }>;
  planned_values: unknown;
  configuration: unknown;
  prior_state?: unknown;
  applyable: boolean;
  complete: boolean;
  errored: boolean;
}

interface State {
  version: number;
  serial: number;
  lineage: string;
  resources: Array<{ mode: string; type: string; name: string; instances: Array<{ attributes: Record<string, unknown> }> }>;
}

function input(project: StandinProject, extra: Partial<RunWorkflowInput> = {}): RunWorkflowInput {
  return {
    kind: 'plan',
    binary: STANDIN_TERRAFORM,
    workingDir: project.dir,
    artifactsDir: project.artifactsDir,
    pluginCacheDir: project.pluginCacheDir,
    env: { IAC_STANDIN_LOG: project.log },
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    ...extra,
  };
}

function actions(result: WorkflowResult): Record<string, string[]> {
  const plan = JSON.parse(result.planJson?.toString('utf8') ?? 'null') as PlanJson;
  return Object.fromEntries(plan.resource_changes.map((change) => [change.address, change.change.actions]));
}

async function readState(project: StandinProject): Promise<State> {
  return JSON.parse(await readFile(path.join(project.dir, 'terraform.tfstate'), 'utf8')) as State;
}

function attributes(state: State, type: string, name: string): Record<string, unknown> | undefined {
  return state.resources.find((resource) => resource.type === type && resource.name === name)?.instances[0]?.attributes;
}

async function planAndApply(project: StandinProject): Promise<{ plan: WorkflowResult; apply: WorkflowResult }> {
  const plan = await runWorkflow(input(project));
  expect(plan.failure).toBeUndefined();
  const apply = await runWorkflow(input(project, { kind: 'apply', planFile: plan.planFile }));
  expect(apply.failure).toBeUndefined();
  return { plan, apply };
}

describe('runWorkflow with the stand-in binary', () => {
  const tempDir = useTempDirs();

  it('creates, updates, replaces and deletes against the state file', { timeout: 90_000 }, async () => {
    const project = await createStandinProject(
      tempDir,
      `variable "size" {\n  default = 1\n}\nresource "null_instance" "web" {\n  name = "web"\n  size = var.size\n}\nresource "null_thing" "dep" {\n  parent = null_instance.web.id\n}\noutput "size" {\n  value = var.size\n}\n`,
    );

    // create
    const created = await planAndApply(project);
    expect(created.plan.ok).toBe(true);
    expect(created.plan.hasChanges).toBe(true);
    expect(created.plan.steps.map((step) => step.step)).toEqual(['init', 'plan', 'show']);
    expect(actions(created.plan)).toEqual({ 'null_instance.web': ['create'], 'null_thing.dep': ['create'] });
    const createdPlan = JSON.parse(created.plan.planJson?.toString('utf8') ?? '') as PlanJson;
    expect(createdPlan).toMatchObject({ format_version: '1.2', applyable: true, complete: true, errored: false });
    expect(createdPlan.resource_changes[1]?.change.after_unknown).toEqual({ parent: true, id: true });
    expect(createdPlan.prior_state).toBeUndefined();
    expect(created.apply.steps.map((step) => step.step)).toEqual(['init', 'apply']);
    let state = await readState(project);
    expect(state).toMatchObject({ version: 4, serial: 1 });
    const firstId = attributes(state, 'null_instance', 'web')?.id;
    expect(typeof firstId).toBe('string');
    expect(attributes(state, 'null_thing', 'dep')?.parent).toBe(firstId);

    // a second plan has nothing to do
    const unchanged = await runWorkflow(input(project));
    expect(unchanged.hasChanges).toBe(false);
    expect(actions(unchanged)).toEqual({ 'null_instance.web': ['no-op'], 'null_thing.dep': ['no-op'] });

    // update in place
    await writeFile(path.join(project.dir, 'main.tf'), (await readFile(path.join(project.dir, 'main.tf'), 'utf8')).replace('default = 1', 'default = 2'));
    const updated = await planAndApply(project);
    expect(actions(updated.plan)).toEqual({ 'null_instance.web': ['update'], 'null_thing.dep': ['no-op'] });
    state = await readState(project);
    expect(state.serial).toBe(2);
    expect(attributes(state, 'null_instance', 'web')).toMatchObject({ size: 2, id: firstId });

    // replace: `name` forces replacement
    await writeFile(path.join(project.dir, 'main.tf'), (await readFile(path.join(project.dir, 'main.tf'), 'utf8')).replace('name = "web"', 'name = "web-2"'));
    const replaced = await planAndApply(project);
    expect(actions(replaced.plan)).toEqual({ 'null_instance.web': ['delete', 'create'], 'null_thing.dep': ['update'] });
    const replacedPlan = JSON.parse(replaced.plan.planJson?.toString('utf8') ?? '') as PlanJson;
    expect(replacedPlan.resource_changes[0]).toMatchObject({ action_reason: 'replace_because_cannot_update', change: { replace_paths: [['name']] } });
    state = await readState(project);
    expect(state.serial).toBe(3);
    const secondId = attributes(state, 'null_instance', 'web')?.id;
    expect(secondId).not.toBe(firstId);
    expect(attributes(state, 'null_thing', 'dep')?.parent).toBe(secondId);

    // delete
    await writeFile(path.join(project.dir, 'main.tf'), `resource "null_instance" "web" {\n  name = "web-2"\n  size = 2\n}\n`);
    const deleted = await planAndApply(project);
    expect(actions(deleted.plan)).toEqual({ 'null_instance.web': ['no-op'], 'null_thing.dep': ['delete'] });
    const deletedPlan = JSON.parse(deleted.plan.planJson?.toString('utf8') ?? '') as PlanJson;
    expect(deletedPlan.output_changes.size?.actions).toEqual(['delete']);
    state = await readState(project);
    expect(state.serial).toBe(4);
    expect(state.resources.map((resource) => `${resource.type}.${resource.name}`)).toEqual(['null_instance.web']);

    // every invocation ran in automation mode with the shared plugin cache
    const log = readStandinLog(project.log);
    expect(log.length).toBeGreaterThanOrEqual(15);
    expect(log.every((entry) => entry.tfInAutomation && entry.tfInput === '0' && entry.pluginCacheDir === project.pluginCacheDir)).toBe(true);
    expect(log[0]?.argv).toEqual(['init', '-input=false', '-no-color']);
    expect(log[1]?.argv).toEqual(['plan', '-input=false', '-no-color', '-detailed-exitcode', `-out=${path.join(project.artifactsDir, 'tfplan')}`]);
    expect(log[2]?.argv).toEqual(['show', '-json', '-no-color', path.join(project.artifactsDir, 'tfplan')]);
  });

  it('rejects a stale plan: the state changed after the plan was made', async () => {
    const project = await createStandinProject(tempDir, `resource "null_instance" "a" {\n  size = 1\n}\n`);
    const first = await runWorkflow(input(project, { planFile: path.join(project.artifactsDir, 'first.tfplan') }));
    const second = await runWorkflow(input(project, { planFile: path.join(project.artifactsDir, 'second.tfplan') }));
    expect(first.ok && second.ok).toBe(true);
    const applied = await runWorkflow(input(project, { kind: 'apply', planFile: second.planFile }));
    expect(applied.ok).toBe(true);
    const stale = await runWorkflow(input(project, { kind: 'apply', planFile: first.planFile }));
    expect(stale.ok).toBe(false);
    expect(stale.status).toBe('failed');
    expect(stale.failure?.step).toBe('apply');
    expect(stale.failure?.message).toMatch(/^apply exited with code 1:\n/);
    expect(stale.failure?.message).toContain('Error: Saved plan is stale');
    expect((await readState(project)).serial).toBe(1);
  });

  it('runs custom steps with extra_args and run commands, and shows a plan the steps did not show', async () => {
    const project = await createStandinProject(tempDir, `variable "size" {\n  default = 1\n}\nresource "null_instance" "a" {\n  size = var.size\n}\n`);
    await rm(project.log, { force: true });
    const result = await runWorkflow(
      input(project, {
        steps: ['init', { run: 'echo "plan goes to $PLANFILE, env $MY_SETTING" > ran.txt' }, { plan: { extra_args: ['-var', 'size=5'] } }],
        env: { IAC_STANDIN_LOG: project.log, MY_SETTING: 'from-workflow' },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => step.step)).toEqual(['init', 'run: echo "plan goes to $PLANFILE, env $MY_SETTING" > ran.txt', 'plan', 'show']);
    expect(await readFile(path.join(project.dir, 'ran.txt'), 'utf8')).toBe(`plan goes to ${path.join(project.artifactsDir, 'tfplan')}, env from-workflow\n`);
    const plan = JSON.parse(result.planJson?.toString('utf8') ?? '') as PlanJson;
    expect(plan.resource_changes[0]?.change.after).toEqual({ size: '5' });
    expect(readStandinLog(project.log)[1]?.argv.slice(-2)).toEqual(['-var', 'size=5']);
  });
});

describe('runWorkflow plan file integrity', () => {
  const tempDir = useTempDirs();

  it('reports the plan file SHA-256 and refuses to apply a plan whose hash no longer matches', async () => {
    const project = await createStandinProject(tempDir, `resource "null_instance" "a" {\n  size = 1\n}\n`);
    const plan = await runWorkflow(input(project));
    const bytes = await readFile(plan.planFile ?? '');
    expect(plan.planFileSha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    await writeFile(plan.planFile ?? '', Buffer.concat([bytes, Buffer.from(' ')]));
    const tampered = await runWorkflow(input(project, { kind: 'apply', planFile: plan.planFile, expectedPlanSha256: plan.planFileSha256 }));
    expect(tampered).toMatchObject({ ok: false, status: 'failed', steps: [] });
    expect(tampered.failure?.message).toMatch(/does not match the SHA-256/);
    expect(readStandinLog(project.log).some((entry) => entry.argv[0] === 'apply')).toBe(false);

    const missing = await runWorkflow(input(project, { kind: 'apply', planFile: path.join(project.artifactsDir, 'nope') }));
    expect(missing.failure?.message).toMatch(/cannot be read/);

    await writeFile(plan.planFile ?? '', bytes);
    const applied = await runWorkflow(input(project, { kind: 'apply', planFile: plan.planFile, expectedPlanSha256: plan.planFileSha256 }));
    expect(applied.ok).toBe(true);
  });
});
