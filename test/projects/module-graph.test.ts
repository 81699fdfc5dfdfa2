import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildModuleGraph, calledDirs, checkDirectories, moduleDependencies } from '../../src/projects/module-graph.js';
import { moduleBlock, removeTree, writeTree } from './write-tree.js';

const roots: string[] = [];
async function tree(files: Record<string, string>): Promise<string> {
  const root = await writeTree(files);
  roots.push(root);
  return root;
}
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeTree));
});

describe('buildModuleGraph', () => {
  it('finds IaC directories and skips hidden dirs, .terraform and node_modules', async () => {
    const root = await tree({
      'main.tf': '',
      'envs/prod/main.tf': '',
      'envs/json/main.tf.json': '{}',
      'envs/tofu/main.tofu': '',
      'docs/readme.md': '',
      '.github/x.tf': '',
      'envs/prod/.terraform/modules/vpc/main.tf': '',
      'node_modules/pkg/main.tf': '',
    });
    const graph = await buildModuleGraph(root);
    expect(graph.dirs).toEqual(['.', 'envs/json', 'envs/prod', 'envs/tofu']);
  });

  it('does not follow symbolic links out of the checkout', async () => {
    const outside = await tree({ 'secret/main.tf': '' });
    const root = await tree({ 'main.tf': '' });
    await mkdir(path.join(root, 'linked'), { recursive: true });
    await symlink(path.join(outside, 'secret'), path.join(root, 'linked', 'dir'));
    await symlink(path.join(outside, 'secret', 'main.tf'), path.join(root, 'linked', 'file.tf'));
    const graph = await buildModuleGraph(root);
    expect(graph.dirs).toEqual(['.']);
  });

  it('links local sources, ignores registry and git sources, resolves transitively, and survives a cycle', async () => {
    const root = await tree({
      'envs/prod/main.tf': moduleBlock('app', '../../modules/app') + moduleBlock('vpc', 'terraform-aws-modules/vpc/aws') + moduleBlock('git', 'git::https://example.com/x.git'),
      'modules/app/main.tf': moduleBlock('net', '../net'),
      'modules/net/main.tf': moduleBlock('app', '../app'),
    });
    const graph = await buildModuleGraph(root);
    expect(graph.calls.get('envs/prod')?.map((edge) => edge.target)).toEqual(['modules/app']);
    expect(moduleDependencies(graph, 'envs/prod')).toEqual(['modules/app', 'modules/net']);
    expect(moduleDependencies(graph, 'modules/app')).toEqual(['modules/net']);
    expect([...calledDirs(graph)].sort()).toEqual(['modules/app', 'modules/net']);
  });

  it('reports a source that leaves the repository at the module line', async () => {
    const root = await tree({ 'main.tf': 'locals {}\n\n' + moduleBlock('x', '../../elsewhere') });
    const graph = await buildModuleGraph(root);
    expect(graph.errors.get('.')).toEqual([{ file: 'main.tf', line: 3, column: 1, message: 'module "x": source "../../elsewhere" points outside the repository' }]);
  });

  it('parses files without module blocks only when asked, then reports their syntax errors', async () => {
    const root = await tree({ 'envs/a/main.tf': 'resource "x" "y" {\n', 'envs/b/main.tf': moduleBlock('m', '../../m'), 'm/main.tf': '' });
    const graph = await buildModuleGraph(root);
    expect(graph.errors.size).toBe(0);
    await checkDirectories(graph, ['envs/a']);
    expect(graph.errors.get('envs/a')).toMatchObject([{ file: 'envs/a/main.tf', line: 1 }]);
  });
});
