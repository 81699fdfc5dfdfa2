import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findOpenPullRequestsForHead, MAX_OPEN_PULLS_SCANNED } from '../../src/github/find-pull-requests-for-head.js';
import { nockGetPages } from './helpers/nock-github.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const HEAD = 'a'.repeat(40);
const QUERY = { state: 'open', sort: 'updated', direction: 'desc', per_page: '100' };

/** A listed PR ("pull-request-simple": no `merged` flag). */
function pull(number: number, headSha: string, fields: { fork?: boolean; draft?: boolean; author?: string } = {}) {
  return {
    number,
    state: 'open',
    merged_at: null,
    draft: fields.draft ?? false,
    user: { login: fields.author ?? 'alice' },
    head: { sha: headSha, ref: `branch-${number}`, repo: { full_name: fields.fork ? `${fields.author ?? 'alice'}/infra` : 'acme/infra' } },
    base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: 'acme/infra' } },
  };
}

describe('findOpenPullRequestsForHead', () => {
  it('finds the open PRs whose head is the commit across pages, fork PRs included', async () => {
    const scope = githubScope();
    nockGetPages(scope, repoPath('/pulls'), QUERY, [
      [pull(9, 'c'.repeat(40)), pull(8, HEAD, { fork: true, author: 'mallory', draft: true })],
      [pull(3, HEAD)],
    ]);

    const result = await findOpenPullRequestsForHead(createTestOctokit(), REPO, HEAD);

    expect(result).toStrictEqual({
      truncated: false,
      pulls: [
        { number: 8, state: 'open', merged: false, headSha: HEAD, baseRef: 'main', baseSha: 'b'.repeat(40), author: 'mallory', fromFork: true, draft: true },
        { number: 3, state: 'open', merged: false, headSha: HEAD, baseRef: 'main', baseSha: 'b'.repeat(40), author: 'alice', fromFork: false, draft: false },
      ],
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it(`stops after ${MAX_OPEN_PULLS_SCANNED} open PRs and says the search was cut short`, async () => {
    const scope = githubScope();
    const pages = Array.from({ length: MAX_OPEN_PULLS_SCANNED / 100 + 1 }, (_, page) => Array.from({ length: 100 }, (_, i) => pull(5000 - page * 100 - i, 'c'.repeat(40))));
    nockGetPages(scope, repoPath('/pulls'), QUERY, pages);

    const result = await findOpenPullRequestsForHead(createTestOctokit(), REPO, HEAD);

    expect(result).toStrictEqual({ pulls: [], truncated: true });
    // The 11th page was never asked for.
    expect(scope.pendingMocks()).toHaveLength(1);
  });
});
