import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addReaction } from '../../src/github/add-reaction.js';
import { postComment } from '../../src/github/post-comment.js';
import { nockPostIssueComment } from './helpers/nock-github.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('postComment', () => {
  it('posts a new comment every time (command answers are not sticky)', async () => {
    const scope = githubScope();
    nockPostIssueComment(scope, 7, 'Apply queued for envs/prod', 301);
    nockPostIssueComment(scope, 7, 'Apply queued for envs/prod', 302);
    const octokit = createTestOctokit();

    expect(await postComment(octokit, REPO, 7, 'Apply queued for envs/prod')).toStrictEqual({
      id: 301,
      url: 'https://github.com/acme/infra/pull/7#issuecomment-301',
    });
    expect((await postComment(octokit, REPO, 7, 'Apply queued for envs/prod')).id).toBe(302);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('addReaction', () => {
  it('reacts to an issue comment', async () => {
    const scope = githubScope();
    scope
      .post(repoPath('/issues/comments/555/reactions'), { content: 'rocket' })
      .reply(201, { id: 9, content: 'rocket' });

    expect(await addReaction(createTestOctokit(), REPO, 555, 'rocket')).toStrictEqual({ id: 9 });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('accepts GitHub 200 for a reaction that already exists', async () => {
    const scope = githubScope();
    scope.post(repoPath('/issues/comments/555/reactions'), { content: 'eyes' }).reply(200, { id: 9, content: 'eyes' });

    expect(await addReaction(createTestOctokit(), REPO, 555, 'eyes')).toStrictEqual({ id: 9 });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
