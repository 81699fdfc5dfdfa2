import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/start-runtime.js';
import type { GitHubDouble } from '../e2e/harness/github-double.js';
import { STANDIN, startAppUnderTest, waitFor, type AppUnderTest } from './helpers/app-under-test.js';

/**
 * The whole PR lifecycle through the real app (in-process Probot), against the GitHub double (real
 * HTTP, real git over http-backend) and the IaC stand-in on real state files:
 * open -> plan comment and checks -> approval -> /apply -> state changed -> /rollback -> state restored
 * -> close -> locks released.
 */

const OWNER = 'acme';
const REPO = 'infra';

function project(statePath: string, version: string): string {
  return [
    'terraform {',
    '  backend "local" {',
    `    path = "${statePath}"`,
    '  }',
    '}',
    '',
    'resource "aws_ssm_parameter" "release" {',
    `  value = "${version}"`,
    '  type  = "String"',
    '}',
    '',
  ].join('\n');
}

async function stateValue(file: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(await readFile(file, 'utf8')) as { resources: { instances: { attributes: { value?: string } }[] }[] };
  return state.resources[0]?.instances[0]?.attributes.value;
}

describe.skipIf(!existsSync(STANDIN))('PR lifecycle through the app', () => {
  let app: AppUnderTest;
  let double: GitHubDouble;
  let runtime: Runtime;
  let stateDir: string;
  let pr: { owner: string; repo: string; number: number };
  let headSha: string;
  const prodState = () => path.join(stateDir, 'prod.tfstate');
  const stagingState = () => path.join(stateDir, 'staging.tfstate');

  const receive = (name: string, payload: unknown) => app.receive(name, payload);
  const reactions = (commentId: number) => double.commentReactions(commentId).map((reaction) => reaction.content);
  const check = (name: string) => app.check(OWNER, REPO, headSha, name);

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'ir-lifecycle-state-'));
    app = await startAppUnderTest();
    ({ double, runtime } = app);
    await double.createRepo(OWNER, REPO, {
      'envs/prod/main.tf': project(prodState(), 'v1'),
      'envs/staging/main.tf': project(stagingState(), 'v1'),
      '.github/INFRAOWNERS': '/envs/   @bob\n',
      'README.md': 'infra\n',
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('plans a PR touching two projects: one comment, the three checks, plans stored', async () => {
    headSha = await double.pushCommit(OWNER, REPO, 'release-v2', { 'envs/prod/main.tf': project(prodState(), 'v2'), 'envs/staging/main.tf': project(stagingState(), 'v2') }, 'Release v2');
    const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'release-v2', author: 'alice', title: 'Release v2' });
    pr = { owner: OWNER, repo: REPO, number: opened.pull_request.number };
    await receive('pull_request', opened);

    // The apply check is the last thing the plan job publishes.
    await waitFor('the plan job to publish', () => check('infra-review/apply'));
    const plan = check('infra-review/plan')!;
    expect(plan.status).toBe('completed');
    expect(plan.conclusion).toBe('success');
    expect(plan.output.title).toBe('2 projects planned');
    const approval = check('infra-review/approval');
    expect(approval?.conclusion).toBe('action_required');
    // The apply check is published right after the plan check completes.
    expect((await waitFor('the apply check', () => check('infra-review/apply'))).status).toBe('queued');

    const comments = double.issueComments(pr).filter((comment) => comment.body?.includes('<!-- infra-review:plan -->'));
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body ?? '';
    expect(body).toContain('envs/prod');
    expect(body).toContain('envs/staging');
    expect(body).toContain('aws_ssm_parameter.release');
    expect(body).toContain('/apply');

    const plans = await runtime.store.listPlans({ repo: `${OWNER}/${REPO}`, pr: pr.number, headSha });
    expect(plans.map((p) => [p.project, p.status]).sort()).toEqual([
      ['envs/prod', 'planned'],
      ['envs/staging', 'planned'],
    ]);
    expect(plans.every((p) => p.planfile?.sha256.length === 64)).toBe(true);
    // Nothing is applied by planning.
    expect(existsSync(prodState())).toBe(false);
  });

  it('refuses /apply before the owner approves, naming the missing approval', async () => {
    double.setPermission('alice', 'write');
    const comment = await double.addComment({ ...pr, user: 'alice', body: '/apply' });
    await receive('issue_comment', comment);
    await waitFor('the refusal', () => reactions(comment.comment.id).includes('confused'));
    const answer = double.issueComments(pr).at(-1)?.body ?? '';
    expect(answer).toContain('refused');
    expect(answer).toContain('approved');
    expect(existsSync(prodState())).toBe(false);
  });

  it('turns the approval check green when the owner approves', async () => {
    double.setPermission('bob', 'write');
    const review = await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' });
    await receive('pull_request_review', review);
    await waitFor('the approval check', () => check('infra-review/approval')?.conclusion === 'success');
  });

  it('applies both projects on /apply: state files changed, deployments recorded, apply check green', async () => {
    const comment = await double.addComment({ ...pr, user: 'bob', body: '/apply' });
    await receive('issue_comment', comment);
    await waitFor('the apply to finish', () => reactions(comment.comment.id).includes('rocket') || reactions(comment.comment.id).includes('confused'), 120_000);
    expect(reactions(comment.comment.id)).toEqual(['eyes', 'rocket']);
    expect(await stateValue(prodState())).toBe('v2');
    expect(await stateValue(stagingState())).toBe('v2');
    const deployments = double.deploymentsFor(OWNER, REPO);
    expect(deployments.map((d) => d.deployment.environment).sort()).toEqual(['envs/prod', 'envs/staging']);
    expect(deployments.every((d) => d.statuses.some((s) => s.state === 'success'))).toBe(true);
    expect(check('infra-review/apply')?.conclusion).toBe('success');
    const sticky = double.issueComments(pr).find((c) => c.body?.includes('<!-- infra-review:plan -->'))?.body ?? '';
    expect(sticky).toMatch(/`envs\/prod`: \*\*applied\*\* [0-9a-f]{7} \(by `bob`/);
    const applies = await runtime.store.listApplies({ repo: `${OWNER}/${REPO}`, pr: pr.number });
    expect(applies.map((a) => [a.project, a.kind, a.outcome, a.actor]).sort()).toEqual([
      ['envs/prod', 'apply', 'succeeded', 'bob'],
      ['envs/staging', 'apply', 'succeeded', 'bob'],
    ]);
    expect((await runtime.store.listLocks({ repo: `${OWNER}/${REPO}` })).map((lock) => lock.pr)).toEqual([pr.number, pr.number]);
  });

  it('runs the same comment only once when GitHub redelivers it', async () => {
    const comment = await double.addComment({ ...pr, user: 'bob', body: '/help' });
    await receive('issue_comment', comment);
    await receive('issue_comment', comment);
    await waitFor('the help answer', () => reactions(comment.comment.id).includes('rocket'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(double.issueComments(pr).filter((c) => c.body?.includes('infra-review commands'))).toHaveLength(1);
    expect(reactions(comment.comment.id)).toEqual(['eyes', 'rocket']);
  });

  it('rolls prod back to the base revision on /rollback -p envs/prod', async () => {
    const comment = await double.addComment({ ...pr, user: 'bob', body: '/rollback -p envs/prod' });
    await receive('issue_comment', comment);
    await waitFor('the rollback', () => reactions(comment.comment.id).length > 1, 120_000);
    const answer = double.issueComments(pr).at(-1)?.body ?? '';
    expect(reactions(comment.comment.id), answer).toEqual(['eyes', 'rocket']);
    expect(answer).toContain('no longer live');
    const sticky = double.issueComments(pr).find((c) => c.body?.includes('<!-- infra-review:plan -->'))?.body ?? '';
    expect(sticky).toContain("this PR's change is **not live**");
    expect(await stateValue(prodState())).toBe('v1');
    expect(await stateValue(stagingState())).toBe('v2');
    expect(check('infra-review/apply')?.status).toBe('queued');
    const rollback = (await runtime.store.listApplies({ repo: `${OWNER}/${REPO}`, pr: pr.number })).find((a) => a.kind === 'rollback');
    expect(rollback).toMatchObject({ project: 'envs/prod', outcome: 'succeeded' });
    expect(rollback?.rollbackOf).not.toBeNull();
  });

  it('releases the locks and discards plans when the PR is closed', async () => {
    const closed = await double.closePullRequest(pr);
    await receive('pull_request', closed);
    await waitFor('the locks to be released', async () => (await runtime.store.listLocks({ repo: `${OWNER}/${REPO}` })).length === 0);
    const audit = await runtime.store.listAudit({ repo: `${OWNER}/${REPO}`, pr: pr.number });
    expect(audit.map((event) => event.action)).toContain('pr:closed');
    expect(audit.map((event) => event.action)).toContain('apply:succeeded');
  });
});
