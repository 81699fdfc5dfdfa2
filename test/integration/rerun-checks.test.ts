import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanJobResult } from '../../src/jobs/head-plan-state.js';
import type { RerunResult } from '../../src/jobs/rerun-check.js';
import { boundJobResult } from '../../src/store/job-result-limit.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Job } from '../../src/store/store.js';
import { PLAN_MARKER, standinCalls } from '../e2e/harness/e2e-helpers.js';
import type { GitHubDouble, PullRequestRef } from '../e2e/harness/github-double.js';
import { STANDIN, startAppUnderTest, waitFor, type AppUnderTest } from './helpers/app-under-test.js';

/**
 * The "Re-run" buttons on infra-review's checks, through the real app (in-process Probot, the GitHub
 * double, the IaC stand-in): each scenario clicks Re-run (the double builds the delivery GitHub would
 * send) and checks what GitHub then shows, what the store holds and what the stand-in was asked to run.
 */

const OWNER = 'acme';
const PLAN = 'infra-review/plan';
const APPROVAL = 'infra-review/approval';
const APPLY = 'infra-review/apply';

function project(statePath: string, value: string): string {
  return ['terraform {', '  backend "local" {', `    path = "${statePath}"`, '  }', '}', '', 'resource "aws_ssm_parameter" "release" {', `  value = "${value}"`, '  type  = "String"', '}', ''].join('\n');
}

