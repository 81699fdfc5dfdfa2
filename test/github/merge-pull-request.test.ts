import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mergePullRequest } from '../../src/github/merge-pull-request.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const SHA = 'd'.repeat(40);

function nockPutMerge(scope: nock.Scope, pr: number, body: nock.RequestBodyMatcher, status: number, reply: nock.Body) {
  return scope.put(repoPath(`/pulls/${pr}/merge`), body).reply(status, reply);
}

describe('mergePullRequest', () => {
  it('merges with the expected head sha and the chosen method', async () => {
    const scope = githubScope();
    nockPutMerge(scope, 7, { sha: SHA, merge_method: 'squash', commit_title: 'Apply envs/prod (#7)' }, 200, {
      merged: true,
      sha: 'e'.repeat(40),
      message: 'Pull Request successfully merged',
    });

    const result = await mergePullRequest(createTestOctokit(), REPO, 7, {
      sha: SHA,
      method: 'squash',
      commitTitle: 'Apply envs/prod (#7)',
    });

    expect(result).toStrictEqual({ merged: true, sha: 'e'.repeat(40) });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('reports head-changed when the head moved since the sha (409)', async () => {
    const scope = githubScope();
    nockPutMerge(scope, 7, { sha: SHA, merge_method: 'merge' }, 409, {
      message: 'Head branch was modified. Review and try the merge again.',
    });

    const result = await mergePullRequest(createTestOctokit(), REPO, 7, { sha: SHA, method: 'merge' });

    expect(result).toMatchObject({ merged: false, reason: 'head-changed' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('reports not-mergeable on 405', async () => {
    const scope = githubScope();
    nockPutMerge(scope, 7, { sha: SHA, merge_method: 'rebase' }, 405, { message: 'Pull Request is not mergeable' });

    const result = await mergePullRequest(createTestOctokit(), REPO, 7, { sha: SHA, method: 'rebase' });

    expect(result).toMatchObject({ merged: false, reason: 'not-mergeable' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('propagates other errors', async () => {
    const scope = githubScope();
    nockPutMerge(scope, 7, { sha: SHA, merge_method: 'merge' }, 403, { message: 'Resource not accessible by integration' });

    await expect(mergePullRequest(createTestOctokit(), REPO, 7, { sha: SHA, method: 'merge' })).rejects.toMatchObject({
      status: 403,
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
