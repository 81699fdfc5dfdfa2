import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getAppIdentity } from '../../src/github/get-app-identity.js';
import { botLogin } from '../../src/github/repo-ref.js';
import { createTestOctokit, githubScope } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('getAppIdentity', () => {
  it('reads id and slug from GET /app, and botLogin derives the comment author', async () => {
    const scope = githubScope();
    scope.get('/app').reply(200, { id: 4242, slug: 'infra-review', name: 'infra-review', owner: { login: 'acme' } });

    const identity = await getAppIdentity(createTestOctokit());

    expect(identity).toStrictEqual({ id: 4242, slug: 'infra-review' });
    expect(botLogin(identity)).toBe('infra-review[bot]');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
