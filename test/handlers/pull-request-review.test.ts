import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Runtime } from '../../src/runtime/start-runtime.js';

/** A review event re-evaluates INFRAOWNERS (read from the base branch over git) and writes infra-review/approval. */

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');
const API = 'https://api.github.com';
const REPO = '/repos/Codertocat/Hello-World';
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

interface ReviewPayload {
  review: { id: number; user: { login: string }; state: string; commit_id: string };
  pull_request: { number: number; head: { sha: string }; base: { ref: string } };
  repository: { clone_url: string };
}

async function reviewPayload(reviewer: string, cloneUrl: string): Promise<ReviewPayload> {
  const payload = JSON.parse(await readFile(path.join(FIXTURES, 'pull_request_review.submitted.json'), 'utf8')) as ReviewPayload;
  payload.review.user.login = reviewer;
  payload.review.state = 'approved';
  payload.repository.clone_url = cloneUrl;
  return payload;
}

/** A local repository whose `master` (the fixture PR's base) holds `files`: the job fetches it over git. */
async function baseRepository(dir: string, files: Record<string, string>): Promise<string> {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
  git('init', '--quiet', '--initial-branch=master', '.');
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  git('add', '.');
  git('commit', '--quiet', '-m', 'base');
  return dir;
}

function nockGetAccessToken() {
  return nock(API).post('/app/installations/12345678/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
}

function nockGetApp() {
  return nock(API).get('/app').reply(200, { id: 1, slug: 'infra-review', name: 'infra-review' });
}

describe('pull_request_review -> infra-review/approval', () => {
  let dataDir: string;
  let probot: Probot;
  let runtime: Runtime;
  const cleanup: string[] = [];

  beforeEach(async () => {
    nock.disableNetConnect();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-review-'));
    probot = new Probot({
      appId: 1,
      privateKey,
      Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
      logLevel: 'fatal',
    });
    await probot.load(
      createApp({
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
        metrics: createMetrics({ defaultMetrics: false }),
        onRuntime: (created) => (runtime = created),
      }),
    );
    await runtime.whenReady();
  });

  afterEach(async () => {
    await runtime.stop();
    nock.cleanAll();
    nock.enableNetConnect();
    await rm(dataDir, { recursive: true, force: true });
    for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function evaluate(reviewer: string, reviewState: string, teamMembers: string[]): Promise<{ conclusion: string; title: string; summary: string }> {
    // The base has no config (defaults) and this INFRAOWNERS; the contents API is never asked (nock would refuse it).
    const repoDir = await mkdtemp(path.join(os.tmpdir(), 'ir-review-base-'));
    cleanup.push(repoDir);
    const payload = await reviewPayload(reviewer, await baseRepository(repoDir, { '.github/INFRAOWNERS': '/envs/prod/   @Codertocat/SRE\n', 'README.md': 'base\n' }));
    const head = payload.pull_request.head.sha;
    let posted: { conclusion: string; output: { title: string; summary: string } } | undefined;
    const scope = nock(API)
      .get(`${REPO}/pulls/2/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: 'envs/prod/main.tf', status: 'modified', additions: 1, deletions: 1, changes: 2 }])
      .get(`${REPO}/pulls/2/reviews`)
      .query({ per_page: 100 })
      .reply(200, [{ id: 7, user: { login: reviewer }, state: reviewState, commit_id: head, submitted_at: '2026-11-29T00:00:00Z' }])
      .get('/orgs/Codertocat/teams/sre/members')
      .query({ per_page: 100 })
      .reply(200, teamMembers.map((login, id) => ({ login, id })))
      .get(`${REPO}/commits/${head}/check-runs`)
      .query(true)
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`${REPO}/check-runs`, (body: { name: string; head_sha: string }) => body.name === 'infra-review/approval' && body.head_sha === head)
      .reply(201, (_uri: string, body: unknown) => {
        posted = body as typeof posted;
        return { id: 99, html_url: 'https://github.com/checks/99' };
      });
    // An owner's approval counts only with write access: asked for an approving owner only.
    if (teamMembers.includes(reviewer)) {
      scope.get(`${REPO}/collaborators/${reviewer}/permission`).reply(200, { permission: 'write', role_name: 'write', user: { login: reviewer, permissions: { admin: false, maintain: false, push: true, triage: true, pull: true } } });
    }
    const auth = [nockGetAccessToken(), nockGetApp()];

    await probot.receive({ id: 'review-1', name: 'pull_request_review', payload } as Parameters<Probot['receive']>[0]);
    const deadline = Date.now() + 20_000;
    while (!posted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    expect(scope.pendingMocks()).toStrictEqual([]);
    expect(auth.flatMap((s) => s.pendingMocks())).toStrictEqual([]);
    if (!posted) throw new Error('no check run was posted');
    return { conclusion: posted.conclusion, title: posted.output.title, summary: posted.output.summary };
  }

  it('succeeds when a member of the owning team approves the current head', async () => {
    const check = await evaluate('bob', 'APPROVED', ['bob', 'carol']);
    expect(check.conclusion).toBe('success');
    expect(check.title).toBe('Approved');
    expect(check.summary).toContain('/envs/prod/');
  });

  it('waits (action_required) when the approver is not an owner, and says who is still needed', async () => {
    const check = await evaluate('mallory', 'APPROVED', ['bob']);
    expect(check.conclusion).toBe('action_required');
    expect(check.summary).toContain('@Codertocat/SRE');
  });
});
