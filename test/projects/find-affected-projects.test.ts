import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import type { InfraReviewConfig } from '../../src/config/config-schema.js';
import { findAffectedProjects, findNamedProjects, listProjects, TRUNCATED_REASON } from '../../src/projects/find-affected-projects.js';
import type { ChangedFile } from '../../src/projects/changed-file.js';
import { buildModuleGraph } from '../../src/projects/module-graph.js';
import { moduleBlock, removeTree, writeTree } from './write-tree.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeTree));
});

function config(yaml: string | null = null): InfraReviewConfig {
  const result = parseConfig(yaml);
  if (!('config' in result)) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const modified = (...files: string[]): ChangedFile[] => files.map((filename) => ({ filename, status: 'modified' }));

/** A small monorepo: two environments on shared modules, nested modules, one module-only dir. */
const MONOREPO = {
  'envs/prod/main.tf': moduleBlock('app', '../../modules/app'),
  'envs/prod/prod.tfvars': 'x = 1\n',
  'envs/staging/main.tf': moduleBlock('net', '../../modules/network'),
  'envs/staging/policies/bucket.json': '{}',
  'modules/app/main.tf': moduleBlock('net', '../network') + moduleBlock('dns', './dns'),
  'modules/app/dns/main.tf': 'variable "zone" {}\n',
  'modules/app/templates/user_data.tpl': '#!/bin/sh\n',
  'modules/network/main.tf': 'resource "null_resource" "n" {}\n',
  'bootstrap/main.tofu': 'terraform {}\n',
  'README.md': '# repo\n',
};

async function affected(files: Record<string, string>, changed: ChangedFile[], cfg: InfraReviewConfig = config()) {
  const checkoutDir = await writeTree(files);
  roots.push(checkoutDir);
  return findAffectedProjects({ changedFiles: changed, checkoutDir, config: cfg });
}

describe('findAffectedProjects', () => {
  it('autodetects root modules and leaves module-only directories out', async () => {
    const checkoutDir = await writeTree(MONOREPO);
    roots.push(checkoutDir);
    const projects = listProjects(await buildModuleGraph(checkoutDir), config());
    expect(projects.map((p) => p.name)).toEqual(['bootstrap', 'envs/prod', 'envs/staging']);
    expect(projects[1]).toMatchObject({ dir: 'envs/prod', workspace: 'default', workflow: 'default', varFiles: [], origin: 'autodetect' });
  });

  it('names the repository root "."', async () => {
    const result = await affected({ 'main.tf': '', 'variables.tf': '' }, modified('variables.tf'));
    expect(result.projects.map((p) => [p.name, p.dir])).toEqual([['.', '.']]);
  });

  it('plans only the project whose file changed, with the reason', async () => {
    const result = await affected(MONOREPO, modified('envs/prod/prod.tfvars'));
    expect(result).toEqual({
      projects: [
        { name: 'envs/prod', dir: 'envs/prod', workspace: 'default', workflow: 'default', varFiles: [], autoplan: true, origin: 'autodetect', reason: 'changed envs/prod/prod.tfvars', files: ['envs/prod/prod.tfvars'] },
      ],
      errors: [],
    });
  });

  it('plans every root that uses a changed module, transitively', async () => {
    const network = await affected(MONOREPO, modified('modules/network/main.tf'));
    expect(network.projects.map((p) => [p.name, p.reason])).toEqual([
      ['envs/prod', 'uses module modules/network (changed modules/network/main.tf)'],
      ['envs/staging', 'uses module modules/network (changed modules/network/main.tf)'],
    ]);
    // Each project lists the changed files that reach it, through modules too (approvals map files to projects).
    expect(network.projects.map((p) => p.files)).toEqual([['modules/network/main.tf'], ['modules/network/main.tf']]);
    const nested = await affected(MONOREPO, modified('modules/app/dns/main.tf'));
    expect(nested.projects.map((p) => p.name)).toEqual(['envs/prod']);
    const template = await affected(MONOREPO, modified('modules/app/templates/user_data.tpl'));
    expect(template.projects.map((p) => p.name)).toEqual(['envs/prod']);
  });

  it('does not loop on a module cycle', async () => {
    const result = await affected(
      { 'root/main.tf': moduleBlock('a', '../a'), 'a/main.tf': moduleBlock('b', '../b'), 'b/main.tf': moduleBlock('a', '../a') },
      modified('b/main.tf'),
    );
    expect(result.projects.map((p) => p.name)).toEqual(['root']);
  });

  it('ignores files that are not infrastructure inputs', async () => {
    const result = await affected(MONOREPO, modified('README.md', 'envs/staging/policies/bucket.json'));
    expect(result.projects).toEqual([]);
  });

  it('counts both paths of a rename', async () => {
    const result = await affected(MONOREPO, [{ filename: 'envs/prod/network.tf', previous_filename: 'envs/staging/network.tf', status: 'renamed' }]);
    expect(result.projects.map((p) => p.name)).toEqual(['envs/prod', 'envs/staging']);
  });

  it('plans a root whose IaC file was deleted', async () => {
    const result = await affected(MONOREPO, [{ filename: 'envs/staging/old.tf', status: 'removed' }]);
    expect(result.projects.map((p) => p.name)).toEqual(['envs/staging']);
  });

  it('does not let a root claim the files of a nested directory of its own', async () => {
    const result = await affected({ 'main.tf': '', 'sub/main.tf': '' }, modified('sub/main.tf'));
    expect(result.projects.map((p) => p.name)).toEqual(['sub']);
  });

  it('skips autodetected roots matched by autodetect.ignore (and their subdirectories)', async () => {
    const files = { ...MONOREPO, 'examples/simple/main.tf': '', 'sandbox/x/main.tf': '' };
    const cfg = config('autodetect:\n  ignore: ["examples/**", "sandbox"]\n');
    const result = await affected(files, modified('examples/simple/main.tf', 'sandbox/x/main.tf', 'bootstrap/main.tofu'), cfg);
    expect(result.projects.map((p) => p.name)).toEqual(['bootstrap']);
  });

  it('finds nothing by itself when autodetect is disabled', async () => {
    const result = await affected(MONOREPO, modified('envs/prod/main.tf'), config('autodetect: {enabled: false}\n'));
    expect(result.projects).toEqual([]);
  });

  it('uses explicit projects with their settings, and when_modified relative to the project dir', async () => {
    const cfg = config(
      [
        'projects:',
        '  - name: prod-eu',
        '    dir: envs/prod/',
        '    workspace: eu',
        '    tool: tofu',
        '    workflow: default',
        '    var_files: [prod.tfvars]',
        '    autoplan: false',
        '    when_modified: ["*.tf", "../../shared/**"]',
        '',
      ].join('\n'),
    );
    const files = { ...MONOREPO, 'shared/settings.yaml': 'a: 1\n' };
    const byShared = await affected(files, modified('shared/settings.yaml'), cfg);
    expect(byShared.projects).toEqual([
      { name: 'prod-eu', dir: 'envs/prod', workspace: 'eu', tool: 'tofu', workflow: 'default', varFiles: ['prod.tfvars'], autoplan: false, origin: 'config', reason: 'changed shared/settings.yaml', files: ['shared/settings.yaml'] },
    ]);
    // The explicit project claims envs/prod: it is not autodetected a second time. Its module graph still counts.
    const byModule = await affected(files, modified('modules/network/main.tf'), cfg);
    expect(byModule.projects.map((p) => p.name)).toEqual(['prod-eu', 'envs/staging']);
    // prod.tfvars does not match "*.tf" and "../../shared/**".
    const byVars = await affected(files, modified('envs/prod/prod.tfvars'), cfg);
    expect(byVars.projects).toEqual([]);
  });

  it('reports an HCL syntax error with file and line as a failed project, while other projects resolve', async () => {
    const files = { ...MONOREPO, 'envs/staging/broken.tf': 'resource "x" "y" {\n  count = \n}\n' };
    const result = await affected(files, modified('envs/staging/broken.tf', 'envs/prod/main.tf'));
    expect(result.projects.map((p) => p.name)).toEqual(['envs/prod', 'envs/staging']);
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) {
      expect(error).toMatchObject({ project: 'envs/staging', file: 'envs/staging/broken.tf' });
      expect(error.line).toBeGreaterThanOrEqual(2);
    }
  });

  it('fails every project using a module with a syntax error, and no other', async () => {
    const files = { ...MONOREPO, 'modules/app/dns/broken.tf': 'variable "x" {\n' };
    const result = await affected(files, modified('modules/app/dns/broken.tf', 'envs/staging/main.tf'));
    expect(result.projects.map((p) => p.name)).toEqual(['envs/prod', 'envs/staging']);
    expect([...new Set(result.errors.map((e) => e.project))]).toEqual(['envs/prod']);
    expect(result.errors[0]).toMatchObject({ file: 'modules/app/dns/broken.tf', line: 1 });
  });

  it('gives the same answer whatever the order of the changed files', async () => {
    const changed = modified('modules/network/main.tf', 'bootstrap/main.tofu', 'envs/prod/prod.tfvars');
    const a = await affected(MONOREPO, changed);
    const b = await affected(MONOREPO, [...changed].reverse());
    expect(b).toEqual(a);
    expect(a.projects.map((p) => p.name)).toEqual(['bootstrap', 'envs/prod', 'envs/staging']);
  });

  it('fails closed when the changed-file list is truncated: every project is affected', async () => {
    const checkoutDir = await writeTree(MONOREPO);
    roots.push(checkoutDir);
    const result = await findAffectedProjects({ changedFiles: modified('README.md'), changedFilesTruncated: true, checkoutDir, config: config() });
    expect(result.projects.map((p) => [p.name, p.reason])).toEqual([
      ['bootstrap', TRUNCATED_REASON],
      ['envs/prod', TRUNCATED_REASON],
      ['envs/staging', TRUNCATED_REASON],
    ]);
  });

  it('still maps the listed files to the projects they affect when the list is truncated (approvals use the mapping)', async () => {
    const checkoutDir = await writeTree(MONOREPO);
    roots.push(checkoutDir);
    const changedFiles = modified('envs/staging/main.tf', 'modules/network/main.tf', 'README.md');
    const result = await findAffectedProjects({ changedFiles, changedFilesTruncated: true, checkoutDir, config: config() });
    expect(result.projects.map((p) => [p.name, p.files])).toEqual([
      ['bootstrap', []],
      ['envs/prod', ['modules/network/main.tf']],
      ['envs/staging', ['envs/staging/main.tf', 'modules/network/main.tf']],
    ]);
    // `/plan -p` of one project: every project counts as affected (some of their files may be unlisted).
    const named = await findNamedProjects({ names: ['envs/staging'], checkoutDir, config: config(), changedFiles, changedFilesTruncated: true });
    expect(named.fileOwners.map((p) => [p.name, p.files])).toEqual(result.projects.map((p) => [p.name, p.files]));
  });
});

