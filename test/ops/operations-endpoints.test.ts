import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubDouble } from '../e2e/harness/github-double.js';
import { deliver } from '../e2e/harness/sign-webhook.js';
import { REPO_ROOT, RunningApp, generateAppKey, isAppBuilt } from '../e2e/harness/start-app.js';
import { openStore } from '../../src/store/open-store.js';

const SECRET = 'ops-webhook-secret';
const APP_ID = 4343;
const STANDIN = path.join(REPO_ROOT, 'test', 'iac-standin', 'bin', 'terraform');

async function get(app: RunningApp, route: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${app.url}${route}`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** Polls `route` until `done` holds for the answer; the last answer when it never does. */
async function waitFor(app: RunningApp, route: string, done: (answer: { status: number; body: string }) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let answer = await get(app, route);
  while (!done(answer) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await get(app, route);
  }
  return answer;
}

/** The value of one sample line `name{labels} value` of a Prometheus text exposition, if present. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(!isAppBuilt())('operations endpoints of the built app', () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let app: RunningApp;

  beforeAll(async () => {
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    app = await RunningApp.start({ gheHost: double.host, appId: APP_ID, privateKey: key.privateKey, webhookSecret: SECRET, env: { IAC_BINARY: STANDIN } });
  });

  afterAll(async () => {
    await app?.dispose();
    await double?.stop();
  });

  it('/healthz answers and /readyz turns 200 once the store and workers are up', async () => {
    expect(await get(app, '/healthz')).toEqual({ status: 200, body: JSON.stringify({ status: 'ok' }) });
    const ready = await waitFor(app, '/readyz', (a) => a.status === 200);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      checks: [
        { name: 'store', ok: true },
        { name: 'workers', ok: true },
      ],
    });
  });

  it('/metrics counts a pull_request delivery, the plan job it queued, and the GitHub requests it made', async () => {
    await waitFor(app, '/readyz', (a) => a.status === 200);
    await double.createRepo('acme', 'infra', { 'main.tf': 'resource "null_resource" "a" {}\n' });
    await double.pushCommit('acme', 'infra', 'feature', { 'main.tf': 'resource "null_resource" "a" {}\nresource "null_resource" "b" {}\n' }, 'Add b');
    const payload = await double.openPullRequest({ owner: 'acme', repo: 'infra', head: 'feature', author: 'alice', title: 'Add b' });

    const before = await get(app, '/metrics');
    expect(sample(before.body, 'infra_review_webhook_deliveries_total{event="pull_request",outcome="queued"}')).toBeUndefined();

    const delivery = await deliver(app.url, { name: 'pull_request', payload, secret: SECRET });
    expect(delivery.status).toBe(200);

    // The job runs after the delivery was answered: wait until it is counted as finished.
    const after = await waitFor(app, '/metrics', (a) => /^infra_review_job_duration_seconds_count\{kind="plan",outcome="\w+"\} 1$/m.test(a.body));
    expect(after.status).toBe(200);
    const text = after.body;
    expect(sample(text, 'infra_review_webhook_deliveries_total{event="pull_request",outcome="queued"}')).toBe(1);
    // The handler's own time for it: one observation, inside the 10 s GitHub gives a delivery.
    expect(sample(text, 'infra_review_webhook_handling_seconds_count{event="pull_request"}')).toBe(1);
    expect(sample(text, 'infra_review_webhook_handling_seconds_bucket{le="10",event="pull_request"}')).toBe(1);
    expect(text).toMatch(/^infra_review_job_duration_seconds_count\{kind="plan",outcome="succeeded"\} 1$/m);
    expect(sample(text, 'infra_review_plans_total{outcome="succeeded"}')).toBe(1);
    expect(text).toMatch(/^infra_review_plan_duration_seconds_count\{outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^infra_review_plan_risk_total\{level="\w+"\} 1$/m);
    // Nothing left waiting, nothing left running, read from the store at this scrape.
    expect(sample(text, 'infra_review_jobs_queued{kind="plan"}') ?? 0).toBe(0);
    expect(sample(text, 'infra_review_jobs_running{kind="plan"}')).toBe(0);
    // The plan job talked to the double (app identity, PR files, comments, checks...): each request counted.
    const githubRequests = text
      .split('\n')
      .filter((l) => l.startsWith('infra_review_github_requests_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    expect(githubRequests).toBeGreaterThanOrEqual(double.requests().filter((r) => r.kind === 'rest').length);
    expect(text).toMatch(/^infra_review_github_requests_total\{method="GET",status="200"\} \d+$/m);
    expect(text).toMatch(/^infra_review_github_requests_total\{method="POST",status="20[01]"\} \d+$/m);
  });

  it('/metrics reads infra_review_jobs_queued from the shared store at each scrape', async () => {
    await waitFor(app, '/readyz', (a) => a.status === 200);
    // Another replica (here: this test process) queues a job of a kind no worker of this app claims.
    const store = await openStore({ dataDir: app.dataDir });
    try {
      await store.enqueueJob({ kind: 'ops-probe', repo: 'acme/infra', pr: 99, headSha: 'a'.repeat(40) });
      expect(sample((await get(app, '/metrics')).body, 'infra_review_jobs_queued{kind="ops-probe"}')).toBe(1);
      await store.enqueueJob({ kind: 'ops-probe', repo: 'acme/infra', pr: 100, headSha: 'b'.repeat(40) });
      expect(sample((await get(app, '/metrics')).body, 'infra_review_jobs_queued{kind="ops-probe"}')).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!isAppBuilt())('readiness when the store cannot be reached', () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let app: RunningApp;

  beforeAll(async () => {
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    // Nothing listens on port 1: every connection attempt is refused.
    app = await RunningApp.start({
      gheHost: double.host,
      appId: APP_ID,
      privateKey: key.privateKey,
      webhookSecret: SECRET,
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' },
    });
  });

  afterAll(async () => {
    await app?.dispose();
    await double?.stop();
  });

  it('/healthz is 200 while /readyz is 503 naming the connection error, and the log says why', async () => {
    expect((await get(app, '/healthz')).status).toBe(200);
    const log = await app.waitForLog((line) => line.text.includes('store unavailable'));
    expect(log.text).toContain('ECONNREFUSED');

    const readyz = await get(app, '/readyz');
    expect(readyz.status).toBe(503);
    const body = JSON.parse(readyz.body) as { status: string; checks: { name: string; ok: boolean; error?: string }[] };
    expect(body.status).toBe('not ready');
    const store = body.checks.find((c) => c.name === 'store');
    expect(store?.ok).toBe(false);
    expect(store?.error).toMatch(/^store not available: .*ECONNREFUSED 127\.0\.0\.1:1/);
    expect(body.checks.find((c) => c.name === 'workers')).toMatchObject({ ok: false });
    // /metrics still answers: the scrape must not depend on the store.
    expect((await get(app, '/metrics')).status).toBe(200);
  });
});
