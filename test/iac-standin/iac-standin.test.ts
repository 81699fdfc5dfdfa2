import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bin');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(binary: 'terraform' | 'tofu', args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(path.join(BIN, binary), args, { cwd, env: { PATH: process.env.PATH ?? '', TF_IN_AUTOMATION: '1', ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Change {
  address: string;
  change: { actions: string[]; after: Record<string, unknown> | null; after_sensitive: unknown; before_sensitive: unknown };
}

describe('IaC stand-in', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  async function project(mainTf: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'standin-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'main.tf'), mainTf);
    return dir;
  }
  async function planJson(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ plan: Run; show: { resource_changes: Change[]; output_changes: Record<string, { after_sensitive: boolean }> } }> {
    const plan = await run('terraform', ['plan', '-input=false', '-out=tfplan', ...args], dir, env);
    const show = await run('terraform', ['show', '-json', 'tfplan'], dir, env);
    return { plan, show: JSON.parse(show.stdout) as { resource_changes: Change[]; output_changes: Record<string, { after_sensitive: boolean }> } };
  }

  it('answers version like the real CLIs', async () => {
    const dir = await project('');
    expect((await run('terraform', ['version'], dir)).stdout).toBe('Terraform v1.9.8\non linux_amd64\n');
    expect((await run('tofu', ['-version'], dir)).stdout).toMatch(/^OpenTofu v1\.8\.5\n/);
    const json = JSON.parse((await run('tofu', ['version', '-json'], dir)).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ terraform_version: '1.8.5', platform: 'linux_amd64' });
  });

  it('refuses to plan before init and rejects unknown flags', async () => {
    const dir = await project('resource "null_instance" "a" {\n  size = 1\n}\n');
    const uninitialised = await run('terraform', ['plan'], dir);
    expect(uninitialised.code).toBe(1);
    expect(uninitialised.stderr).toContain('Error: Inconsistent dependency lock file');
    const badFlag = await run('terraform', ['init', '-bogus'], dir);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toContain('flag provided but not defined: -bogus');
  });

  it('marks attributes fed by sensitive variables and never prints their values', async () => {
    const dir = await project(
      'variable "password" {\n  sensitive = true\n  default   = "hunter2-secret"\n}\nresource "null_instance" "db" {\n  size     = 1\n  password = var.password\n}\noutput "pw" {\n  value     = var.password\n  sensitive = true\n}\n',
    );
    await run('terraform', ['init'], dir);
    const { plan, show } = await planJson(dir);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('password = (sensitive value)');
    expect(plan.stdout).not.toContain('hunter2-secret');
    expect(show.resource_changes[0]?.change).toMatchObject({ after: { password: 'hunter2-secret', size: 1 }, after_sensitive: { password: true }, before_sensitive: false });
    expect(show.output_changes.pw?.after_sensitive).toBe(true);
    const apply = await run('terraform', ['apply', 'tfplan'], dir);
    expect(apply.stdout).toContain('pw = <sensitive>');
    const state = JSON.parse(await readFile(path.join(dir, 'terraform.tfstate'), 'utf8')) as { resources: Array<{ instances: Array<{ sensitive_attributes: unknown }> }> };
    expect(state.resources[0]?.instances[0]?.sensitive_attributes).toEqual([[{ type: 'get_attr', value: 'password' }]]);
  });

  it('reads -var-file, keeps state per TF_WORKSPACE and plans -destroy', async () => {
    const dir = await project('variable "size" {\n  default = 1\n}\nresource "null_instance" "a" {\n  size = var.size\n}\n');
    await writeFile(path.join(dir, 'prod.tfvars'), 'size = 7\n');
    await run('terraform', ['init'], dir);
    const env = { TF_WORKSPACE: 'prod' };
    const { show } = await planJson(dir, ['-var-file=prod.tfvars'], env);
    expect(show.resource_changes[0]?.change.after).toEqual({ size: 7 });
    expect((await run('terraform', ['apply', 'tfplan'], dir, env)).code).toBe(0);
    const state = JSON.parse(await readFile(path.join(dir, 'terraform.tfstate.d', 'prod', 'terraform.tfstate'), 'utf8')) as { serial: number };
    expect(state.serial).toBe(1);
    await expect(readFile(path.join(dir, 'terraform.tfstate'))).rejects.toThrow(/ENOENT/);
    const destroy = await planJson(dir, ['-destroy'], env);
    expect(destroy.show.resource_changes.map((change) => change.change.actions)).toEqual([['delete']]);
  });

  it('lets IAC_STANDIN_FORCES_REPLACEMENT choose which attributes force replacement', async () => {
    const dir = await project('resource "null_instance" "a" {\n  size = 1\n  name = "a"\n}\n');
    await run('terraform', ['init'], dir);
    await planJson(dir);
    await run('terraform', ['apply', 'tfplan'], dir);
    await writeFile(path.join(dir, 'main.tf'), 'resource "null_instance" "a" {\n  size = 2\n  name = "b"\n}\n');
    const byDefault = await planJson(dir);
    expect(byDefault.show.resource_changes[0]?.change.actions).toEqual(['delete', 'create']);
    const custom = await planJson(dir, [], { IAC_STANDIN_FORCES_REPLACEMENT: 'null_instance.size' });
    expect(custom.show.resource_changes[0]).toMatchObject({ change: { actions: ['delete', 'create'], replace_paths: [['size']] } });
    const none = await planJson(dir, [], { IAC_STANDIN_FORCES_REPLACEMENT: '' });
    expect(none.show.resource_changes[0]?.change.actions).toEqual(['update']);
  });

  it('rejects what it does not model instead of guessing', async () => {
    const dir = await project('resource "null_instance" "a" {\n  count = 2\n}\n');
    await mkdir(path.join(dir, '.terraform'));
    const result = await run('terraform', ['plan'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: Unsupported by the IaC stand-in');
  });
});
