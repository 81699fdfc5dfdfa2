import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, setDeploymentStatus } from '../../src/github/create-deployment.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const SHA = 'c'.repeat(40);

function nockPostDeployment(scope: nock.Scope, body: nock.RequestBodyMatcher, status: number, reply: nock.Body) {
  return scope.post(repoPath('/deployments'), body).reply(status, reply);
}

function nockPostDeploymentStatus(scope: nock.Scope, id: number, body: nock.DataMatcherMap) {
  return scope.post(repoPath(`/deployments/${id}/statuses`), body).reply(201, { id: 77, state: body.state });
}

describe('createDeployment', () => {
  it('creates a deployment of the exact SHA with no required contexts and no auto-merge', async () => {
    const scope = githubScope();
    nockPostDeployment(
      scope,
      {
        ref: SHA,
        environment: 'prod',
        description: 'infra-review apply of envs/prod (PR #7)',
        payload: { pr: 7, project: 'envs/prod' },
        auto_merge: false,
        required_contexts: [],
        transient_environment: false,
      },
      201,
      { id: 31, url: 'https://api.github.com/repos/acme/infra/deployments/31' },
    );

    const result = await createDeployment(createTestOctokit(), REPO, {
      ref: SHA,
      environment: 'prod',
      description: 'infra-review apply of envs/prod (PR #7)',
      payload: { pr: 7, project: 'envs/prod' },
      transientEnvironment: false,
    });

    expect(result).toStrictEqual({ id: 31, url: 'https://api.github.com/repos/acme/infra/deployments/31' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('throws when GitHub answers 202 without a deployment', async () => {
    const scope = githubScope();
    nockPostDeployment(scope, () => true, 202, { message: 'Auto-merged main into topic branch.' });

    await expect(
      createDeployment(createTestOctokit(), REPO, { ref: SHA, environment: 'prod', description: 'd', payload: {} }),
    ).rejects.toThrow('GitHub did not create the deployment: Auto-merged main into topic branch.');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('setDeploymentStatus', () => {
  it('sends state, urls and a description cut to 140 characters', async () => {
    const scope = githubScope();
    const long = `Applied ${'x'.repeat(200)}`;
    nockPostDeploymentStatus(scope, 31, {
      state: 'success',
      description: `${long.slice(0, 139)}…`,
      log_url: 'https://infra-review.example/runs/9',
      environment_url: 'https://console.example/prod',
    });

    const result = await setDeploymentStatus(createTestOctokit(), REPO, 31, {
      state: 'success',
      description: long,
      logUrl: 'https://infra-review.example/runs/9',
      environmentUrl: 'https://console.example/prod',
    });

    expect(result).toStrictEqual({ id: 77 });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('leaves a short description alone and omits absent urls', async () => {
    const scope = githubScope();
    nockPostDeploymentStatus(scope, 31, { state: 'in_progress', description: 'Applying' });

    await setDeploymentStatus(createTestOctokit(), REPO, 31, { state: 'in_progress', description: 'Applying' });

    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