describe('findNamedProjects', () => {
  it('finds projects by name whether or not they changed, and suggests a name for a typo', async () => {
    const checkoutDir = await writeTree({ ...MONOREPO, 'modules/network/broken.tf': 'output "x" {\n' });
    roots.push(checkoutDir);
    const result = await findNamedProjects({ names: ['envs/staging', 'bootstrap', 'envs/prd', 'nothing-like-it'], checkoutDir, config: config() });
    expect(result.projects.map((p) => [p.name, p.reason])).toEqual([
      ['bootstrap', 'requested by name'],
      ['envs/staging', 'requested by name'],
    ]);
    expect(result.unknown).toEqual([{ name: 'envs/prd', suggestion: 'envs/prod' }, { name: 'nothing-like-it' }]);
    // envs/staging uses modules/network, whose broken file fails it; bootstrap is unaffected.
    expect(result.errors.map((e) => [e.project, e.file])).toEqual([['envs/staging', 'modules/network/broken.tf']]);
  });

  it('maps the changed files to every project they affect, named or not, for approvals', async () => {
    const checkoutDir = await writeTree(MONOREPO);
    roots.push(checkoutDir);
    const changedFiles = modified('modules/network/main.tf', 'envs/staging/main.tf', 'README.md');
    const result = await findNamedProjects({ names: ['envs/staging'], checkoutDir, config: config(), changedFiles });
    expect(result.projects.map((p) => [p.name, p.files])).toEqual([['envs/staging', ['envs/staging/main.tf', 'modules/network/main.tf']]]);
    // envs/prod was not named, but the network module it uses (through modules/app) changed.
    expect(result.fileOwners.map(({ name, files }) => ({ name, files }))).toEqual([
      { name: 'envs/prod', files: ['modules/network/main.tf'] },
      { name: 'envs/staging', files: ['envs/staging/main.tf', 'modules/network/main.tf'] },
    ]);
    const unmapped = await findNamedProjects({ names: ['envs/staging'], checkoutDir, config: config() });
    expect(unmapped.fileOwners).toEqual([]);
    expect(unmapped.projects[0]?.files).toEqual([]);
  });
});
