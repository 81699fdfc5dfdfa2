import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTeamResolver } from '../../src/github/resolve-team-members.js';
import { nockGetPages } from './helpers/nock-github.js';
import { captureLog, createTestOctokit, githubScope } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function nockGetTeamMembers(scope: nock.Scope, org: string, slug: string, pages: string[][]): nock.Scope {
  return nockGetPages(
    scope,
    `/orgs/${org}/teams/${slug}/members`,
    { per_page: '100' },
    pages.map((page) => page.map((login) => ({ login, type: 'User' }))),
  );
}

describe('createTeamResolver', () => {
  it('lists members across pages and caches per resolver, case-insensitively', async () => {
    const scope = githubScope();
    // Mocked once: a second request for the same team would find no mock and fail.
    nockGetTeamMembers(scope, 'acme', 'sre', [['alice', 'bob'], ['carol']]);

    const resolve = createTeamResolver(createTestOctokit());

    expect(await resolve('acme', 'sre')).toStrictEqual(['alice', 'bob', 'carol']);
    expect(await resolve('ACME', 'SRE')).toStrictEqual(['alice', 'bob', 'carol']);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('asks again with a new resolver (a new delivery)', async () => {
    const scope = githubScope();
    nockGetTeamMembers(scope, 'acme', 'sre', [['alice']]);
    nockGetTeamMembers(scope, 'acme', 'sre', [['alice', 'dave']]);
    const octokit = createTestOctokit();

    expect(await createTeamResolver(octokit)('acme', 'sre')).toStrictEqual(['alice']);
    expect(await createTeamResolver(octokit)('acme', 'sre')).toStrictEqual(['alice', 'dave']);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('resolves a 404 (no such team, or not visible) to no members and logs it', async () => {
    const scope = githubScope();
    scope.get('/orgs/acme/teams/ghosts/members').query({ per_page: '100' }).reply(404, { message: 'Not Found' });
    const { log, warnings } = captureLog();

    const members = await createTeamResolver(createTestOctokit(), log)('acme', 'Ghosts');

    expect(members).toStrictEqual([]);
    expect(warnings).toStrictEqual([
      'team @acme/ghosts not found or not visible to the app (404): treated as having no members',
    ]);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('propagates other errors and does not cache them', async () => {
    const scope = githubScope();
    scope.get('/orgs/acme/teams/sre/members').query({ per_page: '100' }).reply(500, { message: 'boom' });
    nockGetTeamMembers(scope, 'acme', 'sre', [['alice']]);
    const resolve = createTeamResolver(createTestOctokit());

    await expect(resolve('acme', 'sre')).rejects.toMatchObject({ status: 500 });
    expect(await resolve('acme', 'sre')).toStrictEqual(['alice']);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
