import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubDouble } from './harness/github-double.js';
import { deliver, signPayload } from './harness/sign-webhook.js';
import { RunningApp, generateAppKey, isAppBuilt } from './harness/start-app.js';

const run = promisify(execFile);
const SECRET = 'e2e-webhook-secret';
const APP_ID = 4242;

/** git with no user or system config, no prompts: only what the command line says. */
function git(args: string[], cwd?: string) {
  return run('git', args, { cwd, env: { PATH: process.env.PATH, HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' } });
}

describe.skipIf(!isAppBuilt())('e2e harness: the built app against the GitHub double', () => {
  const key = generateAppKey();
  let double: GitHubDouble;

  /** Waits until the app has published a plan on the repo (the apply check is the last thing a plan job writes). */
  async function planPublished(owner: string, repo: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!double.checkRunsFor(owner, repo).some((run) => run.name === 'infra-review/apply')) {
      if (Date.now() > deadline) throw new Error('the plan job did not publish within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  let app: RunningApp;
  let scratch: string;

  beforeAll(async () => {
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    scratch = await mkdtemp(path.join(tmpdir(), 'e2e-harness-'));
    app = await RunningApp.start({ gheHost: double.host, appId: APP_ID, privateKey: key.privateKey, webhookSecret: SECRET, logLevel: 'debug' });
  });

  afterAll(async () => {
    await app?.dispose();
    await double?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('accepts a pull_request delivery signed with WEBHOOK_SECRET', async () => {
    await double.createRepo('acme', 'infra', { 'main.tf': 'resource "null_resource" "a" {}\n' });
    await double.pushCommit('acme', 'infra', 'feature', { 'main.tf': 'resource "null_resource" "b" {}\n' }, 'Rename a to b');
    const payload = await double.openPullRequest({ owner: 'acme', repo: 'infra', head: 'feature', author: 'alice', title: 'Rename' });

    const result = await deliver(app.url, { name: 'pull_request', payload, secret: SECRET });

    expect(result.status).toBe(200);
    // Probot logs each verified delivery with its id: the app saw this exact delivery.
    await app.waitForLog((line) => line.text.includes(result.id));
    expect(app.running).toBe(true);
    // The delivery starts a plan job that talks to the double; let it finish so later tests see a quiet app.
    await planPublished('acme', 'infra');
  });

  it('rejects unsigned and wrongly signed deliveries before anything reaches GitHub', async () => {
    const payload = await double.openPullRequest({ owner: 'acme', repo: 'infra', head: 'feature', author: 'alice', title: 'Again' });
    double.clearRequests();

    const unsigned = await deliver(app.url, { name: 'pull_request', payload, secret: SECRET, signature: null });
    const wrongSecret = await deliver(app.url, { name: 'pull_request', payload, secret: 'not-the-secret' });
    // A signature of a different body: what a tampered payload looks like.
    const tampered = await deliver(app.url, { name: 'pull_request', payload, secret: SECRET, signature: signPayload(SECRET, '{}') });

    expect(unsigned.status).toBe(400);
    expect([400, 401]).toContain(wrongSecret.status);
    expect([400, 401]).toContain(tampered.status);
    expect(double.requests()).toEqual([]);
  });

  it('keeps idle client connections open for HTTP_KEEP_ALIVE_SECONDS (65 s), not Node\'s 5 s', async () => {
    // The first request tunes the server; every later response announces the timeout it keeps.
    await fetch(`${app.url}/healthz`);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('keep-alive')).toBe('timeout=65');
    const webhook = await deliver(app.url, { name: 'ping', payload: { zen: 'Keep it logically awesome.', hook_id: 1 }, secret: SECRET });
    expect(webhook.status).toBe(200);
    expect(webhook.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('serves git fetch over smart HTTP to a valid installation token only', async () => {
    const head = await double.resolveRef('acme', 'infra', 'refs/pull/1/head');
    const token = double.issueInstallationToken('acme');
    const work = path.join(scratch, 'fetch');
    await git(['init', '--quiet', work]);

    const authed = `http://x-access-token:${token}@${double.host}/acme/infra.git`;
    await git(['fetch', '--quiet', '--depth', '1', authed, 'refs/pull/1/head'], work);
    const { stdout } = await git(['rev-parse', 'FETCH_HEAD'], work);
    expect(stdout.trim()).toBe(head);

    // The runner's way: a commit by SHA (here one no ref points at), credentials in an extra
    // header rather than the URL, with either protocol version.
    const buried = await double.pushCommit('acme', 'infra', 'deep', { 'deep.tf': '1\n' }, 'First');
    await double.pushCommit('acme', 'infra', 'deep', { 'deep.tf': '2\n' }, 'Second');
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    for (const protocol of ['0', '2']) {
      await git(['-c', `http.extraHeader=${header}`, '-c', `protocol.version=${protocol}`, 'fetch', '--quiet', '--depth=1', `${double.url}/acme/infra.git`, buried], work);
      expect((await git(['rev-parse', 'FETCH_HEAD'], work)).stdout.trim()).toBe(buried);
    }

    await expect(git(['fetch', '--quiet', `${double.url}/acme/infra.git`, 'main'], work)).rejects.toThrow();
    await expect(git(['fetch', '--quiet', `http://x-access-token:ghs_forged@${double.host}/acme/infra.git`, 'main'], work)).rejects.toThrow();
    const refused = double.requests({ kind: 'git', path: '/acme/infra.git/info/refs' }).filter((r) => r.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(2);
  });

  it('answers 502 while told to, then normally again', async () => {
    const token = double.issueInstallationToken('acme');
    double.failNext({ method: 'GET', pathPattern: '/repos/acme/infra/pulls/*', status: 502 });
    const get = () => fetch(`${double.apiUrl}/repos/acme/infra/pulls/1`, { headers: { authorization: `token ${token}` } });

    const failed = await get();
    const ok = await get();

    expect(failed.status).toBe(502);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { number: number }).number).toBe(1);
    expect(double.unknownRequests()).toEqual([]);
  });

  it('restarts on the same port and DATA_DIR after SIGKILL, and stops on SIGTERM', async () => {
    const { port, dataDir, pid } = app;
    const killed = await app.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(app.running).toBe(false);

    await app.restart();
    expect(app.pid).not.toBe(pid);
    expect([app.port, app.dataDir]).toEqual([port, dataDir]);
    const payload = await double.openPullRequest({ owner: 'acme', repo: 'infra', head: 'feature', author: 'alice', title: 'After restart' });
    expect((await deliver(app.url, { name: 'pull_request', payload, secret: SECRET })).status).toBe(200);

    // Generous grace: on SIGTERM the app gives running jobs SHUTDOWN_GRACE_SECONDS (1 s here), stops them
    // and closes the store before it exits; under load that can take a few seconds.
    const stopped = await app.stop('SIGTERM', 20_000);
    // Whether the app exits by itself (code 0) or by the signal's default action, it must exit.
    expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
  }, 60_000);
});
