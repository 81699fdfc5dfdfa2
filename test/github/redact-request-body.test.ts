import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_PLAN, ensureCheckRun } from '../../src/github/ensure-check-run.js';
import { ensurePlanComment } from '../../src/github/ensure-plan-comment.js';
import { postComment } from '../../src/github/post-comment.js';
import { REDACTED_BODY } from '../../src/github/redact-request-body.js';
import { nockGetCheckRuns, nockGetIssueComments } from './helpers/nock-github.js';
import { APP, BOT_LOGIN, createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const SECRETISH = 'db_password = "hunter2"';

/** What Probot's logger would serialise: every enumerable field of the error. */
function serialised(error: unknown): string {
  return JSON.stringify(error, Object.getOwnPropertyNames(error as object).concat(['request', 'response']));
}

describe('errors from body-carrying calls', () => {
  it('postComment: the rejected error keeps status and url but not the body', async () => {
    const scope = githubScope();
    scope.post(repoPath('/issues/7/comments')).reply(422, { message: 'Validation Failed' });

    const error = await postComment(createTestOctokit(), REPO, 7, SECRETISH).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 422, request: { body: REDACTED_BODY } });
    expect((error as { request: { url: string } }).request.url).toBe(
      'https://api.github.com/repos/acme/infra/issues/7/comments',
    );
    expect(serialised(error)).not.toContain('hunter2');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('ensurePlanComment: a failed create does not carry the plan text', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, 7, [[]]);
    scope.post(repoPath('/issues/7/comments')).reply(403, { message: 'Resource not accessible by integration' });

    const error = await ensurePlanComment(createTestOctokit(), REPO, 7, [SECRETISH], { botLogin: BOT_LOGIN }).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ status: 403 });
    expect(serialised(error)).not.toContain('hunter2');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('ensureCheckRun: a failed create does not carry the summary', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, 'a'.repeat(40), { check_name: CHECK_PLAN, app_id: String(APP.id) }, []);
    scope.post(repoPath('/check-runs')).reply(422, { message: 'Invalid request' });

    const error = await ensureCheckRun(createTestOctokit(), REPO, {
      name: CHECK_PLAN,
      headSha: 'a'.repeat(40),
      appId: APP.id,
      status: 'completed',
      conclusion: 'failure',
      title: 'Plan failed',
      summary: SECRETISH,
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 422 });
    expect(serialised(error)).not.toContain('hunter2');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
