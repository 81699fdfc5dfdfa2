import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportInterruptedJobs } from '../../src/jobs/report-interrupted-jobs.js';
import { PLAN_MARKER, project, stateValue } from '../e2e/harness/e2e-helpers.js';
import { STANDIN, startAppUnderTest, waitFor, type AppUnderTest } from './helpers/app-under-test.js';

/**
 * `/plan` through the real app (in-process Probot, the GitHub double, the IaC stand-in): what a `/plan`
 * (all projects or `-p NAME`) planned counts for `/apply`, the checks and the sticky comment, together
 * with what earlier plans of the same head planned.
 */

const OWNER = 'acme';

describe.skipIf(!existsSync(STANDIN))('/plan results count for /apply, the checks and the comment', () => {
  let app: AppUnderTest | undefined;
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'ir-plan-command-state-'));
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  const statePath = (name: string) => path.join(stateDir, `${name}.tfstate`);

  /** Creates the repo, opens a PR changing `head` files and waits for the autoplan to publish. */
  async function openPlannedPr(repo: string, base: Record<string, string>, head: Record<string, string>) {
    const a = app!;
    await a.double.createRepo(OWNER, repo, base);
    const headSha = await a.double.pushCommit(OWNER, repo, 'change', head, 'Change');
    const opened = await a.double.openPullRequest({ owner: OWNER, repo, head: 'change', author: 'alice', title: 'Change' });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the autoplan to publish', () => a.check(OWNER, repo, headSha, 'infra-review/apply') && planComment(pr));
    return { pr, headSha };
  }

  function planComment(pr: { owner: string; repo: string; number: number }): string {
    return app!.double.issueComments(pr).find((comment) => comment.body?.startsWith(PLAN_MARKER))?.body ?? '';
  }

  /**
   * A PR whose plans wait at a gate: a plan of a head that has envs/prod/slow waits while the gate file exists
   * (after touching `started`). Opened and autoplanned with the gate open.
   */
  async function openGatedPr(repo: string) {
    const gate = path.join(stateDir, 'gate');
    const started = path.join(stateDir, 'started');
    const wait = `if [ -f slow ] && [ -f '${gate}' ]; then touch '${started}'; while [ -f '${gate}' ]; do sleep 0.1; done; fi`;
    const config = `version: 1\nworkflows:\n  default:\n    plan:\n      - init\n      - run: ${JSON.stringify(wait)}\n      - plan\n      - show\n`;
    const opened = await openPlannedPr(
      repo,
      { '.github/infra-review.yml': config, 'envs/prod/main.tf': project(statePath('prod'), 'v1') },
      { 'envs/prod/main.tf': project(statePath('prod'), 'v2'), 'envs/prod/slow': 'yes\n' },
    );
    return { ...opened, gate, started };
  }

  /**
   * Opens a gated PR (openGatedPr) in `repo`, closes the gate and comments `/plan` as alice; once that /plan
   * waits at the gate, runs `body` with the PR, its head, the `/plan` comment and the title the apply check
   * had before it. The gate is removed at the end, whatever happened, so that no job is left waiting.
   */
  async function whilePlanWaitsAtGate(
    repo: string,
    body: (gated: {
      pr: { owner: string; repo: string; number: number };
      headSha: string;
      comment: Awaited<ReturnType<AppUnderTest['double']['addComment']>>;
      applyCheckBefore: string | null | undefined;
    }) => Promise<void>,
  ): Promise<void> {
    const a = app!;
    const { pr, headSha, gate, started } = await openGatedPr(repo);
    const applyCheckBefore = a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.title;

    await writeFile(gate, '');
    try {
      const comment = await a.double.addComment({ ...pr, user: 'alice', body: '/plan' });
      await a.receive('issue_comment', comment);
      await waitFor('the /plan to reach the gate', () => existsSync(started));
      await body({ pr, headSha, comment, applyCheckBefore });
    } finally {
      await rm(gate, { force: true });
    }
  }

  /** Our bot's comments on `pr` after comment `afterId`, other than the plan comment. */
  function botAnswersAfter(pr: { owner: string; repo: string; number: number }, afterId: number) {
    return app!.double.issueComments(pr).filter((c) => c.user?.type === 'Bot' && !c.body?.startsWith(PLAN_MARKER) && c.id > afterId);
  }

  /** Comments `body` as `user` and waits for the job's final reaction; returns the reactions and the newest answer. */
  async function command(pr: { owner: string; repo: string; number: number }, user: string, body: string): Promise<{ reactions: string[]; answer: string }> {
    const a = app!;
    const comment = await a.double.addComment({ ...pr, user, body });
    await a.receive('issue_comment', comment);
    const reactions = () => a.double.commentReactions(comment.comment.id).map((r) => r.content);
    await waitFor(`an answer to ${body}`, () => reactions().length > 1, 120_000);
    const answers = a.double.issueComments(pr).filter((c) => c.user?.type === 'Bot' && !c.body?.includes('<!-- infra-review:plan') && c.id > comment.comment.id);
    return { reactions: reactions(), answer: answers.at(-1)?.body ?? '' };
  }

  it('applies a project with autoplan off once `/plan -p` planned it and its owner approved', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    a.double.setPermission('bob', 'write');
    const repo = 'manual-plan';
    const config = 'version: 1\nprojects:\n  - name: prod\n    dir: envs/prod\n    autoplan: false\n';
    const { pr, headSha } = await openPlannedPr(
      repo,
      { '.github/infra-review.yml': config, '.github/INFRAOWNERS': '/envs/  @bob\n', 'envs/prod/main.tf': project(statePath('prod'), 'v1') },
      { 'envs/prod/main.tf': project(statePath('prod'), 'v2') },
    );
    expect(planComment(pr)).toContain('autoplan is off');
    expect(a.check(OWNER, repo, headSha, 'infra-review/approval')?.output.summary).toContain('Project prod has no plan risk');
    expect(await a.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    // Not planned yet: the apply check must not pass (a required infra-review/apply would let the PR merge
    // with prod never planned nor applied), and `/apply` has nothing it may call done.
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Waiting for /plan' } });
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.summary).toContain('`/plan -p prod`');
    const early = await command(pr, 'alice', '/apply');
    expect(early.reactions, early.answer).toEqual(['eyes', 'confused']);
    expect(early.answer).not.toContain('Nothing to apply: no project');
    expect(early.answer).toContain('`/plan -p prod`');

    const planned = await command(pr, 'alice', '/plan -p prod');
    expect(planned.reactions).toEqual(['eyes', 'rocket']);
    expect(planComment(pr)).toContain('aws_ssm_parameter.release');
    expect(planComment(pr)).not.toContain('autoplan is off');
    await waitFor('the apply check to wait for /apply', () => a.check(OWNER, repo, headSha, 'infra-review/apply')?.status === 'queued');
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.summary).toContain('`prod`');

    const refused = await command(pr, 'alice', '/apply');
    expect(refused.reactions, refused.answer).toEqual(['eyes', 'confused']);
    expect(refused.answer).toContain('approvals are missing');
    expect(stateValue(statePath('prod'))).toBeUndefined();
    // The approval check now knows prod's plan risk (before, its files counted as critical).
    expect(a.check(OWNER, repo, headSha, 'infra-review/approval')?.output.summary).not.toContain('has no plan risk');

    await a.receive('pull_request_review', await a.double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check', () => a.check(OWNER, repo, headSha, 'infra-review/approval')?.conclusion === 'success');

    const applied = await command(pr, 'alice', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(applied.answer).toContain('`prod`** applied');
    expect(stateValue(statePath('prod'))).toBe('v2');
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Applied' } });
  });

  it('does not call the PR applied (nor automerge it) while a project with autoplan off is not planned at the head', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'half-planned';
    const config = 'version: 1\nprojects:\n  - name: x\n    dir: envs/x\n  - name: y\n    dir: envs/y\n    autoplan: false\napply:\n  automerge: true\n  requirements:\n    approved: false\n';
    const { pr, headSha } = await openPlannedPr(
      repo,
      { '.github/infra-review.yml': config, 'envs/x/main.tf': project(statePath('x'), 'x1'), 'envs/y/main.tf': project(statePath('y'), 'y1') },
      { 'envs/x/main.tf': project(statePath('x'), 'x2'), 'envs/y/main.tf': project(statePath('y'), 'y2') },
    );
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Waiting for /plan and /apply' } });

    const first = await command(pr, 'alice', '/apply');
    expect(first.reactions, first.answer).toEqual(['eyes', 'rocket']);
    expect(first.answer).toContain('`x`** applied');
    expect(first.answer).toContain('`/plan -p y`');
    expect(first.answer).not.toContain('Every project with changes is applied');
    expect(stateValue(statePath('x'))).toBe('x2');
    expect((await a.double.pullRequest(pr)).merged).toBe(false);
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Waiting for /plan' } });

    // A second /apply has nothing planned left to apply, but is no "nothing to apply" while y waits.
    const again = await command(pr, 'alice', '/apply');
    expect(again.reactions, again.answer).toEqual(['eyes', 'confused']);
    expect(again.answer).toContain('`/plan -p y`');

    expect((await command(pr, 'alice', '/plan -p y')).reactions).toEqual(['eyes', 'rocket']);
    const last = await command(pr, 'alice', '/apply');
    expect(last.reactions, last.answer).toEqual(['eyes', 'rocket']);
    expect(stateValue(statePath('y'))).toBe('y2');
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Applied' } });
    expect((await a.double.pullRequest(pr)).merged).toBe(true);
  });

  it('applies a PR that changes 300 files: its plan result is stored whole', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    a.double.setPermission('bob', 'write');
    const repo = 'many-files';
    // 299 documentation files besides the project's: the plan result lists every changed path (about 25 KB of JSON).
    const docs = Object.fromEntries(Array.from({ length: 299 }, (_, index) => [`docs/runbooks/infrastructure/environment-notes/page-${String(index).padStart(3, '0')}.md`, `page ${index}\n`]));
    const { pr, headSha } = await openPlannedPr(repo, { 'envs/prod/main.tf': project(statePath('prod'), 'v1') }, { 'envs/prod/main.tf': project(statePath('prod'), 'v2'), ...docs });
    await a.endedJobs(OWNER, repo, pr.number, 'plan');
    const job = (await a.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, pr: pr.number, kind: 'plan' }))[0]!;
    expect(job.result).toMatchObject({ outcome: 'published', headSha });
    expect((job.result as { files: unknown[] }).files).toHaveLength(300);

    await a.receive('pull_request_review', await a.double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check', () => a.check(OWNER, repo, headSha, 'infra-review/approval')?.conclusion === 'success');
    const applied = await command(pr, 'alice', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(applied.answer).toContain('`envs/prod`** applied');
    expect(stateValue(statePath('prod'))).toBe('v2');
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Applied' } });
  });

  it('fails the approval policy closed when the PR changes more files than GitHub lists, and `/apply` says why', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    a.double.setPermission('bob', 'write');
    const repo = 'too-many-files';
    const reason = 'this PR changes 3,000 files or more; GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR';
    // 3,000 documentation files sort before envs/: GitHub's listing stops before the one file @bob owns.
    const docs = Object.fromEntries(Array.from({ length: 3000 }, (_, index) => [`docs/page-${String(index).padStart(4, '0')}.md`, `page ${index}\n`]));
    const { pr, headSha } = await openPlannedPr(
      repo,
      { '.github/INFRAOWNERS': '/envs/prod/  @bob\n', 'envs/prod/main.tf': project(statePath('prod'), 'v1') },
      { 'envs/prod/main.tf': project(statePath('prod'), 'v2'), ...docs },
    );
    // The known project is still planned; the comment says why approvals cannot pass.
    expect(a.check(OWNER, repo, headSha, 'infra-review/plan')).toMatchObject({ conclusion: 'success' });
    expect(planComment(pr)).toContain('GitHub lists no more than 3,000 changed files of a PR');
    const approval = a.check(OWNER, repo, headSha, 'infra-review/approval')!;
    expect(approval).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Approval policy cannot be evaluated' } });
    expect(approval.output.summary).toContain(reason);

    // No approval makes it pass: the owner of the unlisted file approving changes nothing.
    await a.receive('pull_request_review', await a.double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval job after the review', async () =>
      (await a.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, pr: pr.number, kind: 'approval' })).some((job) => job.status === 'succeeded'),
    );
    expect(a.check(OWNER, repo, headSha, 'infra-review/approval')).toMatchObject({ conclusion: 'failure', output: { title: 'Approval policy cannot be evaluated' } });

    const refused = await command(pr, 'alice', '/apply');
    expect(refused.reactions, refused.answer).toEqual(['eyes', 'confused']);
    expect(refused.answer).toContain(`**approved**: ${reason}`);
    expect(refused.answer).toContain('Split the PR');
    expect(stateValue(statePath('prod'))).toBeUndefined();
  });

  it('keeps the other project in the checks and the comment after `/plan -p` of one, and `/apply` applies both', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    a.double.setPermission('bob', 'write');
    const repo = 'two-projects';
    const config = 'version: 1\nprojects:\n  - name: x\n    dir: envs/x\n  - name: y\n    dir: envs/y\n';
    // Only y's files need an approval, and only while y's plan risk is known to be low or above: an
    // evaluation that lost y's plan (or its files' project) would ask for nothing.
    const owners = '[risk:low]\n/envs/y/  @bob\n';
    const { pr, headSha } = await openPlannedPr(
      repo,
      { '.github/infra-review.yml': config, '.github/INFRAOWNERS': owners, 'envs/x/main.tf': project(statePath('x'), 'x1'), 'envs/y/main.tf': project(statePath('y'), 'y1') },
      { 'envs/x/main.tf': project(statePath('x'), 'x2'), 'envs/y/main.tf': project(statePath('y'), 'y2') },
    );
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.summary).toMatch(/`x`.*`y`/);
    expect(a.check(OWNER, repo, headSha, 'infra-review/approval')).toMatchObject({ conclusion: 'action_required', output: { summary: expect.stringContaining('@bob') } });
    const firstPlanRun = a.check(OWNER, repo, headSha, 'infra-review/plan')!;

    const planned = await command(pr, 'alice', '/plan -p x');
    expect(planned.reactions).toEqual(['eyes', 'rocket']);
    await waitFor('the /plan to publish its plan check', () => a.check(OWNER, repo, headSha, 'infra-review/plan')!.id !== firstPlanRun.id && a.check(OWNER, repo, headSha, 'infra-review/plan')!.status === 'completed');

    // Both projects are still waiting for /apply, and the comment still shows y (planned earlier at this head).
    const applyCheck = a.check(OWNER, repo, headSha, 'infra-review/apply')!;
    expect(applyCheck.status).toBe('queued');
    expect(applyCheck.output.summary).toContain('`x`');
    expect(applyCheck.output.summary).toContain('`y`');
    const comment = planComment(pr);
    expect(comment).toMatch(/\| <code>x<\/code> \| 1 \| 0 \| 0 \| 0 \|/);
    expect(comment).toMatch(/\| <code>y<\/code> \| 1 \| 0 \| 0 \| 0 \|.*planned earlier at this commit/);
    expect(comment).toContain('**2 to add, 0 to change, 0 to destroy');
    expect(a.check(OWNER, repo, headSha, 'infra-review/plan')).toMatchObject({ conclusion: 'success', output: { title: '2 projects planned' } });
    // Approvals were evaluated with y's risk and files, although this run planned x alone.
    expect(a.check(OWNER, repo, headSha, 'infra-review/approval')).toMatchObject({ conclusion: 'action_required', output: { summary: expect.stringContaining('@bob') } });

    await a.receive('pull_request_review', await a.double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    await waitFor('the approval check', () => a.check(OWNER, repo, headSha, 'infra-review/approval')?.conclusion === 'success');
    const applied = await command(pr, 'alice', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(stateValue(statePath('x'))).toBe('x2');
    expect(stateValue(statePath('y'))).toBe('y2');
    expect(a.check(OWNER, repo, headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Applied' } });
  });

  it('maps every changed file to its project for approvals when `/plan -p` is the only plan of the head (a draft)', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'draft-plan';
    const config = 'version: 1\nprojects:\n  - name: x\n    dir: envs/x\n  - name: y\n    dir: envs/y\n';
    await a.double.createRepo(OWNER, repo, {
      '.github/infra-review.yml': config,
      '.github/INFRAOWNERS': '[risk:low]\n/envs/y/  @bob\n',
      'envs/x/main.tf': project(statePath('x'), 'x1'),
      'envs/y/main.tf': project(statePath('y'), 'y1'),
    });
    const headSha = await a.double.pushCommit(OWNER, repo, 'change', { 'envs/x/main.tf': project(statePath('x'), 'x2'), 'envs/y/main.tf': project(statePath('y'), 'y2') }, 'Change');
    const opened = await a.double.openPullRequest({ owner: OWNER, repo, head: 'change', author: 'alice', title: 'Change', draft: true });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the draft to be left unplanned', () => a.check(OWNER, repo, headSha, 'infra-review/plan')?.status === 'completed' && planComment(pr).includes('draft'));

    const planned = await command(pr, 'alice', '/plan -p x');
    expect(planned.reactions).toEqual(['eyes', 'rocket']);
    await waitFor('the /plan to publish the apply check', () => a.check(OWNER, repo, headSha, 'infra-review/apply'));
    // y's files belong to y, whose risk is unknown (not planned): critical, so bob's approval is required.
    const approval = a.check(OWNER, repo, headSha, 'infra-review/approval')!;
    expect(approval.conclusion).toBe('action_required');
    expect(approval.output.summary).toContain('@bob');
    expect(approval.output.summary).toContain('Project y has no plan risk');
    // y is affected but no plan of this head planned it: the apply check waits for it as well as for x.
    const applyCheck = a.check(OWNER, repo, headSha, 'infra-review/apply')!;
    expect(applyCheck).toMatchObject({ status: 'queued', output: { title: 'Waiting for /plan and /apply' } });
    expect(applyCheck.output.summary).toContain('Still to apply: `x`.');
    expect(applyCheck.output.summary).toContain('`y`: not planned at');
    expect(applyCheck.output.summary).toContain('`/plan -p y`');
    expect(planComment(pr)).toMatch(/\| <code>y<\/code> \|.*skipped/);
  });
  it('plans a `/plan` with the base commit it was checked against, fetched once, even when the base moves in between', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'moving-base';
    const { pr, headSha } = await openPlannedPr(
      repo,
      { '.github/infra-review.yml': 'version: 1\n', 'envs/prod/main.tf': project(statePath('prod'), 'v1') },
      { 'envs/prod/main.tf': project(statePath('prod'), 'v2') },
    );

    // Two git fetches in all: the base once (read by the command, and its plan uses what it read), then the head.
    a.double.clearRequests();
    expect((await command(pr, 'alice', '/plan')).reactions).toEqual(['eyes', 'rocket']);
    expect(a.double.requests({ kind: 'git', method: 'GET', path: /\/info\/refs$/ })).toHaveLength(2);

    // The job reads the base's config, then asks for alice's permission: the base branch's config turns
    // invalid right then, after the command read a valid one and before the plan.
    let movedBase: string | undefined;
    a.double.beforeNext({ method: 'GET', pathPattern: `/repos/${OWNER}/${repo}/collaborators/alice/permission` }, async () => {
      movedBase = await a.double.pushCommit(OWNER, repo, 'main', { '.github/infra-review.yml': 'version: 1\nversion: 1\n' }, 'Break the config');
    });
    const planned = await command(pr, 'alice', '/plan');
    expect(planned.reactions).toEqual(['eyes', 'rocket']);
    expect(movedBase).toBeDefined();
    expect(await a.double.resolveRef(OWNER, repo, 'main')).toBe(movedBase);
    // Authorised, validated and planned under the one base commit: the plan is published, not "invalid config".
    expect(a.check(OWNER, repo, headSha, 'infra-review/plan')).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(planComment(pr)).toContain('aws_ssm_parameter.release');
    expect(planComment(pr)).not.toContain('configuration error');
  });

  it('publishes nothing for an old head when a newer push arrives while `/plan` runs, like a superseded autoplan', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'plan-then-push';
    const { pr, headSha: oldHead, gate, started } = await openGatedPr(repo);

    // `/plan` of the old head starts and waits at the gate...
    await writeFile(gate, '');
    const comment = await a.double.addComment({ ...pr, user: 'alice', body: '/plan' });
    await a.receive('issue_comment', comment);
    await waitFor('the /plan to reach the gate', () => existsSync(started));

    // ...a newer head is pushed and planned...
    const newHead = await a.double.pushCommit(OWNER, repo, 'change', { 'envs/prod/main.tf': project(statePath('prod'), 'v3'), 'envs/prod/slow': null }, 'Change again');
    await a.receive('pull_request', await a.double.synchronizePullRequest(pr));
    await waitFor('the autoplan of the new head', () => a.check(OWNER, repo, newHead, 'infra-review/apply') && planComment(pr).includes(newHead.slice(0, 7)));
    const commentOfNewHead = planComment(pr);
    const oldHeadChecks = () => a.double.checkRunsFor(OWNER, repo, oldHead).map((run) => [run.id, run.name, run.status, run.conclusion, run.output.title]);
    const oldChecksBefore = oldHeadChecks();

    // ...then the old head's /plan goes on: it publishes nothing (comment, checks), and says why.
    await rm(gate);
    await waitFor('the /plan to finish', () => a.double.commentReactions(comment.comment.id).length > 1, 120_000);
    expect(a.double.commentReactions(comment.comment.id).map((r) => r.content)).toEqual(['eyes', 'confused']);
    const answer = botAnswersAfter(pr, comment.comment.id).at(-1)?.body ?? '';
    expect(answer).toContain('cancelled by a newer push');
    expect(planComment(pr)).toBe(commentOfNewHead);
    expect(oldHeadChecks()).toEqual(oldChecksBefore);
    const [job] = await a.endedJobs(OWNER, repo, pr.number, 'command');
    expect(job?.status).toBe('superseded');
    // The stopped /plan left no new plan of the old head (newest first: its own, stopped at the gate; the autoplan's).
    expect((await a.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha: oldHead })).map((plan) => plan.status)).toEqual(['failed', 'planned']);
  });

  it('answers a `/plan` stopped by a shutdown that it was interrupted by a restart and to comment `/plan` again, not that it failed', async () => {
    app = await startAppUnderTest({ env: { SHUTDOWN_GRACE_SECONDS: '1' } });
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'plan-then-restart';
    await whilePlanWaitsAtGate(repo, async ({ pr, headSha, comment, applyCheckBefore }) => {
      // The server shuts down (a restart, a deploy): after the 1 s grace the running /plan is stopped.
      await a.runtime.stop();

      expect(a.double.commentReactions(comment.comment.id).map((r) => r.content)).toEqual(['eyes', 'confused']);
      const answers = botAnswersAfter(pr, comment.comment.id);
      // One answer: the interrupted-job report does not repeat what the /plan said itself.
      expect(answers.map((c) => c.body)).toEqual([
        ':warning: `/plan` was interrupted by a restart of infra-review before it finished; its plan was not published. Comment `/plan` again to plan the head.',
      ]);
      // A /plan changes nothing: its head's plan check says it was interrupted; the apply check is left as it was.
      expect(a.check(OWNER, repo, headSha, 'infra-review/plan')?.output.title).toBe('Plan interrupted');
      expect(a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.title).toBe(applyCheckBefore);
    });
  });

  it('answers a `/plan` whose job was lost (another replica declared it abandoned) once, with the interrupted-job report, never "cancelled by a newer push"', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('alice', 'write');
    const repo = 'plan-then-lost';
    await whilePlanWaitsAtGate(repo, async ({ pr, headSha, comment, applyCheckBefore }) => {
      // Another replica finds the job's lease expired (its heartbeats did not reach the store), marks it
      // interrupted and reports it, as its queue's onInterrupted hook does.
      const interrupted = await a.runtime.store.recoverInterruptedJobs({ leaseMs: -60_000, exceptOwner: 'replica-b' });
      expect(interrupted.map((job) => job.kind)).toEqual(['command']);
      await reportInterruptedJobs(a.runtime.jobServices(), interrupted, 'abandoned');
      // This worker's next heartbeat learns it lost the job: the /plan stops.
      await waitFor('the lost /plan to stop', () => a.runtime.queue.runningJobs.length === 0 && a.double.commentReactions(comment.comment.id).length > 1, 30_000);

      expect(a.double.commentReactions(comment.comment.id).map((r) => r.content)).toEqual(['eyes', 'confused']);
      const answers = botAnswersAfter(pr, comment.comment.id);
      // One answer, the report's: the lost /plan does not repeat it nor claim a newer push replans the head.
      expect(answers).toHaveLength(1);
      expect(answers[0]!.body).toContain('Comment `/plan` to plan again');
      expect(answers[0]!.body).not.toContain('newer push');
      // Nobody knows whether infra-review was restarted: the worker only stopped answering the store.
      expect(answers[0]!.body).toContain(
        '**The worker running a `/plan` of ' + headSha.slice(0, 7) + ' stopped answering** (infra-review was restarted, crashed, or lost contact with its database).',
      );
      expect(answers[0]!.body).not.toContain('infra-review was restarted while');
      expect(a.check(OWNER, repo, headSha, 'infra-review/plan')?.output.title).toBe('Plan interrupted');
      expect(a.check(OWNER, repo, headSha, 'infra-review/plan')?.output.summary).toBe(
        'The plan was interrupted: the worker running it stopped answering (infra-review was restarted, crashed, or lost contact with its database). Comment `/plan` to plan again.',
      );
      expect(a.check(OWNER, repo, headSha, 'infra-review/apply')?.output.title).toBe(applyCheckBefore);
      expect((await a.runtime.store.getJob(interrupted[0]!.id))?.status).toBe('interrupted');
    });
  });
});
