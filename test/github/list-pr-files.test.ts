import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listPrFiles, MAX_PR_FILES } from '../../src/github/list-pr-files.js';
import { nockGetPages } from './helpers/nock-github.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function file(filename: string, status = 'modified', previous_filename?: string): Record<string, unknown> {
  return { sha: 'f'.repeat(40), filename, status, additions: 1, deletions: 0, changes: 1, previous_filename };
}

function nockGetPrFiles(scope: nock.Scope, pr: number, pages: unknown[][]): nock.Scope {
  return nockGetPages(scope, repoPath(`/pulls/${pr}/files`), { per_page: '100' }, pages);
}

describe('listPrFiles', () => {
  it('follows Link pagination and keeps renames', async () => {
    const scope = githubScope();
    nockGetPrFiles(scope, 7, [
      [file('envs/prod/main.tf'), file('modules/vpc/new.tf', 'renamed', 'modules/vpc/old.tf')],
      [file('README.md', 'added')],
    ]);

    const result = await listPrFiles(createTestOctokit(), REPO, 7);

    expect(result).toStrictEqual({
      files: [
        { filename: 'envs/prod/main.tf', status: 'modified' },
        { filename: 'modules/vpc/new.tf', previous_filename: 'modules/vpc/old.tf', status: 'renamed' },
        { filename: 'README.md', status: 'added' },
      ],
      truncated: false,
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('reports truncation when GitHub stops at 3000 files', async () => {
    const scope = githubScope();
    const pages = Array.from({ length: MAX_PR_FILES / 100 }, (_, p) =>
      Array.from({ length: 100 }, (_, i) => file(`stacks/s${p * 100 + i}/main.tf`)),
    );
    nockGetPrFiles(scope, 8, pages);

    const result = await listPrFiles(createTestOctokit(), REPO, 8);

    expect(result.files).toHaveLength(3000);
    expect(result.files[2999]?.filename).toBe('stacks/s2999/main.tf');
    expect(result.truncated).toBe(true);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
