import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentOctokit } from '../../src/observability/instrument-octokit.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Metrics } from '../../src/observability/metrics.js';

const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } }));

function client() {
  return new TestOctokit({ auth: 'test-token' });
}

async function value(metrics: Metrics, name: 'githubRequests' | 'githubRateLimitRemaining', labels: Record<string, string>): Promise<number | undefined> {
  const data = await metrics[name].get();
  return data.values.find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))?.value;
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

describe('instrumentOctokit', () => {
  it('counts requests by method and status and keeps the remaining rate limit per resource', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const octokit = instrumentOctokit(client(), metrics);
    const scope = nock('https://api.github.com')
      .get('/repos/acme/infra')
      .reply(200, { id: 1 }, { 'x-ratelimit-remaining': '4999', 'x-ratelimit-resource': 'core' })
      .get('/repos/acme/infra')
      .reply(200, { id: 1 }, { 'x-ratelimit-remaining': '4998' })
      .post('/repos/acme/infra/issues/1/comments')
      .reply(201, { id: 2 }, { 'x-ratelimit-remaining': '4997', 'x-ratelimit-resource': 'core' })
      .post('/graphql')
      .reply(200, { data: {} }, { 'x-ratelimit-remaining': '120', 'x-ratelimit-resource': 'graphql' });

    await octokit.rest.repos.get({ owner: 'acme', repo: 'infra' });
    await octokit.rest.repos.get({ owner: 'acme', repo: 'infra' });
    await octokit.rest.issues.createComment({ owner: 'acme', repo: 'infra', issue_number: 1, body: 'hi' });
    await octokit.graphql('{ viewer { login } }');

    expect(scope.pendingMocks()).toStrictEqual([]);
    expect(await value(metrics, 'githubRequests', { method: 'GET', status: '200' })).toBe(2);
    expect(await value(metrics, 'githubRequests', { method: 'POST', status: '201' })).toBe(1);
    expect(await value(metrics, 'githubRequests', { method: 'POST', status: '200' })).toBe(1);
    expect(await value(metrics, 'githubRateLimitRemaining', { resource: 'core' })).toBe(4997);
    expect(await value(metrics, 'githubRateLimitRemaining', { resource: 'graphql' })).toBe(120);
  });

  it('counts failed requests with their status and still rejects with the original error', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const octokit = instrumentOctokit(client(), metrics);
    nock('https://api.github.com')
      .get('/repos/acme/missing')
      .reply(404, { message: 'Not Found' }, { 'x-ratelimit-remaining': '4000' })
      .get('/repos/acme/limited')
      .reply(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-resource': 'core' })
      .get('/repos/acme/down')
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });

    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'missing' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'limited' })).rejects.toMatchObject({ status: 403 });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'down' })).rejects.toThrow();

    expect(await value(metrics, 'githubRequests', { method: 'GET', status: '404' })).toBe(1);
    expect(await value(metrics, 'githubRequests', { method: 'GET', status: '403' })).toBe(1);
    expect(await value(metrics, 'githubRequests', { method: 'GET', status: 'network_error' })).toBe(1);
    expect(await value(metrics, 'githubRateLimitRemaining', { resource: 'core' })).toBe(0);
  });

  it('hooks a client once however often it is passed', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const octokit = client();
    instrumentOctokit(octokit, metrics);
    instrumentOctokit(octokit, metrics);
    nock('https://api.github.com').get('/repos/acme/infra').reply(200, {});

    await octokit.rest.repos.get({ owner: 'acme', repo: 'infra' });

    expect(await value(metrics, 'githubRequests', { method: 'GET', status: '200' })).toBe(1);
    // No rate-limit header, no gauge value.
    expect((await metrics.githubRateLimitRemaining.get()).values).toEqual([]);
  });
});
