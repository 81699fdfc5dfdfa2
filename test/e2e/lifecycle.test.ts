import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { PLAN_MARKER, STANDIN, latestCheckRun, project, standinCalls, stateValue, waitFor } from './harness/e2e-helpers.js';
import { GitHubDouble } from './harness/github-double.js';
import type { PullRequestRef } from './harness/github-double.js';
import { deliver } from './harness/sign-webhook.js';
import { RunningApp, generateAppKey, isAppBuilt } from './harness/start-app.js';

/**
 * The whole PR lifecycle through the built server (`probot run lib/index.js` as its own process), over
 * signed HTTP deliveries, against the GitHub double (REST + git over http-backend) and the IaC stand-in
 * on real local-backend state files:
 * open -> one plan comment, the three checks, plans stored -> /apply refused before approval -> owner
 * approves -> /apply (delivered twice, as a GitHub redelivery) -> state files changed, deployments,
 * apply check green, apply records, locks held -> /rollback per project -> state files back to the base
 * -> a new push is planned -> close -> locks released, unapplied plans discarded.
 * Each step is checked on the state files, the store (opened next to the running app, as the CLI does),
 * the stand-in's invocation log and what the double recorded, not only on comments.
 */

const SECRET = 'e2e-lifecycle-secret';
const APP_ID = 4245;
const OWNER = 'acme';
const REPO = 'infra';
const FULL_NAME = `${OWNER}/${REPO}`;
const CHECKS = ['infra-review/apply', 'infra-review/approval', 'infra-review/plan'];
const PROJECTS = ['envs/prod', 'envs/staging'];

