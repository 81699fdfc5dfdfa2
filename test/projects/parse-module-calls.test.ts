import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hclErrors, parseModuleCalls } from '../../src/projects/parse-module-calls.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HCL_FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures/hcl');

describe('parseModuleCalls', () => {
  it('finds module blocks with their literal source and line', async () => {
    const text = ['resource "null_resource" "x" {}', '', 'module "net" {', '  source = "../modules/net"', '}', 'module "reg" {', '  source  = "terraform-aws-modules/vpc/aws"', '  version = "5.0.0"', '}', ''].join('\n');
    const result = await parseModuleCalls('envs/prod/main.tf', text);
    expect(result).toEqual({
      calls: [
        { name: 'net', source: '../modules/net', line: 3 },
        { name: 'reg', source: 'terraform-aws-modules/vpc/aws', line: 6 },
      ],
    });
  });

  it('ignores a source that is not a literal (Terraform rejects it anyway)', async () => {
    const result = await parseModuleCalls('main.tf', 'module "x" {\n  source = "${var.path}/x"\n}\n');
    expect(result).toEqual({ calls: [{ name: 'x', line: 1 }] });
  });

  it('reads Terraform JSON syntax, as a map or a list of maps', async () => {
    const asMap = await parseModuleCalls('main.tf.json', JSON.stringify({ module: { a: { source: './a' } } }, null, 2));
    expect(asMap).toEqual({ calls: [{ name: 'a', source: './a', line: 3 }] });
    const asList = await parseModuleCalls('main.tf.json', JSON.stringify({ module: [{ b: { source: '../b' } }] }));
    expect(asList).toEqual({ calls: [{ name: 'b', source: '../b', line: 1 }] });
  });

  it('reports an HCL syntax error with file, line and column', async () => {
    const result = await parseModuleCalls('envs/dev/broken.tf', 'module "a" {\n  source = "./m"\n}\n\nresource "x" "y" {\n  a = \n');
    expect('errors' in result).toBe(true);
    if (!('errors' in result)) return;
    expect(result.errors.length).toBeGreaterThanOrEqual(1);
    for (const error of result.errors) expect(error.file).toBe('envs/dev/broken.tf');
    expect(result.errors[0]!.line).toBeGreaterThanOrEqual(5);
    expect(result.errors[0]!.message).not.toMatch(/parse config/);
  });

  it('reports a JSON syntax error with its line', async () => {
    const result = await parseModuleCalls('x.tf.json', '{\n  "module": {\n    "a": { "source": "./a" },,\n  }\n}\n');
    expect(result).toMatchObject({ errors: [{ file: 'x.tf.json', line: 3 }] });
  });

  it('splits hcl2json messages into one error per diagnostic', () => {
    const message =
      'parse config: [a b.tf:1,5-2,1: Invalid expression; Expected the start of an expression. a b.tf:2,6-7: Invalid block definition; The equals sign "=" indicates an argument definition.]';
    expect(hclErrors('a b.tf', new Error(message))).toEqual([
      { file: 'a b.tf', line: 1, column: 5, message: 'Invalid expression: Expected the start of an expression.' },
      { file: 'a b.tf', line: 2, column: 6, message: 'Invalid block definition: The equals sign "=" indicates an argument definition.' },
    ]);
  });

  describe.skipIf(!existsSync(HCL_FIXTURES))('real terraform-aws-modules files', () => {
    const files = existsSync(HCL_FIXTURES)
      ? readdirSync(HCL_FIXTURES, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .flatMap((entry) => readdirSync(path.join(HCL_FIXTURES, entry.name)).filter((name) => name.endsWith('.tf')).map((name) => `${entry.name}/${name}`))
      : [];

    it('has files to test', () => {
      expect(files.length).toBeGreaterThan(10);
    });

    it('finds the local module calls of an example root', async () => {
      const file = 'terraform-aws-eks/examples__karpenter__main.tf';
      const result = await parseModuleCalls(file, readFileSync(path.join(HCL_FIXTURES, file), 'utf8'));
      expect(result).toHaveProperty('calls');
      if (!('calls' in result)) return;
      expect(result.calls).toContainEqual(expect.objectContaining({ name: 'eks', source: '../..' }));
      expect(result.calls).toContainEqual(expect.objectContaining({ name: 'karpenter', source: '../../modules/karpenter' }));
    });

    it.each(files)('%s parses and every module block is found', async (file) => {
      const text = readFileSync(path.join(HCL_FIXTURES, file), 'utf8');
      const result = await parseModuleCalls(file, text);
      expect(result).toHaveProperty('calls');
      if (!('calls' in result)) return;
      // Independent count: top-level `module "name" {` lines in the text.
      const expected = [...text.matchAll(/^module\s+"([^"]+)"\s*\{/gm)].map((m) => m[1]!).sort();
      expect(result.calls.map((call) => call.name).sort()).toEqual(expected);
      for (const call of result.calls) {
        expect(text.split('\n')[call.line - 1]).toContain(`module "${call.name}"`);
      }
    });
  });
});