describe.skipIf(!existsSync(STANDIN))('Re-run on infra-review checks', { timeout: 60_000 }, () => {
  let app: AppUnderTest;
  let double: GitHubDouble;
  let tmp: string;
  const logLines: string[] = [];
  const standinLog = () => path.join(tmp, 'standin.log');
  const calls = (command: 'plan' | 'apply') => standinCalls(standinLog()).filter((call) => call.argv[0] === command);
  const check = (repo: string, sha: string, name: string) => app.check(OWNER, repo, sha, name);

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ir-rerun-'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    app = await startAppUnderTest({
      // A plan whose changes contain "boom" fails to apply: an apply check that ends completed, with work left to apply.
      env: { IAC_STANDIN_LOG: standinLog(), IAC_STANDIN_FAIL_APPLY_IF: 'boom', IAC_PASS_ENV: 'IAC_STANDIN_*' },
      log: pino({ level: 'info' }, sink),
    });
    double = app.double;
    double.setPermission('alice', 'write');
    double.setPermission('bob', 'write');
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  /** A repo where bob owns envs/, and an open PR changing envs/prod to `value`; waits until it is planned. */
  async function plannedPr(repo: string, value: string, options: { fork?: boolean } = {}) {
    const statePath = path.join(tmp, `${repo}.tfstate`);
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': project(statePath, 'v1'), '.github/INFRAOWNERS': '/envs/   @bob\n' });
    const headSha = await double.pushCommit(OWNER, repo, 'change', { 'envs/prod/main.tf': project(statePath, value) }, `Set ${value}`);
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: 'change', author: 'alice', title: value, ...options });
    const pr: PullRequestRef = { owner: OWNER, repo, number: opened.pull_request.number };
    await app.receive('pull_request', opened);
    // The apply check is the last thing a plan publishes; a fork PR is not planned (no apply check): its comment comes last.
    await waitFor('the plan to be published', () =>
      options.fork ? check(repo, headSha, PLAN)?.status === 'completed' && double.issueComments(pr).some((c) => c.body?.startsWith(PLAN_MARKER)) : check(repo, headSha, APPLY),
    );
    // ...and the job has ended (a re-run while it still runs would join it rather than plan again).
    await planJobsDone(pr, headSha, 1);
    return { pr, headSha };
  }

  /** Clicks "Re-run" (delivers the event) and resolves with the finished rerun job it queued. */
  async function rerun(repo: string, name: string, payload: unknown): Promise<Job & { result: RerunResult }> {
    const rerunJobs = () => app.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, kind: 'rerun' });
    const before = new Set((await rerunJobs()).map((job) => job.id));
    await app.receive(name, payload);
    const job = await waitFor('the rerun job to finish', async () => (await rerunJobs()).find((j) => !before.has(j.id) && j.status !== 'queued' && j.status !== 'running'));
    expect(job.status, job.error ?? '').toBe('succeeded');
    return job as Job & { result: RerunResult };
  }

  const planJobs = async (pr: PullRequestRef, headSha: string) =>
    (await app.runtime.store.listJobs({ repo: `${pr.owner}/${pr.repo}`, pr: pr.number, kind: 'plan' })).filter((job) => job.headSha === headSha);
  const planJobsDone = async (pr: PullRequestRef, headSha: string, count: number) =>
    waitFor(`${count} finished plan jobs of the head`, async () => {
      const jobs = await planJobs(pr, headSha);
      return jobs.length === count && jobs.every((job) => job.status === 'succeeded') ? jobs : undefined;
    });

  it('re-plans the head on "Re-run" of infra-review/plan: the stand-in plans again and a new plan check run completes', async () => {
    const repo = 'rerun-plan';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const first = check(repo, headSha, PLAN)!;
    expect(first.conclusion).toBe('success');
    const plansBefore = calls('plan').length;

    const job = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(first.id), { sender: 'alice' }));

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'plan-queued' }] });
    const jobs = await planJobsDone(pr, headSha, 2);
    expect(jobs.map((j) => (j.payload as { trigger: string }).trigger)).toEqual(['autoplan', 'autoplan']);
    const latest = check(repo, headSha, PLAN)!;
    expect(Number(latest.id)).toBeGreaterThan(Number(first.id));
    expect(latest).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: '1 project planned' } });
    expect(calls('plan')).toHaveLength(plansBefore + 1);
    expect(calls('apply')).toEqual([]);
    // Each plan run stored its plan of the head.
    const plans = await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha });
    expect(plans.map((plan) => plan.status)).toEqual(['planned', 'planned']);
    // The re-run is on record, with who asked.
    const audit = await app.runtime.store.listAudit({ repo: `${OWNER}/${repo}`, pr: pr.number });
    expect(audit.filter((event) => event.action === 'check:rerun').map((event) => [event.actor, event.reason])).toEqual([['alice', `${PLAN} re-run on ${headSha.slice(0, 7)}: plan-queued`]]);
  });

  it('re-plans on "Re-run all checks" (check_suite), republishing all three checks', async () => {
    const repo = 'rerun-suite';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const plansBefore = calls('plan').length;
    const runsBefore = double.checkRunsFor(OWNER, repo, headSha).length;

    const job = await rerun(repo, 'check_suite', await double.rerequestCheckSuite({ owner: OWNER, repo, headSha, sender: 'alice' }));

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'plan-queued' }] });
    await planJobsDone(pr, headSha, 2);
    expect(calls('plan')).toHaveLength(plansBefore + 1);
    // The plan check was reopened (a new run); approval and apply were updated in place.
    expect(double.checkRunsFor(OWNER, repo, headSha)).toHaveLength(runsBefore + 1);
    expect([PLAN, APPROVAL, APPLY].map((name) => check(repo, headSha, name)?.status)).toEqual(['completed', 'completed', 'queued']);
    // GitHub reset the suite to queued at the click; our writes gave it a state again.
    expect(double.checkSuiteState(OWNER, repo, headSha).status).not.toBe('queued');
  });

  it('never applies on "Re-run" of infra-review/apply: it republishes what the store knows and says to comment /apply', async () => {
    const repo = 'rerun-apply';
    const { pr, headSha } = await plannedPr(repo, 'boom');
    await app.receive('pull_request_review', await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check', () => check(repo, headSha, APPROVAL)?.conclusion === 'success');
    // /apply fails (the stand-in refuses "boom"): the apply check ends completed, the project still unapplied.
    const comment = await double.addComment({ ...pr, user: 'alice', body: '/apply' });
    await app.receive('issue_comment', comment);
    await waitFor('the /apply answer', () => double.commentReactions(comment.comment.id).some((r) => r.content === 'confused'));
    const failed = check(repo, headSha, APPLY)!;
    expect(failed).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Apply failed' } });
    const appliesBefore = calls('apply').length;
    expect(appliesBefore).toBe(1);
    const records = await app.runtime.store.listApplies({ repo: `${OWNER}/${repo}`, pr: pr.number });
    const deployments = double.deploymentsFor(OWNER, repo).length;

    // Everything /apply needs is in place (plan, approval, lock): a re-run still must not apply.
    const job = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(failed.id), { sender: 'alice' }));

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'apply-status-published', detail: 'Apply failed' }] });
    const republished = check(repo, headSha, APPLY)!;
    expect(republished).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Apply failed' } });
    // A new run (GitHub shows when it was re-run), and the suite GitHub reset to queued at the click has a result again.
    expect(Number(republished.id)).toBeGreaterThan(Number(failed.id));
    expect(double.checkSuiteState(OWNER, repo, headSha)).toEqual({ status: 'completed', conclusion: 'failure' });
    expect(republished.output.summary).toContain('`envs/prod`: the apply of');
    expect(republished.output.summary).toContain('comment `/plan` (an apply spends its plan), then `/apply` to apply again');
    expect(republished.output.summary).toContain('it never applies anything');
    expect(calls('apply')).toHaveLength(appliesBefore);
    expect(await app.runtime.store.listApplies({ repo: `${OWNER}/${repo}`, pr: pr.number })).toEqual(records);
    expect(double.deploymentsFor(OWNER, repo)).toHaveLength(deployments);
    expect(await app.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, kind: 'command' })).toHaveLength(1);
  });

  it('fails closed when the plan result of the head was too large to store: /apply, /rollback, the apply check, approvals and a new plan all say so', async () => {
    const repo = 'rerun-too-large';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const command = async (user: string, body: string) => {
      const comment = await double.addComment({ ...pr, user, body });
      await app.receive('issue_comment', comment);
      const reactions = () => double.commentReactions(comment.comment.id).map((r) => r.content);
      await waitFor(`an answer to ${body}`, () => reactions().length > 1);
      const answers = double.issueComments(pr).filter((c) => c.user?.type === 'Bot' && !c.body?.startsWith(PLAN_MARKER));
      return { reactions: reactions(), answer: answers.at(-1)?.body ?? '' };
    };
    await app.receive('pull_request_review', await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check', () => check(repo, headSha, APPROVAL)?.conclusion === 'success');
    expect((await command('alice', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    const appliesBefore = calls('apply').length;

    // What the store keeps of the plan job's result once it is over 4 MiB: the same result, with 5,000 more long paths.
    const [planJob] = await planJobs(pr, headSha);
    const real = planJob!.result as PlanJobResult;
    const oversized = { ...real, files: [...real.files, ...Array.from({ length: 5_000 }, (_, i) => ({ path: `docs/${i}/${'x'.repeat(1_000)}`, project: null }))] };
    const bytes = Buffer.byteLength(JSON.stringify(oversized));
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024);
    await (app.runtime.store as KyselyStore).db.updateTable('jobs').set({ result: boundJobResult(oversized, 15_000) }).where('id', '=', planJob!.id).execute();
    const why = `the plan result for this head was too large to store (${bytes.toLocaleString('en-US')} bytes, limit 4 MiB); split the PR`;

    const apply = await command('alice', '/apply');
    expect(apply.reactions).toEqual(['eyes', 'confused']);
    expect(apply.answer).toContain(`\`/apply\` refused: ${why}.`);
    expect(apply.answer).not.toContain('no plan');

    const rollback = await command('alice', '/rollback');
    expect(rollback.reactions).toEqual(['eyes', 'confused']);
    expect(rollback.answer).toContain(`its project definition (directory, workflow) is not known: ${why}.`);
    const tooLarge = { status: 'completed', conclusion: 'failure', output: { title: 'Plan result too large' } };
    expect(check(repo, headSha, APPLY)).toMatchObject(tooLarge);
    expect(check(repo, headSha, APPLY)?.output.summary).toContain(`The ${why.slice('the '.length)}.`);

    const job = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(check(repo, headSha, APPLY)!.id), { sender: 'alice' }));
    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'apply-status-published', detail: 'Plan result too large' }] });
    expect(check(repo, headSha, APPLY)).toMatchObject(tooLarge);

    // Approvals re-evaluated from the store count every file as critical-risk, and say why.
    await app.receive('pull_request_review', await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check to name the too-large plan', () => check(repo, headSha, APPROVAL)?.output.summary?.includes(`The ${why.slice('the '.length)}:`));

    // A new plan of the head cannot make the head's plan state whole again: it says so in the comment and the check.
    expect((await command('alice', '/plan')).reactions).toEqual(['eyes', 'rocket']);
    expect(double.issueComments(pr).find((c) => c.body?.startsWith(PLAN_MARKER))?.body).toContain(`The plan is shown, but ${why}: \`/apply\` refuses every project of this head.`);
    expect(check(repo, headSha, APPLY)).toMatchObject(tooLarge);
    expect(calls('apply')).toHaveLength(appliesBefore);
  });

  it('re-evaluates approvals on "Re-run" of infra-review/approval (a dismissal GitHub never told us about)', async () => {
    const repo = 'rerun-approval';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const review = await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' });
    await app.receive('pull_request_review', review);
    const approved = await waitFor('the approval check', () => (check(repo, headSha, APPROVAL)?.conclusion === 'success' ? check(repo, headSha, APPROVAL) : undefined));
    double.dismissReview(review.review.id);
    const plansBefore = calls('plan').length;

    const job = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(approved.id), { sender: 'bob' }));

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'approval-queued' }] });
    await waitFor('the approval check to be re-evaluated', () => check(repo, headSha, APPROVAL)?.conclusion === 'action_required');
    expect(JSON.stringify(check(repo, headSha, APPROVAL)?.output)).toContain('@bob');
    expect(calls('plan')).toHaveLength(plansBefore);
  });

  it('shows a new approval run on "Re-run" even when the evaluation is unchanged: GitHub reset the suite to queued and waits for a write', async () => {
    const repo = 'rerun-approval-same';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    await app.receive('pull_request_review', await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    const approved = await waitFor('the approval check', () => (check(repo, headSha, APPROVAL)?.conclusion === 'success' ? check(repo, headSha, APPROVAL) : undefined));
    const approvalJobs = async () => (await app.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, kind: 'approval' })).filter((job) => job.status === 'succeeded');
    const finishedBefore = (await approvalJobs()).length;
    // In progress: the apply check waits (queued) for `/apply`.
    const suiteBefore = double.checkSuiteState(OWNER, repo, headSha);
    expect(suiteBefore).toEqual({ status: 'in_progress', conclusion: null });

    const clicked = await double.rerequestCheckRun(Number(approved.id), { sender: 'bob' });
    expect(double.checkSuiteState(OWNER, repo, headSha)).toEqual({ status: 'queued', conclusion: null });
    const job = await rerun(repo, 'check_run', clicked);

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'approval-queued' }] });
    await waitFor('the re-run approval job to finish', async () => ((await approvalJobs()).length > finishedBefore ? true : undefined));
    const latest = check(repo, headSha, APPROVAL)!;
    expect(Number(latest.id)).toBeGreaterThan(Number(approved.id));
    expect(latest).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: approved.output.summary } });
    expect(double.checkSuiteState(OWNER, repo, headSha)).toEqual(suiteBefore);
  });

  it('ignores "Re-run" of a check run another app created, even one named like ours', async () => {
    const repo = 'rerun-foreign';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const runs = double.checkRunsFor(OWNER, repo, headSha).length;
    const plansBefore = calls('plan').length;
    const event = await double.rerequestCheckRun(Number(check(repo, headSha, PLAN)!.id), { sender: 'mallory', app: { id: 9999, slug: 'other-ci' } });

    const job = await rerun(repo, 'check_run', event);

    expect(job.result).toEqual({ outcome: 'not-our-app', pulls: [] });
    expect(double.checkRunsFor(OWNER, repo, headSha)).toHaveLength(runs);
    expect(calls('plan')).toHaveLength(plansBefore);
    expect(await planJobs(pr, headSha)).toHaveLength(1);
    expect(logLines.join('')).toContain('re-run requested for a check another app created; ignored');
    // Nothing was asked of GitHub about the repository after the delivery but the app's own identity.
    expect(double.unknownRequests()).toEqual([]);
  });

  it('ignores "Re-run" of a check on a commit that is no longer the PR head', async () => {
    const repo = 'rerun-stale';
    const { pr, headSha } = await plannedPr(repo, 'v2');
    const oldPlan = check(repo, headSha, PLAN)!;
    // A push GitHub has not told us about yet: the PR (listed by its branch) now has a newer head.
    const newer = await double.pushCommit(OWNER, repo, 'change', { 'README.md': 'newer\n' }, 'Newer');
    await double.synchronizePullRequest(pr);
    const plansBefore = calls('plan').length;
    const runsBefore = double.checkRunsFor(OWNER, repo).length;

    const job = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(oldPlan.id), { sender: 'alice' }));

    expect(job.result).toEqual({ outcome: 'stale-head', pulls: [] });
    expect(double.checkRunsFor(OWNER, repo)).toHaveLength(runsBefore);
    expect(double.checkRunsFor(OWNER, repo, newer)).toEqual([]);
    expect(calls('plan')).toHaveLength(plansBefore);
    expect(await planJobs(pr, newer)).toEqual([]);
    expect(logLines.join('')).toContain('re-run requested for a commit that is no longer the PR head; ignored');
  });

  it('finds a fork PR (no PR on the check run) among the open PRs, keeps the fork gate, and stops when the PR is closed', async () => {
    const repo = 'rerun-fork';
    const { pr, headSha } = await plannedPr(repo, 'v2', { fork: true });
    const notPlanned = check(repo, headSha, PLAN)!;
    expect(notPlanned).toMatchObject({ conclusion: 'neutral', output: { title: 'Not planned' } });
    const plansBefore = calls('plan').length;
    const event = await double.rerequestCheckRun(Number(notPlanned.id), { sender: 'alice' });
    expect(event.check_run.pull_requests).toEqual([]);

    const job = await rerun(repo, 'check_run', event);

    expect(job.result).toEqual({ outcome: 'handled', pulls: [{ pr: pr.number, action: 'plan-queued' }] });
    const jobs = await planJobsDone(pr, headSha, 2);
    // The same autoplan job, with the fork gate: not planned again, nothing run.
    expect(jobs.map((j) => (j.result as { outcome: string }).outcome)).toEqual(['skipped', 'skipped']);
    expect(check(repo, headSha, PLAN)).toMatchObject({ conclusion: 'neutral', output: { title: 'Not planned' } });
    expect(calls('plan')).toHaveLength(plansBefore);
    expect(double.requests({ method: 'GET', path: `/repos/${OWNER}/${repo}/pulls` }).length).toBeGreaterThan(0);

    await double.closePullRequest(pr);
    const closed = await rerun(repo, 'check_run', await double.rerequestCheckRun(Number(notPlanned.id), { sender: 'alice' }));
    expect(closed.result).toEqual({ outcome: 'no-open-pr', pulls: [] });
    expect(await planJobs(pr, headSha)).toHaveLength(2);
  });
});
