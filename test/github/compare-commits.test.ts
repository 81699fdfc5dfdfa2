import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareCommits, MAX_COMPARE_FILES } from '../../src/github/compare-commits.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BASE = '1'.repeat(40);
const HEAD = '2'.repeat(40);

function nockGetCompare(scope: nock.Scope, files: unknown[], extra: Record<string, unknown> = {}) {
  return scope.get(repoPath(`/compare/${BASE}...${HEAD}`)).reply(200, {
    url: `https://api.github.com/repos/acme/infra/compare/${BASE}...${HEAD}`,
    status: 'ahead',
    ahead_by: 3,
    behind_by: 0,
    total_commits: 3,
    commits: [],
    files,
    ...extra,
  });
}

describe('compareCommits', () => {
  it('returns the changed files between two SHAs', async () => {
    const scope = githubScope();
    nockGetCompare(scope, [
      { filename: 'envs/prod/main.tf', status: 'modified', sha: 'x' },
      { filename: 'modules/b.tf', status: 'renamed', previous_filename: 'modules/a.tf', sha: 'y' },
    ]);

    const result = await compareCommits(createTestOctokit(), REPO, BASE, HEAD);

    expect(result).toStrictEqual({
      status: 'ahead',
      aheadBy: 3,
      behindBy: 0,
      files: [
        { filename: 'envs/prod/main.tf', status: 'modified' },
        { filename: 'modules/b.tf', previous_filename: 'modules/a.tf', status: 'renamed' },
      ],
      truncated: false,
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('reports truncation at GitHub 300-file cap', async () => {
    const scope = githubScope();
    nockGetCompare(
      scope,
      Array.from({ length: MAX_COMPARE_FILES }, (_, i) => ({ filename: `f${i}.tf`, status: 'added', sha: 'z' })),
    );

    const result = await compareCommits(createTestOctokit(), REPO, BASE, HEAD);

    expect(result.files).toHaveLength(300);
    expect(result.truncated).toBe(true);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('handles a comparison with no files', async () => {
    const scope = githubScope();
    nockGetCompare(scope, [], { status: 'identical', ahead_by: 0, total_commits: 0 });
    // Older GHES versions omit `files` entirely when nothing changed.
    scope.get(repoPath(`/compare/${BASE}...${HEAD}`)).reply(200, {
      url: 'u',
      status: 'identical',
      ahead_by: 0,
      behind_by: 0,
      total_commits: 0,
      commits: [],
    });
    const octokit = createTestOctokit();

    expect((await compareCommits(octokit, REPO, BASE, HEAD)).files).toStrictEqual([]);
    expect((await compareCommits(octokit, REPO, BASE, HEAD)).files).toStrictEqual([]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
