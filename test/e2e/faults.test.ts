import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { latestCheckRun, PLAN_MARKER, project, sleep, STANDIN, standinCalls, waitFor } from './harness/e2e-helpers.js';
import { GitHubDouble } from './harness/github-double.js';
import type { PullRequestRef } from './harness/github-double.js';
import { deliver } from './harness/sign-webhook.js';
import { RunningApp, generateAppKey, isAppBuilt } from './harness/start-app.js';

/**
 * Faults against the built server: a crash in the middle of a plan, GitHub answering 5xx, a store
 * that cannot be reached. Each gets its documented answer, checked on the GitHub double, the
 * stand-in's invocation log, the store and the app's logs.
 */

const SECRET = 'e2e-faults-secret';
const APP_ID = 4244;
const OWNER = 'acme';

/** Stand-in processes still running in `cwd` (a SIGKILLed app leaves its hung child behind). */
function standinPidsIn(cwd: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== cwd) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('iac-standin')) continue;
      pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

describe.skipIf(!isAppBuilt() || !existsSync(STANDIN) || !existsSync('/proc'))('faults against the built app', { timeout: 45_000 }, () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let scratch: string;
  const apps: RunningApp[] = [];
  const orphans: number[] = [];

  const check = (ref: PullRequestRef, sha: string, name: string) => latestCheckRun(double, ref, sha, name);

  async function startApp(options: { dataDir?: string; port?: number; env?: Record<string, string> } = {}): Promise<RunningApp> {
    const app = await RunningApp.start({ gheHost: double.host, appId: APP_ID, privateKey: key.privateKey, webhookSecret: SECRET, logLevel: 'info', ...options, env: { IAC_BINARY: STANDIN, ...options.env } });
    apps.push(app);
    return app;
  }

  async function openPr(repo: string, files: Record<string, string>, change: Record<string, string>) {
    await double.createRepo(OWNER, repo, files);
    const headSha = await double.pushCommit(OWNER, repo, 'change', change, 'Change');
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: 'change', author: 'alice', title: 'Change' });
    return { opened, headSha, ref: { owner: OWNER, repo, number: opened.pull_request.number } };
  }

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'e2e-faults-'));
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
  });

  afterAll(async () => {
    for (const app of apps) await app.dispose();
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await double?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('reports a plan cut short by SIGKILL as interrupted after restart, keeps the store, re-runs nothing', async () => {
    const dataDir = path.join(scratch, 'crash-data');
    const standinLog = path.join(scratch, 'crash-standin.log');
    const state = path.join(scratch, 'crash.tfstate');
    const passEnv = { IAC_STANDIN_LOG: standinLog, IAC_PASS_ENV: 'IAC_STANDIN_LOG,IAC_STANDIN_HANG' };
    const first = await startApp({ dataDir, env: { ...passEnv, IAC_STANDIN_HANG: 'plan' } });
    const { opened, headSha, ref } = await openPr('crash', { 'envs/prod/main.tf': project(state, 'v1') }, { 'envs/prod/main.tf': project(state, 'v2') });

    expect((await deliver(first.url, { name: 'pull_request', payload: opened, secret: SECRET })).status).toBe(200);
    const hung = await waitFor('the plan to start', () => standinCalls(standinLog).find((call) => call.argv.includes('plan')));
    // The stand-in logs before it hangs: give the runner a moment to be inside the wait.
    await sleep(300);
    expect(check(ref, headSha, 'infra-review/plan')?.status).not.toBe('completed');
    const killed = await first.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // The hung stand-in outlives the killed app (its own process group): not ours to leave behind.
    orphans.push(...standinPidsIn(hung.cwd));
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    const callsAtCrash = standinCalls(standinLog).length;

    const second = await startApp({ dataDir, port: first.port, env: passEnv });
    await waitFor('the interrupted plan check', () => check(ref, headSha, 'infra-review/plan')?.conclusion === 'failure');
    const comment = await waitFor('the interruption comment', () => double.issueComments(ref).find((c) => c.body?.includes('interrupted')));
    // SQLite on one host: the restarted app knows the old process is gone, not merely silent.
    expect(comment.body).toContain(`**The infra-review process running the plan of ${headSha.slice(0, 7)} ended** (it crashed, was killed or was restarted).`);
    expect(comment.body).toContain('/plan');
    expect(check(ref, headSha, 'infra-review/plan')?.output.title).toBe('Plan interrupted');
    expect(check(ref, headSha, 'infra-review/plan')?.output.summary).toBe(
      'The plan was interrupted: the infra-review process running it ended (it crashed, was killed or was restarted). Comment `/plan` to plan again.',
    );
    await second.waitForLog((line) => line.text.includes('job interrupted by a crash or restart'));
    // Nothing re-run silently: no new IaC invocation, no plan comment.
    await sleep(2000);
    expect(standinCalls(standinLog)).toHaveLength(callsAtCrash);
    expect(double.issueComments(ref).filter((c) => c.body?.includes(PLAN_MARKER))).toEqual([]);
    expect(existsSync(state)).toBe(false);

    await second.stop('SIGTERM');
    const store = await openStore({ dataDir });
    try {
      const jobs = await store.listJobs({ repo: `${OWNER}/crash`, pr: ref.number });
      expect(jobs.map((job) => [job.kind, job.status])).toEqual([['plan', 'interrupted']]);
      const audit = await store.listAudit({ repo: `${OWNER}/crash`, pr: ref.number });
      expect(audit.map((event) => event.action)).toContain('job:interrupted:plan');
    } finally {
      await store.close();
    }
  });

  it('retries a comment creation GitHub answers 500 and 502: the plan comment exists exactly once', async () => {
    const app = await startApp();
    const state = path.join(scratch, 'flaky.tfstate');
    const { opened, headSha, ref } = await openPr('flaky', { 'envs/prod/main.tf': project(state, 'v1') }, { 'envs/prod/main.tf': project(state, 'v2') });
    const route = `/repos/${OWNER}/flaky/issues/${ref.number}/comments`;
    double.failNext({ method: 'POST', pathPattern: route, status: 500 });
    double.failNext({ method: 'POST', pathPattern: route, status: 502 });

    expect((await deliver(app.url, { name: 'pull_request', payload: opened, secret: SECRET })).status).toBe(200);
    await waitFor('the plan job to publish', () => check(ref, headSha, 'infra-review/apply'), 30_000);

    const posts = double.requests({ method: 'POST', path: route });
    expect(posts.map((p) => [p.status, p.injected])).toEqual([
      [500, true],
      [502, true],
      [201, false],
    ]);
    expect(double.issueComments(ref).filter((c) => c.body?.includes(PLAN_MARKER))).toHaveLength(1);
    expect(check(ref, headSha, 'infra-review/plan')?.conclusion).toBe('success');
  });

  it('is not ready, naming the store, when the store is unreachable at start; /healthz still answers', async () => {
    const app = await startApp({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } });

    const ready = await fetch(`${app.url}/readyz`);
    const health = await fetch(`${app.url}/healthz`);

    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean; error?: string }[] };
    expect(body.checks.find((c) => !c.ok)?.name).toMatch(/store/);
    expect(health.status).toBe(200);
    const why = await app.waitForLog((line) => /store/i.test(line.text) && /ECONNREFUSED|connect/i.test(line.text));
    expect(why.json?.level).toBeGreaterThanOrEqual(40);
    expect(why.text).toContain('127.0.0.1:1');
  });
});
