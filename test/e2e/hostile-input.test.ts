import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckRun, PLAN_MARKER, project, sleep, STANDIN, standinCalls, waitFor } from './harness/e2e-helpers.js';
import { GitHubDouble } from './harness/github-double.js';
import type { PullRequestRef } from './harness/github-double.js';
import { DEFAULT_WEBHOOK_PATH, deliver, signPayload } from './harness/sign-webhook.js';
import { RunningApp, generateAppKey, isAppBuilt } from './harness/start-app.js';

/**
 * Hostile and malformed input against the built server over HTTP: each case gets its documented
 * answer and nothing else (no comment, no check, no IaC run), asserted on what the GitHub double
 * recorded, the stand-in's invocation log, the state files and the app's own log lines.
 */

const SECRET = 'e2e-hostile-secret';
const APP_ID = 4243;
const OWNER = 'acme';

describe.skipIf(!isAppBuilt() || !existsSync(STANDIN))('hostile input against the built app', { timeout: 45_000 }, () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let app: RunningApp;
  let scratch: string;
  let standinLog: string;

  const send = (name: string, payload: unknown) => deliver(app.url, { name, payload, secret: SECRET });
  const reactions = (commentId: number) => double.commentReactions(commentId).map((reaction) => reaction.content);
  const planCalls = () => standinCalls(standinLog).filter((call) => call.argv.includes('plan'));
  const applyCalls = () => standinCalls(standinLog).filter((call) => call.argv.includes('apply'));
  const check = (ref: PullRequestRef, sha: string, name: string) => latestCheckRun(double, ref, sha, name);

  /** A repository with `files` and a PR by alice applying `change`, not delivered to the app. */
  async function openPr(repo: string, files: Record<string, string>, change: Record<string, string>) {
    await double.createRepo(OWNER, repo, files);
    const headSha = await double.pushCommit(OWNER, repo, 'change', change, 'Change');
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: 'change', author: 'alice', title: 'Change' });
    return { opened, headSha, ref: { owner: OWNER, repo, number: opened.pull_request.number } };
  }

  /** `openPr`, delivered; resolves when the plan job published. */
  async function openPlannedPr(repo: string, files: Record<string, string>, change: Record<string, string>, lastCheck = 'infra-review/apply') {
    const { opened, headSha, ref } = await openPr(repo, files, change);
    expect((await send('pull_request', opened)).status).toBe(200);
    // The apply check is the last thing a plan job publishes (the plan check, completed, when it plans nothing:
    // it is in progress from the job's start).
    await waitFor('the plan job to publish', () => {
      const last = check(ref, headSha, lastCheck);
      return last && (lastCheck !== 'infra-review/plan' || last.status === 'completed') ? last : undefined;
    });
    return { ref, headSha };
  }

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'e2e-hostile-'));
    standinLog = path.join(scratch, 'standin.log');
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    app = await RunningApp.start({
      gheHost: double.host,
      appId: APP_ID,
      privateKey: key.privateKey,
      webhookSecret: SECRET,
      logLevel: 'debug',
      env: { IAC_BINARY: STANDIN, IAC_STANDIN_LOG: standinLog, IAC_PASS_ENV: 'IAC_STANDIN_LOG' },
    });
  });

  afterAll(async () => {
    await app?.dispose();
    await double?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('answers 4xx to a malformed JSON body with a valid signature, and does nothing', async () => {
    const body = '{"action":"opened","pull_request":{"number":1,';
    const response = await fetch(new URL(DEFAULT_WEBHOOK_PATH, app.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': 'malformed-1',
        'x-hub-signature-256': signPayload(SECRET, body),
      },
      body,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await sleep(500);
    expect(double.requests()).toEqual([]);
    expect(standinCalls(standinLog)).toEqual([]);
    expect(app.running).toBe(true);
  });

  it('answers 2xx to an unknown event and to an unknown action, and does nothing', async () => {
    await double.createRepo(OWNER, 'quiet', { 'envs/prod/main.tf': project(path.join(scratch, 'quiet.tfstate'), 'v1') });
    await double.pushCommit(OWNER, 'quiet', 'change', { 'envs/prod/main.tf': project(path.join(scratch, 'quiet.tfstate'), 'v2') }, 'Change');
    const opened = await double.openPullRequest({ owner: OWNER, repo: 'quiet', head: 'change', author: 'alice', title: 'Change' });
    double.clearRequests();

    const unknownEvent = await send('hyperdrive_engaged', { action: 'engaged', installation: opened.installation, repository: opened.repository });
    const unknownAction = await send('pull_request', { ...opened, action: 'teleported' });

    expect(unknownEvent.status).toBeGreaterThanOrEqual(200);
    expect(unknownEvent.status).toBeLessThan(300);
    expect(unknownAction.status).toBeGreaterThanOrEqual(200);
    expect(unknownAction.status).toBeLessThan(300);
    await app.waitForLog((line) => line.text.includes(unknownAction.id));
    await sleep(1000);
    expect(double.requests()).toEqual([]);
    expect(standinCalls(standinLog)).toEqual([]);
    expect(double.issueComments({ owner: OWNER, repo: 'quiet', number: opened.pull_request.number })).toEqual([]);
  });

  it('handles a 1 MB comment whose first line is /plan without ever echoing its body', async () => {
    // Not autoplanned: the /plan comment is the only delivery.
    const { ref } = await openPr('big', { 'envs/prod/main.tf': project(path.join(scratch, 'big.tfstate'), 'v1') }, { 'envs/prod/main.tf': project(path.join(scratch, 'big.tfstate'), 'v2') });
    double.setPermission('alice', 'write');
    const marker = 'ECHO-CANARY-7f3a9';
    const body = `/plan\n${`${marker} `.repeat(Math.ceil(1_048_576 / (marker.length + 1)))}`;
    expect(body.length).toBeGreaterThanOrEqual(1_048_576);
    const plansBefore = planCalls().length;
    const comment = await double.addComment({ ...ref, user: 'alice', body });

    expect((await send('issue_comment', comment)).status).toBe(200);
    await waitFor('the /plan to finish', () => reactions(comment.comment.id).some((r) => r === 'rocket' || r === 'confused'), 30_000);

    expect(reactions(comment.comment.id)).toEqual(['eyes', 'rocket']);
    expect(planCalls().length).toBeGreaterThan(plansBefore);
    const sent = double.requests().map((request) => JSON.stringify(request.body ?? ''));
    expect(sent.some((text) => text.includes(marker))).toBe(false);
    expect(double.issueComments(ref).filter((c) => c.user?.type === 'Bot').some((c) => c.body?.includes(marker))).toBe(false);
    expect(app.output()).not.toContain(marker);
  });

  it('refuses /apply from a non-collaborator and from a read-only user, naming the missing write access', async () => {
    const state = path.join(scratch, 'guarded.tfstate');
    // The PR is not even planned: authorization comes before anything else.
    const { ref } = await openPr('guarded', { 'envs/prod/main.tf': project(state, 'v1') }, { 'envs/prod/main.tf': project(state, 'v2') });
    double.setPermission('reader', 'read');
    for (const user of ['mallory', 'reader']) {
      const comment = await double.addComment({ ...ref, user, body: '/apply' });
      expect((await send('issue_comment', comment)).status).toBe(200);
      await waitFor(`the refusal of ${user}`, () => reactions(comment.comment.id).includes('confused'));
      const answer = double.issueComments(ref).at(-1);
      expect(answer?.user?.type).toBe('Bot');
      expect(answer?.body).toContain(`@${user}`);
      expect(answer?.body).toContain('write access');
    }
    expect(applyCalls()).toEqual([]);
    expect(double.deploymentsFor(OWNER, 'guarded')).toEqual([]);
    expect(double.requests({ method: 'PUT', path: /\/merge$/ })).toEqual([]);
    expect(existsSync(state)).toBe(false);
  });

  it('reads INFRAOWNERS from the base: a PR making its author the owner and self-approving stays unapproved', async () => {
    const state = path.join(scratch, 'owners.tfstate');
    double.setPermission('alice', 'write');
    double.setPermission('bob', 'write');
    const { ref, headSha } = await openPlannedPr(
      'owners',
      { 'envs/prod/main.tf': project(state, 'v1'), '.github/INFRAOWNERS': '/envs/   @bob\n' },
      { 'envs/prod/main.tf': project(state, 'v2'), '.github/INFRAOWNERS': '/envs/   @alice\n' },
    );
    const review = await double.addReview({ ...ref, user: 'alice', state: 'APPROVED' });
    const reviewsBefore = double.requests({ method: 'GET', path: /\/reviews$/ }).length;
    expect((await send('pull_request_review', review)).status).toBe(200);
    // The review was evaluated (reviews listed again) before we look at the outcome.
    await waitFor('the review to be evaluated', () => double.requests({ method: 'GET', path: /\/reviews$/ }).length > reviewsBefore);
    await sleep(1000);

    const approval = check(ref, headSha, 'infra-review/approval');
    expect(approval?.conclusion).not.toBe('success');
    expect(JSON.stringify(approval?.output ?? {})).toContain('@bob');
    const planComment = double.issueComments(ref).find((c) => c.body?.includes(PLAN_MARKER));
    expect(planComment?.body).toContain('.github/INFRAOWNERS');
    expect(planComment?.body).toContain('takes effect after merge');
  });

  it('fails the plan check on a base config with YAML errors, listing them with line numbers, and plans nothing', async () => {
    const state = path.join(scratch, 'yaml.tfstate');
    // Two errors: a duplicate key on line 2 and a quote that never closes (reported at the end, line 7).
    const config = ['version: 1', 'version: 1', 'projects:', '  - dir: envs/prod', '    autoplan: "unterminated', 'drafts: {plan: true', ''].join('\n');
    const plansBefore = planCalls().length;
    const { ref, headSha } = await openPlannedPr('yaml', { 'envs/prod/main.tf': project(state, 'v1'), '.github/infra-review.yml': config }, { 'envs/prod/main.tf': project(state, 'v2') }, 'infra-review/plan');

    const plan = check(ref, headSha, 'infra-review/plan');
    expect(plan?.status).toBe('completed');
    expect(plan?.conclusion).toBe('failure');
    const text = `${plan?.output.title ?? ''}\n${plan?.output.summary ?? ''}\n${plan?.output.text ?? ''}`;
    expect(text).toContain('.github/infra-review.yml:2:1: Map keys must be unique');
    expect(text).toMatch(/\.github\/infra-review\.yml:7:1: .*quote/);
    // The comment follows the check.
    const comment = await waitFor('the plan comment', () => double.issueComments(ref).find((c) => c.body?.includes(PLAN_MARKER)));
    expect(comment.body).toContain('.github/infra-review.yml:2:1');
    expect(check(ref, headSha, 'infra-review/apply')).toBeUndefined();
    expect(planCalls().length).toBe(plansBefore);
    expect(existsSync(state)).toBe(false);
  });

  it('never shows a sensitive variable or a sensitive output in a comment, a check or a log line', async () => {
    const secret = 'hunter2-SECRET-CANARY-5b8e1c';
    const state = path.join(scratch, 'secret.tfstate');
    const tf = (value: string) =>
      [
        'terraform {',
        '  backend "local" {',
        `    path = "${state}"`,
        '  }',
        '}',
        '',
        'variable "db_password" {',
        `  default   = "${secret}"`,
        '  sensitive = true',
        '}',
        '',
        'resource "aws_ssm_parameter" "password" {',
        '  name  = "db-password"',
        '  type  = "SecureString"',
        '  value = var.db_password',
        `  description = "${value}"`,
        '}',
        '',
        'output "password" {',
        '  value     = var.db_password',
        '  sensitive = true',
        '}',
        '',
      ].join('\n');
    const plansBefore = planCalls().length;
    const { ref, headSha } = await openPlannedPr('secret', { 'envs/prod/main.tf': tf('v1') }, { 'envs/prod/main.tf': tf('v2') });

    expect(planCalls().length).toBeGreaterThan(plansBefore);
    const plan = check(ref, headSha, 'infra-review/plan');
    expect(plan?.conclusion).toBe('success');
    const planComment = double.issueComments(ref).find((c) => c.body?.includes(PLAN_MARKER));
    expect(planComment?.body).toContain('aws_ssm_parameter.password');
    for (const comment of double.issueComments(ref)) expect(comment.body).not.toContain(secret);
    for (const run of double.checkRunsFor(OWNER, 'secret')) expect(JSON.stringify(run.output)).not.toContain(secret);
    for (const request of double.requests()) expect(JSON.stringify(request.body ?? '')).not.toContain(secret);
    expect(app.output()).not.toContain(secret);
  });
});
