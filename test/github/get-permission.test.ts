import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getCollaboratorPermission,
  PERMISSION_LEVELS,
  permissionAtLeast,
} from '../../src/github/get-permission.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const flags = (set: Partial<Record<'admin' | 'maintain' | 'push' | 'triage' | 'pull', boolean>>) => ({
  admin: false,
  maintain: false,
  push: false,
  triage: false,
  pull: false,
  ...set,
});

function nockGetPermission(scope: nock.Scope, login: string, status: number, body: nock.Body): nock.Scope {
  return scope.get(repoPath(`/collaborators/${login}/permission`)).reply(status, body);
}

describe('getCollaboratorPermission', () => {
  it.each([
    // The legacy `permission` folds maintain into write and triage into read: the flags tell them apart.
    ['admin', 'admin', flags({ admin: true, maintain: true, push: true, triage: true, pull: true })],
    ['maintain', 'write', flags({ maintain: true, push: true, triage: true, pull: true })],
    ['write', 'write', flags({ push: true, triage: true, pull: true })],
    ['triage', 'read', flags({ triage: true, pull: true })],
    ['read', 'read', flags({ pull: true })],
    ['none', 'none', flags({})],
  ] as const)('maps user.permissions to %s', async (expected, legacy, permissions) => {
    const scope = githubScope();
    nockGetPermission(scope, 'alice', 200, { permission: legacy, role_name: expected, user: { login: 'alice', permissions } });

    expect(await getCollaboratorPermission(createTestOctokit(), REPO, 'alice')).toBe(expected);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('falls back to the top-level permission when user.permissions is absent', async () => {
    const scope = githubScope();
    nockGetPermission(scope, 'bob', 200, { permission: 'write', user: { login: 'bob' } });

    expect(await getCollaboratorPermission(createTestOctokit(), REPO, 'bob')).toBe('write');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('treats an unknown top-level value as none (fail closed)', async () => {
    const scope = githubScope();
    nockGetPermission(scope, 'bob', 200, { permission: 'superuser', user: null });

    expect(await getCollaboratorPermission(createTestOctokit(), REPO, 'bob')).toBe('none');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('maps a 404 to none', async () => {
    const scope = githubScope();
    nockGetPermission(scope, 'ghost', 404, { message: 'Not Found' });

    expect(await getCollaboratorPermission(createTestOctokit(), REPO, 'ghost')).toBe('none');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('propagates other errors', async () => {
    const scope = githubScope();
    nockGetPermission(scope, 'alice', 403, { message: 'Resource not accessible by integration' });

    await expect(getCollaboratorPermission(createTestOctokit(), REPO, 'alice')).rejects.toMatchObject({ status: 403 });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('permissionAtLeast', () => {
  it('orders none < read < triage < write < maintain < admin', () => {
    for (const [i, actual] of PERMISSION_LEVELS.entries()) {
      for (const [j, required] of PERMISSION_LEVELS.entries()) {
        expect(permissionAtLeast(actual, required)).toBe(i >= j);
      }
    }
    expect(permissionAtLeast('maintain', 'write')).toBe(true);
    expect(permissionAtLeast('triage', 'write')).toBe(false);
  });
});
