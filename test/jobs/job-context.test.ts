import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../src/github/repo-ref.js';
import { createJobContext, type JobServices } from '../../src/jobs/job-context.js';
import { generateAppKey } from '../e2e/harness/start-app.js';

/**
 * The installation token for git, on a GitHub Enterprise host (Probot's baseUrl). Octokit's own
 * `auth({ type: 'installation' })` fetches an uncached token from api.github.com whatever the baseUrl
 * (octokit/auth-app.js#640); only a request through the client fetches it from the configured host.
 */
describe('JobContext.installationToken on a GitHub Enterprise host', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A GHE API at http://127.0.0.1:PORT/api/v3 that issues installation tokens and records what it was asked. */
  async function enterpriseApi(answer: (req: IncomingMessage, res: ServerResponse) => void = () => undefined) {
    const requests: string[] = [];
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && /\/app\/installations\/\d+\/access_tokens$/.test(req.url ?? '')) {
        res.statusCode = 201;
        res.end(JSON.stringify({ token: `ghs_${requests.length}`, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {}, repository_selection: 'all' }));
        return;
      }
      answer(req, res);
      if (!res.writableEnded) res.end(JSON.stringify({ resources: {}, rate: {} }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/v3`;
    const probot = new Probot({
      appId: 7,
      privateKey: generateAppKey().privateKey,
      baseUrl,
      logLevel: 'fatal',
      // No retries with backoff: a refused connection fails at once.
      Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    });
    const services = {
      octokitFor: async (installationId: number) => (await probot.auth(installationId)) as unknown as GitHubClient,
      appIdentity: async () => ({ id: 7, slug: 'infra-review' }),
      log: pino({ level: 'silent' }),
    } as unknown as JobServices;
    return { requests, services };
  }

  it('fetches the token from the configured host when the job has made no REST request yet (one extra request, which costs no rate limit)', async () => {
    const { requests, services } = await enterpriseApi();
    const ctx = await createJobContext(services, 4101, {});
    expect(await ctx.installationToken()).toMatch(/^ghs_/);
    expect(requests).toEqual(['POST /api/v3/app/installations/4101/access_tokens', 'GET /api/v3/rate_limit']);
  });

  it('adds no request once the job has made one (its token is cached), even one that failed', async () => {
    const { requests, services } = await enterpriseApi((req, res) => {
      if (req.url?.includes('/pulls/404')) res.statusCode = 404;
    });
    const ctx = await createJobContext(services, 4102, {});
    await expect(ctx.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner: 'acme', repo: 'infra', pull_number: 404 })).rejects.toMatchObject({ status: 404 });
    expect(await ctx.installationToken()).toMatch(/^ghs_/);
    expect(requests).toEqual(['POST /api/v3/app/installations/4102/access_tokens', 'GET /api/v3/repos/acme/infra/pulls/404']);
  });

  it('fails with the host it could not reach, never falling back to api.github.com, when the Enterprise host is down', async () => {
    const { services } = await enterpriseApi();
    const port = (server!.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const ctx = await createJobContext(services, 4104, {});
    const failure = await ctx.installationToken().then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: { cause?: { code?: string; port?: number } } },
    );
    expect(failure?.cause?.cause).toMatchObject({ code: 'ECONNREFUSED', port });
  });

  it('still returns the token when GitHub Enterprise answers 404 for /rate_limit (rate limiting disabled)', async () => {
    const { requests, services } = await enterpriseApi((req, res) => {
      if (req.url?.endsWith('/rate_limit')) res.statusCode = 404;
    });
    const ctx = await createJobContext(services, 4103, {});
    expect(await ctx.installationToken()).toMatch(/^ghs_/);
    expect(requests).toEqual(['POST /api/v3/app/installations/4103/access_tokens', 'GET /api/v3/rate_limit']);
  });
});
