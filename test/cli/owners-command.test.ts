import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/policies');
const VALID = path.join(FIXTURES, 'valid.INFRAOWNERS');
const INVALID = path.join(FIXTURES, 'invalid.INFRAOWNERS');

let stdout: string[];
let stderr: string[];
const realStdout = process.stdout.write;
const realStderr = process.stderr.write;

beforeEach(() => {
  stdout = [];
  stderr = [];
  process.stdout.write = ((chunk: string) => {
    stdout.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
});

afterEach(() => {
  process.stdout.write = realStdout;
  process.stderr.write = realStderr;
});

function jsonLines(): unknown[] {
  return stdout
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

describe('infra-review owners', () => {
  it('prints one JSON line per path and section, with the owning rule', async () => {
    expect(await main(['owners', '--policy', VALID, 'envs/prod/main.tf', './docs/guide.md'])).toBe(0);
    expect(jsonLines()).toEqual([
      { path: 'envs/prod/main.tf', section: null, line: 3, owners: ['@acme/sre'] },
      { path: 'envs/prod/main.tf', section: 'Production', line: 8, owners: ['@acme/sre', '@alice'] },
      { path: 'envs/prod/main.tf', section: 'risk:high', line: 13, owners: ['@acme/sre'] },
      { path: 'envs/prod/main.tf', section: 'risk:critical', line: 15, owners: ['@acme/sre', '@acme/security'] },
      { path: 'docs/guide.md', section: null, line: 4, owners: ['docs@example.com'] },
      { path: 'docs/guide.md', section: 'Production', line: null, owners: [] },
      { path: 'docs/guide.md', section: 'risk:high', line: 13, owners: ['@acme/sre'] },
      { path: 'docs/guide.md', section: 'risk:critical', line: 15, owners: ['@acme/sre', '@acme/security'] },
    ]);
    expect(stderr.join('')).toBe('');
  });

  it('distinguishes a matching rule without owners (line set) from no match (line null)', async () => {
    expect(await main(['owners', '--policy', VALID, 'envs/prod/README.md', 'modules/with space/main.tf'])).toBe(0);
    const lines = jsonLines() as Array<{ path: string; section: string | null; line: number | null; owners: string[] }>;
    expect(lines.find((l) => l.path === 'envs/prod/README.md' && l.section === 'Production')).toEqual({
      path: 'envs/prod/README.md',
      section: 'Production',
      line: 9,
      owners: [],
    });
    expect(lines.find((l) => l.path === 'modules/with space/main.tf' && l.section === 'risk:critical')?.owners).toEqual(['@bob']);
  });

  it('exits 2 with every parse error as FILE:LINE: message on stderr', async () => {
    expect(await main(['owners', '--policy', INVALID, 'a.tf'])).toBe(2);
    expect(stdout.join('')).toBe('');
    const lines = stderr.join('').trim().split('\n');
    const located = lines.filter((l) => l.startsWith(`${INVALID}:`));
    expect(located.map((l) => Number(l.slice(INVALID.length + 1).split(':')[0]))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lines.at(-1)).toBe(`infra-review: ${INVALID}: invalid policy (9 errors)`);
  });

  it('exits 2 naming a missing policy file', async () => {
    const missing = path.join(FIXTURES, 'does-not-exist');
    expect(await main(['owners', '--policy', missing, 'a.tf'])).toBe(2);
    expect(stderr.join('')).toBe(`infra-review: ${missing}: cannot read the policy file: no such file\n`);
  });

  it('exits 2 without --policy or without paths', async () => {
    expect(await main(['owners', 'a.tf'])).toBe(2);
    expect(await main(['owners', '--policy', VALID])).toBe(2);
  });
});
