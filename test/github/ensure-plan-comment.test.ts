import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { annotatePlanComment } from '../../src/github/annotate-plan-comment.js';
import { ensurePlanComment, findPlanComments, MAX_COMMENT_LENGTH } from '../../src/github/ensure-plan-comment.js';
import {
  comment,
  nockDeleteIssueComment,
  nockGetIssueComments,
  nockPatchIssueComment,
  nockPostIssueComment,
} from './helpers/nock-github.js';
import { BOT_LOGIN, createTestOctokit, githubScope, REPO } from './helpers/test-octokit.js';

const PR = 7;
const bot = { login: BOT_LOGIN, type: 'Bot' as const };
const alice = { login: 'alice', type: 'User' as const };
const main = (body: string): string => `<!-- infra-review:plan -->\n${body}`;
const part = (n: number, body: string): string => `<!-- infra-review:plan:part-${n} -->\n${body}`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('ensurePlanComment', () => {
  it('creates the sticky comment, with its hidden marker, when the PR has none', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(1, 'LGTM', alice)]]);
    nockPostIssueComment(scope, PR, main('plan v1'), 100);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['plan v1'], { botLogin: BOT_LOGIN });

    expect(result.comments).toStrictEqual([
      { id: 100, url: 'https://github.com/acme/infra/pull/7#issuecomment-100', part: 1, action: 'created' },
    ]);
    expect(result.deletedIds).toStrictEqual([]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('updates our comment in place when the body changed', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(1, 'LGTM', alice), comment(100, main('plan v1'), bot)]]);
    nockPatchIssueComment(scope, 100, main('plan v2'));

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['plan v2'], { botLogin: BOT_LOGIN });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'updated']]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('sends nothing when the body is unchanged (no PATCH)', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(100, main('plan v1'), bot)]]);
    // Any PATCH/POST/DELETE would hit disableNetConnect and fail the call.

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['plan v1'], { botLogin: BOT_LOGIN });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'unchanged']]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('treats CRLF and LF bodies as equal', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(100, main('a\r\nb'), bot)]]);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['a\nb'], { botLogin: BOT_LOGIN });

    expect(result.comments[0]?.action).toBe('unchanged');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('grows to 3 parts: reuses the main comment and creates two continuations', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(100, main('one part'), bot)]]);
    nockPatchIssueComment(scope, 100, main('summary'));
    nockPostIssueComment(scope, PR, part(2, 'details a'), 101);
    nockPostIssueComment(scope, PR, part(3, 'details b'), 102);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['summary', 'details a', 'details b'], {
      botLogin: BOT_LOGIN,
    });

    expect(result.comments.map((c) => [c.id, c.part, c.action])).toStrictEqual([
      [100, 1, 'updated'],
      [101, 2, 'created'],
      [102, 3, 'created'],
    ]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('shrinks to 1 part: deletes the stale continuations', async () => {
    const scope = githubScope();
    // Two pages, so the continuations are only found by following the Link header.
    nockGetIssueComments(scope, PR, [
      [comment(100, main('summary'), bot), comment(101, part(2, 'details a'), bot)],
      [comment(102, part(3, 'details b'), bot)],
    ]);
    nockPatchIssueComment(scope, 100, main('small summary'));
    nockDeleteIssueComment(scope, 101);
    nockDeleteIssueComment(scope, 102);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['small summary'], { botLogin: BOT_LOGIN });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'updated']]);
    expect(result.deletedIds).toStrictEqual([101, 102]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('keeps unchanged continuations and deletes a duplicate of a part', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [
      [
        comment(100, main('summary'), bot),
        comment(101, part(2, 'details'), bot),
        comment(105, part(2, 'details from a racing delivery'), bot),
      ],
    ]);
    nockDeleteIssueComment(scope, 105);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['summary', 'details'], {
      botLogin: BOT_LOGIN,
    });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([
      [100, 'unchanged'],
      [101, 'unchanged'],
    ]);
    expect(result.deletedIds).toStrictEqual([105]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('ignores a user comment containing the marker, and a comment by another bot', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [
      [
        comment(1, main('hijacked plan: all good, merge me'), alice),
        comment(2, part(2, 'fake continuation'), alice),
        comment(3, main('from a workflow'), { login: 'github-actions[bot]', type: 'Bot' }),
        // A user account named like our bot is still not a Bot.
        comment(4, main('lookalike'), { login: BOT_LOGIN, type: 'User' }),
      ],
    ]);
    nockPostIssueComment(scope, PR, main('real plan'), 100);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['real plan'], { botLogin: BOT_LOGIN });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'created']]);
    expect(result.deletedIds).toStrictEqual([]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('recognises the marker only at the start of a body, not quoted inside plan text', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [
      [
        // One of our command answers quoting the marker: not the plan comment.
        comment(50, 'Unknown command. You wrote:\n> <!-- infra-review:plan -->', bot),
        comment(100, main('summary'), bot),
        // A continuation whose plan output contains the main marker string.
        comment(101, part(2, '```\n"<!-- infra-review:plan -->"\n```'), bot),
      ],
    ]);
    nockDeleteIssueComment(scope, 101);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['summary'], { botLogin: BOT_LOGIN });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'unchanged']]);
    expect(result.deletedIds).toStrictEqual([101]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('matches the bot login case-insensitively and honours a custom marker', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [
      [
        comment(100, main('default-marker comment'), bot),
        comment(200, '<!-- infra-review:drift -->\nold', { login: 'Infra-Review[bot]', type: 'Bot' }),
      ],
    ]);
    nockPatchIssueComment(scope, 200, '<!-- infra-review:drift -->\nnew');

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['new'], {
      botLogin: BOT_LOGIN,
      marker: 'infra-review:drift',
    });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[200, 'updated']]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('refuses an empty body list and a body over the comment limit, before any request', async () => {
    const scope = githubScope();
    const octokit = createTestOctokit();
    await expect(ensurePlanComment(octokit, REPO, PR, [], { botLogin: BOT_LOGIN })).rejects.toThrow(RangeError);
    await expect(
      ensurePlanComment(octokit, REPO, PR, ['x'.repeat(MAX_COMMENT_LENGTH)], { botLogin: BOT_LOGIN }),
    ).rejects.toThrow(/over GitHub's 65536/);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('one listing of the plan comments for a whole job', () => {
  const status = (text: string) => `<!-- infra-review:status -->\n${text}\n<!-- /infra-review:status -->\n`;

  it('annotates and then publishes from one listing: list, PATCH, PATCH', async () => {
    const scope = githubScope();
    nockGetIssueComments(scope, PR, [[comment(100, main('old plan'), bot), comment(101, part(2, 'old details'), bot)]]);
    nockPatchIssueComment(scope, 100, `<!-- infra-review:plan -->\n${status('Planning…')}old plan`);
    nockPatchIssueComment(scope, 100, main('new plan'));
    nockDeleteIssueComment(scope, 101);
    const octokit = createTestOctokit();

    const comments = await findPlanComments(octokit, REPO, PR, { botLogin: BOT_LOGIN });
    expect(await annotatePlanComment(octokit, REPO, PR, 'status', 'Planning…', { botLogin: BOT_LOGIN, comments })).toBe('updated');
    // The listing follows the annotation, so the publish compares against what the comment now says.
    expect(comments.get(1)?.[0]?.body).toContain('Planning…');
    const result = await ensurePlanComment(octokit, REPO, PR, ['new plan'], { botLogin: BOT_LOGIN, existing: comments });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[100, 'updated']]);
    expect(result.deletedIds).toStrictEqual([101]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('starts over from a fresh listing when a comment of the earlier listing is gone', async () => {
    const scope = githubScope();
    // Someone deleted comment 100 after the job listed it.
    scope.patch('/repos/acme/infra/issues/comments/100').reply(404, { message: 'Not Found' });
    nockGetIssueComments(scope, PR, [[comment(1, 'LGTM', alice)]]);
    nockPostIssueComment(scope, PR, main('new plan'), 300);
    const stale = new Map([[1, [{ id: 100, body: main('old plan'), html_url: 'https://github.com/acme/infra/pull/7#issuecomment-100' }]]]);

    const result = await ensurePlanComment(createTestOctokit(), REPO, PR, ['new plan'], { botLogin: BOT_LOGIN, existing: stale });

    expect(result.comments.map((c) => [c.id, c.action])).toStrictEqual([[300, 'created']]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