describe.skipIf(!isAppBuilt() || !existsSync(STANDIN))('the PR lifecycle through the built app', { timeout: 45_000 }, () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let app: RunningApp;
  let store: Store;
  let scratch: string;
  let standinLog: string;
  let pr: PullRequestRef;
  let baseSha: string;
  let headSha: string;
  let planCommentId: number;
  const statePath = (name: string) => path.join(scratch, `${name.replace('envs/', '')}.tfstate`);
  const stateValues = () => PROJECTS.map((name) => stateValue(statePath(name)));

  const check = (sha: string, name: string) => latestCheckRun(double, pr, sha, name);
  const botComments = () => double.issueComments(pr).filter((c) => c.user?.type === 'Bot');
  const planComments = () => botComments().filter((c) => c.body?.includes(PLAN_MARKER));
  const answers = () => botComments().filter((c) => !c.body?.includes(PLAN_MARKER));
  const reactions = (commentId: number) => double.commentReactions(commentId).map((r) => r.content);
  const applyCalls = () => standinCalls(standinLog).filter((call) => call.argv.includes('apply'));
  /** Deployments oldest first, each with its status states oldest first (the double lists newest first, as GitHub does). */
  const deployments = () =>
    double
      .deploymentsFor(OWNER, REPO)
      .sort((a, b) => Number(a.deployment.id) - Number(b.deployment.id))
      .map(({ deployment, statuses }) => ({ deployment, states: statuses.sort((a, b) => Number(a.id) - Number(b.id)).map((s) => s.state) }));
  const auditActions = async () => (await store.listAudit({ repo: FULL_NAME, pr: pr.number })).map((event) => [event.action, event.project ?? null]);

  async function send(name: string, payload: unknown, id?: string) {
    const result = await deliver(app.url, { name, payload, secret: SECRET, ...(id ? { id } : {}) });
    expect(result.status, result.body).toBe(200);
    return result;
  }

  /** Comments `body` as `user`, delivers it and resolves with the app's answer once it has reacted 🚀 or 😕. */
  async function command(user: string, body: string, options: { redeliver?: boolean } = {}) {
    const answered = answers().length;
    const comment = await double.addComment({ ...pr, user, body });
    const first = await send('issue_comment', comment);
    // GitHub's "Redeliver" sends the same delivery (same X-GitHub-Delivery) again.
    if (options.redeliver) await send('issue_comment', comment, first.id);
    const id = comment.comment.id;
    await waitFor(`the answer to ${body}`, () => (reactions(id).includes('rocket') || reactions(id).includes('confused')) && answers().length > answered);
    return { id, delivery: first.id, reactions: reactions(id), answer: answers().at(-1)?.body ?? '' };
  }

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'e2e-lifecycle-'));
    standinLog = path.join(scratch, 'standin.log');
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    app = await RunningApp.start({
      gheHost: double.host,
      appId: APP_ID,
      privateKey: key.privateKey,
      webhookSecret: SECRET,
      logLevel: 'info',
      env: { IAC_BINARY: STANDIN, IAC_STANDIN_LOG: standinLog, IAC_PASS_ENV: 'IAC_STANDIN_LOG' },
    });
    // Ready means the app has opened and migrated its store: from then on we read it beside the app.
    await waitFor('the app to be ready', async () => (await fetch(`${app.url}/readyz`)).status === 200);
    store = await openStore({ dataDir: app.dataDir });
    ({ sha: baseSha } = await double.createRepo(OWNER, REPO, {
      'envs/prod/main.tf': project(statePath('envs/prod'), 'v1'),
      'envs/staging/main.tf': project(statePath('envs/staging'), 'v1'),
      '.github/INFRAOWNERS': '/envs/   @bob\n',
      'README.md': 'infra\n',
    }));
    double.setPermission('alice', 'write');
    double.setPermission('bob', 'write');
  });

  afterAll(async () => {
    await store?.close();
    await app?.dispose();
    await double?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('plans a PR touching two projects: one plan comment, the three checks, both plans stored', async () => {
    headSha = await double.pushCommit(OWNER, REPO, 'release-v2', { 'envs/prod/main.tf': project(statePath('envs/prod'), 'v2'), 'envs/staging/main.tf': project(statePath('envs/staging'), 'v2') }, 'Release v2');
    const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'release-v2', author: 'alice', title: 'Release v2' });
    pr = { owner: OWNER, repo: REPO, number: opened.pull_request.number };

    await send('pull_request', opened);
    // The apply check is the last thing the plan job publishes.
    await waitFor('the plan job to publish', () => check(headSha, 'infra-review/apply'));

    expect(check(headSha, 'infra-review/plan')).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: '2 projects planned' } });
    expect(check(headSha, 'infra-review/approval')?.conclusion).toBe('action_required');
    expect(JSON.stringify(check(headSha, 'infra-review/approval')?.output)).toContain('@bob');
    expect(check(headSha, 'infra-review/apply')?.status).toBe('queued');
    // One run per name: each is updated in place, never published twice.
    expect(double.checkRunsFor(OWNER, REPO, headSha).map((run) => run.name).sort()).toEqual(CHECKS);

    expect(planComments()).toHaveLength(1);
    const body = planComments()[0]!.body ?? '';
    for (const text of [...PROJECTS, 'aws_ssm_parameter.release', '/apply']) expect(body).toContain(text);
    planCommentId = Number(planComments()[0]!.id);
    expect(answers()).toEqual([]);

    const plans = await store.listPlans({ repo: FULL_NAME, pr: pr.number, headSha });
    expect(plans.map((p) => [p.project, p.status, p.baseSha]).sort()).toEqual(PROJECTS.map((name) => [name, 'planned', baseSha]));
    expect(plans.every((p) => p.planfile?.sha256.length === 64)).toBe(true);
    // Planning touches no state and holds no lock.
    expect(stateValues()).toEqual([undefined, undefined]);
    expect(applyCalls()).toEqual([]);
    expect(standinCalls(standinLog).filter((call) => call.argv.includes('plan'))).toHaveLength(2);
    expect(await store.listLocks({ repo: FULL_NAME })).toEqual([]);
  });

  it('refuses /apply before the owner approves, naming the missing approval, and applies nothing', async () => {
    const { reactions: got, answer } = await command('alice', '/apply');

    expect(got).toEqual(['eyes', 'confused']);
    expect(answer).toContain('refused');
    expect(answer).toContain('approved');
    expect(answer).toContain('@bob');
    expect(applyCalls()).toEqual([]);
    expect(deployments()).toEqual([]);
    expect(stateValues()).toEqual([undefined, undefined]);
    expect(await auditActions()).toContainEqual(['decision:apply-refused', null]);
    expect(await store.listApplies({ repo: FULL_NAME, pr: pr.number })).toEqual([]);
  });

  it('turns the approval check green when the INFRAOWNERS owner approves', async () => {
    const review = await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' });
    await send('pull_request_review', review);

    await waitFor('the approval check', () => check(headSha, 'infra-review/approval')?.conclusion === 'success');
    expect(double.checkRunsFor(OWNER, REPO, headSha).map((run) => run.name).sort()).toEqual(CHECKS);
  });

  it('applies both projects once on /apply, even when GitHub redelivers it: state, deployments, check, store', async () => {
    const result = await command('alice', '/apply', { redeliver: true });

    expect(result.reactions, result.answer).toEqual(['eyes', 'rocket']);
    expect(stateValues()).toEqual(['v2', 'v2']);
    // The redelivery ran nothing: one apply per project, one 👀 and one 🚀 requested, one answer.
    await app.waitForLog((line) => line.text.includes('already handled (redelivery)') && line.text.includes(String(result.id)));
    expect(applyCalls()).toHaveLength(2);
    expect(double.requests({ method: 'POST', path: `/repos/${OWNER}/${REPO}/issues/comments/${result.id}/reactions` })).toHaveLength(2);
    expect(answers().filter((c) => c.body?.includes('applied'))).toHaveLength(1);

    expect(deployments().map((d) => [d.deployment.environment, d.deployment.sha, d.states]).sort()).toEqual(PROJECTS.map((name) => [name, headSha, ['in_progress', 'success']]));
    expect(check(headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success' });
    const sticky = double.issueComments(pr).find((c) => c.id === planCommentId)?.body ?? '';
    for (const name of PROJECTS) expect(sticky).toMatch(new RegExp(`\`${name}\`: \\*\\*applied\\*\\* ${headSha.slice(0, 7)} \\(by \`alice\``));

    const applies = await store.listApplies({ repo: FULL_NAME, pr: pr.number });
    expect(applies.map((a) => [a.project, a.kind, a.outcome, a.actor, a.sha]).sort()).toEqual(PROJECTS.map((name) => [name, 'apply', 'succeeded', 'alice', headSha]));
    const plans = await store.listPlans({ repo: FULL_NAME, pr: pr.number, headSha });
    expect(plans.map((p) => p.status)).toEqual(['applied', 'applied']);
    const locks = await store.listLocks({ repo: FULL_NAME });
    expect(locks.map((lock) => [lock.project, lock.pr]).sort()).toEqual(PROJECTS.map((name) => [name, pr.number]));
    const audit = await auditActions();
    expect(audit.filter(([action]) => action === 'decision:apply-allowed')).toHaveLength(1);
    expect(audit.filter(([action]) => action === 'apply:succeeded').sort()).toEqual(PROJECTS.map((name) => ['apply:succeeded', name]));
  });

  it('rolls back one project at a time to the base revision: state files, deployments, check, store', async () => {
    const prodApply = (await store.listApplies({ repo: FULL_NAME, pr: pr.number, project: 'envs/prod' }))[0]!;

    const prod = await command('alice', '/rollback -p envs/prod');

    expect(prod.reactions, prod.answer).toEqual(['eyes', 'rocket']);
    expect(prod.answer).toContain('`envs/prod`');
    expect(prod.answer).toContain('no longer live');
    expect(stateValues()).toEqual(['v1', 'v2']);
    expect(double.issueComments(pr).find((c) => c.id === planCommentId)?.body).toContain("this PR's change is **not live**");
    // The change is no longer fully live: the apply check waits for /apply again.
    expect(check(headSha, 'infra-review/apply')?.status).toBe('queued');
    const rollback = (await store.listApplies({ repo: FULL_NAME, pr: pr.number })).filter((a) => a.kind === 'rollback');
    expect(rollback).toEqual([expect.objectContaining({ project: 'envs/prod', outcome: 'succeeded', actor: 'alice', sha: baseSha, rollbackOf: prodApply.id })]);

    const staging = await command('alice', '/rollback -p envs/staging');

    expect(staging.reactions, staging.answer).toEqual(['eyes', 'rocket']);
    expect(stateValues()).toEqual(['v1', 'v1']);
    expect(applyCalls()).toHaveLength(4);
    const rollbacks = (await store.listApplies({ repo: FULL_NAME, pr: pr.number })).filter((a) => a.kind === 'rollback');
    expect(rollbacks.map((a) => [a.project, a.outcome, a.sha]).sort()).toEqual(PROJECTS.map((name) => [name, 'succeeded', baseSha]));
    const audit = await auditActions();
    expect(audit.filter(([action]) => action === 'rollback:succeeded').sort()).toEqual(PROJECTS.map((name) => ['rollback:succeeded', name]));
    // Each rollback is a deployment of the base commit.
    expect(deployments().slice(2).map((d) => [d.deployment.environment, d.deployment.sha, (d.deployment.payload as { kind?: string }).kind, d.states])).toEqual([
      ['envs/prod', baseSha, 'rollback', ['in_progress', 'success']],
      ['envs/staging', baseSha, 'rollback', ['in_progress', 'success']],
    ]);
    // Rolled back, not released: the PR still holds its projects.
    expect((await store.listLocks({ repo: FULL_NAME })).map((lock) => lock.pr)).toEqual([pr.number, pr.number]);
  });

  it('plans a new push in the same plan comment, applying nothing', async () => {
    headSha = await double.pushCommit(OWNER, REPO, 'release-v2', { 'envs/prod/main.tf': project(statePath('envs/prod'), 'v3'), 'envs/staging/main.tf': project(statePath('envs/staging'), 'v3') }, 'Release v3');
    await send('pull_request', await double.synchronizePullRequest(pr));

    await waitFor('the plan of the new head', () => check(headSha, 'infra-review/apply'));
    expect(check(headSha, 'infra-review/plan')?.conclusion).toBe('success');
    expect(planComments().map((c) => c.id)).toEqual([planCommentId]);
    await waitFor('the plan comment to show the new head', () => planComments()[0]?.body?.includes(headSha.slice(0, 7)));
    const plans = await store.listPlans({ repo: FULL_NAME, pr: pr.number, headSha });
    expect(plans.map((p) => [p.project, p.status]).sort()).toEqual(PROJECTS.map((name) => [name, 'planned']));
    expect(applyCalls()).toHaveLength(4);
    expect(stateValues()).toEqual(['v1', 'v1']);
  });

  it('releases the locks and discards the unapplied plans when the PR is closed; nothing unexpected happened', async () => {
    await send('pull_request', await double.closePullRequest(pr));

    // The close job releases the locks, then discards the plans, then audits: wait for its audit event.
    const closed = await waitFor('the close job to finish', async () => (await store.listAudit({ repo: FULL_NAME, pr: pr.number })).find((event) => event.action === 'pr:closed'));
    expect(await store.listLocks({ repo: FULL_NAME })).toEqual([]);
    const plans = await store.listPlans({ repo: FULL_NAME, pr: pr.number });
    expect(plans.filter((p) => p.headSha === headSha).map((p) => p.status)).toEqual(['discarded', 'discarded']);
    // What was applied stays on record.
    expect(plans.filter((p) => p.status === 'applied')).toHaveLength(4);
    expect(closed.reason).toBe('released 2 lock(s): envs/prod, envs/staging; discarded 2 unapplied plan(s)');
    const sticky = await waitFor('the plan comment to say the PR was closed', () => planComments()[0]?.body?.includes('This PR was closed') && planComments()[0]?.body);
    expect(sticky).toContain('Released the locks on `envs/prod`, `envs/staging`.');
    expect(stateValues()).toEqual(['v1', 'v1']);

    // Nothing unexpected over the whole lifecycle: one plan comment (edited in place), one answer per
    // command (refusal, apply, two rollbacks), four IaC applies, only requests the double models, no error logged.
    expect(planComments().map((c) => c.id)).toEqual([planCommentId]);
    expect(answers()).toHaveLength(4);
    expect(applyCalls()).toHaveLength(4);
    expect(double.unknownRequests()).toEqual([]);
    expect(app.logs().filter((line) => Number(line.json?.level ?? 0) >= 50)).toEqual([]);
    expect(app.running).toBe(true);
  });
});
