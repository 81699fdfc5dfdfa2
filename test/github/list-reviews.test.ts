import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listReviews } from '../../src/github/list-reviews.js';
import { nockGetPages } from './helpers/nock-github.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function review(id: number, login: string | null, state: string, commit_id: string, submitted_at?: string) {
  return {
    id,
    user: login === null ? null : { login, type: 'User' },
    state,
    commit_id,
    submitted_at,
    body: 'reviews can carry text we never log',
  };
}

function nockGetReviews(scope: nock.Scope, pr: number, pages: unknown[][]): nock.Scope {
  return nockGetPages(scope, repoPath(`/pulls/${pr}/reviews`), { per_page: '100' }, pages);
}

describe('listReviews', () => {
  it('returns every review across pages, mapped to the fields policy needs', async () => {
    const scope = githubScope();
    nockGetReviews(scope, 7, [
      [review(1, 'alice', 'CHANGES_REQUESTED', 'aaa', '2026-11-01T10:00:00Z')],
      [review(2, 'alice', 'APPROVED', 'bbb', '2026-11-02T10:00:00Z')],
      [review(3, null, 'APPROVED', 'bbb', '2026-11-02T11:00:00Z'), review(4, 'bob', 'PENDING', 'bbb')],
    ]);

    const reviews = await listReviews(createTestOctokit(), REPO, 7);

    expect(reviews).toStrictEqual([
      { id: 1, login: 'alice', state: 'CHANGES_REQUESTED', commitId: 'aaa', submittedAt: '2026-11-01T10:00:00Z' },
      { id: 2, login: 'alice', state: 'APPROVED', commitId: 'bbb', submittedAt: '2026-11-02T10:00:00Z' },
      { id: 3, login: null, state: 'APPROVED', commitId: 'bbb', submittedAt: '2026-11-02T11:00:00Z' },
      { id: 4, login: 'bob', state: 'PENDING', commitId: 'bbb', submittedAt: null },
    ]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
