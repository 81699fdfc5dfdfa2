import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STANDIN, startAppUnderTest, waitFor, type AppUnderTest } from './helpers/app-under-test.js';
import { standinCalls } from '../e2e/harness/e2e-helpers.js';

/**
 * `/apply` and `/rollback` paths beyond the happy lifecycle: a failed apply rolls back once and a failed
 * rollback never loops; a risky rollback waits for `--confirm` from an owner; two PRs racing for one
 * project: exactly one applies.
 */

const OWNER = 'acme';

function project(statePath: string, resources: Record<string, string>): string {
  return [
    `terraform {\n  backend "local" {\n    path = "${statePath}"\n  }\n}\n`,
    ...Object.entries(resources).map(([name, value]) => `resource "aws_ssm_parameter" "${name}" {\n  value = "${value}"\n  type  = "String"\n}\n`),
  ].join('\n');
}

/** The `value` of each resource in the local-backend state file, by resource name. */
async function stateValues(file: string): Promise<Record<string, string>> {
  if (!existsSync(file)) return {};
  const state = JSON.parse(await readFile(file, 'utf8')) as { resources: { name: string; instances: { attributes: { value: string } }[] }[] };
  return Object.fromEntries(state.resources.map((resource) => [resource.name, resource.instances[0]?.attributes.value ?? '']));
}

async function stateNames(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const state = JSON.parse(await readFile(file, 'utf8')) as { resources: { name: string }[] };
  return state.resources.map((resource) => resource.name).sort();
}

describe.skipIf(!existsSync(STANDIN))('slash commands that change infrastructure', () => {
  let app: AppUnderTest | undefined;
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'ir-commands-state-'));
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A repo whose base has `base` resources in envs/prod, and an open PR that sets `head` resources; planned. */
  async function plannedPr(repo: string, config: string, base: Record<string, string>, head: Record<string, string>, branch = 'change') {
    const a = app!;
    const state = path.join(stateDir, `${repo}.tfstate`);
    const exists = (await a.double.resolveRef(OWNER, repo, 'refs/heads/main').catch(() => null)) !== null;
    if (!exists) {
      // bob owns envs/ (an owner may confirm a risky rollback); approvals are switched off by each test's config.
      await a.double.createRepo(OWNER, repo, { 'envs/prod/main.tf': project(state, base), '.github/infra-review.yml': config, '.github/INFRAOWNERS': '/envs/  @bob\n' });
    }
    const headSha = await a.double.pushCommit(OWNER, repo, branch, { 'envs/prod/main.tf': project(state, head) }, `PR ${branch}`);
    const opened = await a.double.openPullRequest({ owner: OWNER, repo, head: branch, author: 'alice', title: branch });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the plan job', () => a.check(OWNER, repo, headSha, 'infra-review/apply'));
    expect(a.check(OWNER, repo, headSha, 'infra-review/plan')?.conclusion).toBe('success');
    return { pr, headSha, state };
  }

  async function command(pr: { owner: string; repo: string; number: number }, user: string, body: string): Promise<{ reactions: string[]; answer: string }> {
    const a = app!;
    const comment = await a.double.addComment({ ...pr, user, body });
    await a.receive('issue_comment', comment);
    const reactions = () => a.double.commentReactions(comment.comment.id).map((r) => r.content);
    await waitFor(`an answer to ${body}`, () => reactions().length > 1, 120_000);
    const answers = a.double.issueComments(pr).filter((c) => c.user?.type === 'Bot' && !c.body?.includes('<!-- infra-review:plan'));
    return { reactions: reactions(), answer: answers.at(-1)?.body ?? '' };
  }

  it('rolls back once after a failed apply, and a failed rollback never loops', async () => {
    // IAC_PASS_ENV is how server variables reach the IaC steps (and the stand-in's failure switch with them).
    app = await startAppUnderTest({ env: { IAC_STANDIN_FAIL: 'apply', IAC_PASS_ENV: 'IAC_STANDIN_*' } });
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  on_failure: true\n';
    const { pr, state } = await plannedPr('autorollback', config, { a: 'v1' }, { a: 'v2' });

    const { reactions, answer } = await command(pr, 'bob', '/apply');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('failed to apply');
    expect(answer).toContain('Automatic rollback');
    expect(answer).toContain('the rollback FAILED');
    const applies = await app.runtime.store.listApplies({ repo: `${OWNER}/autorollback`, pr: pr.number });
    expect(applies.map((a) => [a.kind, a.outcome]).sort()).toEqual([
      ['apply', 'failed'],
      ['rollback', 'failed'],
    ]);
    // The stand-in failed before writing anything: no state at all.
    expect(await stateNames(state)).toEqual([]);
    // Give a loop the chance to show itself: nothing more is attempted.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await app.runtime.store.listApplies({ repo: `${OWNER}/autorollback`, pr: pr.number })).toHaveLength(2);
  });

  it('holds a rollback above rollback.max_risk until an owner confirms it', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    app.double.setPermission('carol', 'write');
    // bob owns envs/ (a confirmation needs an owner), carol does not.
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  max_risk: low\n';
    const { pr, headSha, state } = await plannedPr('riskyrollback', config, {}, { created: 'v1' });
    // The plans a held rollback made of the known-good commit: never left appliable (`--confirm` plans again).
    const rollbackPlans = async () => (await app!.runtime.store.listPlans({ repo: `${OWNER}/riskyrollback`, pr: pr.number })).filter((plan) => plan.headSha !== headSha).map((plan) => plan.status);

    const applied = await command(pr, 'bob', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(await stateNames(state)).toEqual(['created']);

    // Reverting the PR deletes what it created: high risk, above max_risk (low).
    const held = await command(pr, 'bob', '/rollback');
    expect(held.reactions).toEqual(['eyes', 'confused']);
    expect(held.answer).toContain('--confirm');
    expect(held.answer).toContain('rollback.max_risk');
    expect(await stateNames(state)).toEqual(['created']);

    const notOwner = await command(pr, 'carol', '/rollback --confirm');
    expect(notOwner.reactions).toEqual(['eyes', 'confused']);
    expect(notOwner.answer).toContain('Only an owner');
    expect(await stateNames(state)).toEqual(['created']);
    expect(await rollbackPlans()).toEqual(['discarded', 'discarded']);

    const confirmed = await command(pr, 'bob', '/rollback --confirm');
    expect(confirmed.reactions, confirmed.answer).toEqual(['eyes', 'rocket']);
    expect(await stateNames(state)).toEqual([]);
    expect(await rollbackPlans()).toEqual(['applied', 'discarded', 'discarded']);
  });

  it('publishes infra-review/apply by the one rule after /rollback: untouched when nothing was rolled back; after a rollback, /plan -p then /apply', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  max_risk: low\n';
    const { pr, headSha, state } = await plannedPr('rollbackcheck', config, {}, { created: 'v1' });
    const applyCheck = () => app!.check(OWNER, 'rollbackcheck', headSha, 'infra-review/apply');
    const applied = { status: 'completed', conclusion: 'success', output: { title: 'Applied' } };

    expect((await command(pr, 'bob', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    expect(applyCheck()).toMatchObject(applied);

    // Held for --confirm: nothing was rolled back, so the PR's change is live and the check still says applied.
    const held = await command(pr, 'bob', '/rollback');
    expect(held.reactions).toEqual(['eyes', 'confused']);
    expect(applyCheck()).toMatchObject(applied);

    const confirmed = await command(pr, 'bob', '/rollback --confirm');
    expect(confirmed.reactions, confirmed.answer).toEqual(['eyes', 'rocket']);
    expect(await stateNames(state)).toEqual([]);
    // The head's plan was made before the rollback: the next step is a new plan, then /apply.
    expect(applyCheck()).toMatchObject({ status: 'queued', output: { title: 'Rolled back: waiting for /plan' } });
    expect(applyCheck()?.output.summary).toContain("`envs/prod`: rolled back to");
    expect(applyCheck()?.output.summary).toContain('comment `/plan -p envs/prod`, then `/apply` once approved');

    // As the check says, /apply cannot use that plan, and says why (not by accident, through the rollback's own plan).
    const stale = await command(pr, 'bob', '/apply');
    expect(stale.reactions).toEqual(['eyes', 'confused']);
    expect(stale.answer).toContain('was made before the rollback of `envs/prod`');
    expect(stale.answer).not.toContain('plan_current');
    expect(await stateNames(state)).toEqual([]);

    expect((await command(pr, 'bob', '/plan -p envs/prod')).reactions).toEqual(['eyes', 'rocket']);
    expect(applyCheck()).toMatchObject({ status: 'queued', output: { title: 'Rolled back: waiting for /apply' } });

    const again = await command(pr, 'bob', '/apply');
    expect(again.reactions, again.answer).toEqual(['eyes', 'rocket']);
    expect(await stateNames(state)).toEqual(['created']);
    expect(applyCheck()).toMatchObject(applied);
  });

  it('lets exactly one of two PRs apply the same project; the other is told which PR holds the lock', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\n';
    const first = await plannedPr('race', config, { a: 'v1' }, { a: 'v2' }, 'one');
    const second = await plannedPr('race', config, { a: 'v1' }, { a: 'v3' }, 'two');

    const a = app;
    const comments = await Promise.all([a.double.addComment({ ...first.pr, user: 'bob', body: '/apply' }), a.double.addComment({ ...second.pr, user: 'bob', body: '/apply' })]);
    await Promise.all(comments.map((comment) => a.receive('issue_comment', comment)));
    const outcome = (id: number) => a.double.commentReactions(id).map((r) => r.content).at(-1);
    await waitFor('both answers', () => comments.every((c) => ['rocket', 'confused'].includes(outcome(c.comment.id) ?? '')), 120_000);
    const results = comments.map((c) => outcome(c.comment.id)).sort();
    expect(results).toEqual(['confused', 'rocket']);
    const winner = comments.findIndex((c) => outcome(c.comment.id) === 'rocket');
    const loserPr = winner === 0 ? second.pr : first.pr;
    const winnerPr = winner === 0 ? first.pr : second.pr;
    const refusal = a.double.issueComments(loserPr).filter((c) => c.user?.type === 'Bot').at(-1)?.body ?? '';
    expect(refusal).toContain(`locked by PR #${winnerPr.number}`);
    const applies = await a.runtime.store.listApplies({ repo: `${OWNER}/race` });
    expect(applies.filter((x) => x.outcome === 'succeeded').map((x) => x.pr)).toEqual([winnerPr.number]);
  });
  it('rolls a project back to its last known-good configuration when an apply fails', async () => {
    app = await startAppUnderTest({ env: { IAC_STANDIN_FAIL_APPLY_IF: 'v2-broken', IAC_PASS_ENV: 'IAC_STANDIN_*' } });
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  on_failure: true\n';
    const { pr, state } = await plannedPr('recover', config, { a: 'v1' }, { a: 'v2-broken' });

    const { reactions, answer } = await command(pr, 'bob', '/apply');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('failed to apply');
    expect(answer).toContain('rolled back');
    // The base configuration (v1) is what runs now, not the PR's broken v2.
    const parsed = JSON.parse(await readFile(state, 'utf8')) as { resources: { instances: { attributes: { value: string } }[] }[] };
    expect(parsed.resources[0]?.instances[0]?.attributes.value).toBe('v1');
    const applies = await app.runtime.store.listApplies({ repo: `${OWNER}/recover`, pr: pr.number });
    expect(applies.map((a) => [a.kind, a.outcome]).sort()).toEqual([
      ['apply', 'failed'],
      ['rollback', 'succeeded'],
    ]);
  });

  it('merges the PR at the applied SHA once every project is applied (apply.automerge)', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  automerge: true\n  merge_method: squash\n  requirements:\n    approved: false\n';
    const { pr, state } = await plannedPr('automerge', config, { a: 'v1' }, { a: 'v2' });
    const { reactions, answer } = await command(pr, 'bob', '/apply');
    expect(reactions, answer).toEqual(['eyes', 'rocket']);
    expect(answer).toContain('the PR was merged');
    expect(await stateNames(state)).toEqual(['a']);
    const merges = app.double.requests({ method: 'PUT', path: /\/pulls\/\d+\/merge$/ });
    expect(merges).toHaveLength(1);
    expect(merges[0]?.body).toMatchObject({ merge_method: 'squash' });
  });

  it('applies a saved plan once when two /apply comments run at the same time: the other is refused and runs nothing', async () => {
    const log = path.join(stateDir, 'standin.log');
    app = await startAppUnderTest({ env: { IAC_STANDIN_LOG: log, IAC_PASS_ENV: 'IAC_STANDIN_*', WORKER_CONCURRENCY: '2' } });
    const a = app;
    a.double.setPermission('bob', 'write');
    a.double.setPermission('carol', 'write');
    const { pr, state } = await plannedPr('twice', 'apply:\n  requirements:\n    approved: false\n', { a: 'v1' }, { a: 'v2' });
    const comments = [await a.double.addComment({ ...pr, user: 'bob', body: '/apply' }), await a.double.addComment({ ...pr, user: 'carol', body: '/apply' })];
    await Promise.all(comments.map((comment) => a.receive('issue_comment', comment)));
    const reactions = (id: number) => a.double.commentReactions(id).map((r) => r.content);
    await waitFor('both answers', () => comments.every((c) => reactions(c.comment.id).length > 1), 120_000);

    expect(comments.map((c) => reactions(c.comment.id).at(-1)).sort()).toEqual(['confused', 'rocket']);
    expect(standinCalls(log).filter((call) => call.argv[0] === 'apply')).toHaveLength(1);
    expect((await a.runtime.store.listApplies({ repo: `${OWNER}/twice`, pr: pr.number })).map((r) => [r.kind, r.outcome])).toEqual([['apply', 'succeeded']]);
    expect(await stateValues(state)).toEqual({ a: 'v2' });
  });

  it('refuses /rollback on a merged PR: it would return the project to before this PR and undo what later PRs applied; nothing runs and no lock is taken', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  automerge: true\n  requirements:\n    approved: false\n';
    const { pr, state } = await plannedPr('rollback-merged', config, { a: 'v1' }, { a: 'v2' });
    expect((await command(pr, 'bob', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    // Closing the merged PR released its locks.
    await app.receive('pull_request', await app.double.closePullRequest(pr));
    await waitFor('the locks to be released', async () => ((await app!.runtime.store.listLocks({ repo: `${OWNER}/rollback-merged` })).length === 0 ? true : undefined));
    const applies = await app.runtime.store.listApplies({ repo: `${OWNER}/rollback-merged`, pr: pr.number });

    const { reactions, answer } = await command(pr, 'bob', '/rollback');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('`/rollback` refused: the PR is merged.');
    expect(await stateNames(state)).toEqual(['a']);
    expect(await app.runtime.store.listApplies({ repo: `${OWNER}/rollback-merged`, pr: pr.number })).toEqual(applies);
    expect(await app.runtime.store.listLocks({ repo: `${OWNER}/rollback-merged` })).toEqual([]);
  });

  it('releases the PR\'s locks on /unlock, so another PR can apply', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\n';
    const first = await plannedPr('unlock', config, { a: 'v1' }, { a: 'v2' }, 'one');
    expect((await command(first.pr, 'bob', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    expect((await app.runtime.store.listLocks({ repo: `${OWNER}/unlock` })).map((l) => l.pr)).toEqual([first.pr.number]);

    const unlocked = await command(first.pr, 'bob', '/unlock');
    expect(unlocked.reactions).toEqual(['eyes', 'rocket']);
    expect(unlocked.answer).toContain('Released the lock on `envs/prod`');
    expect(await app.runtime.store.listLocks({ repo: `${OWNER}/unlock` })).toEqual([]);

    const second = await plannedPr('unlock', config, { a: 'v1' }, { a: 'v3' }, 'two');
    const applied = await command(second.pr, 'bob', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
  });
  it('refuses /apply after a /rollback on the same head until the project is planned again, without running anything', async () => {
    const log = path.join(stateDir, 'standin.log');
    app = await startAppUnderTest({ env: { IAC_STANDIN_LOG: log, IAC_PASS_ENV: 'IAC_STANDIN_*' } });
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  on_failure: true\n';
    const { pr, headSha, state } = await plannedPr('reapply', config, { a: 'v1' }, { a: 'v2' });
    const repoName = `${OWNER}/reapply`;
    const headPlan = await app.runtime.store.latestPlan({ repo: repoName, pr: pr.number, project: 'envs/prod', workspace: 'default', headSha });

    const applied = await command(pr, 'bob', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(await stateValues(state)).toEqual({ a: 'v2' });
    const rolledBack = await command(pr, 'bob', '/rollback');
    expect(rolledBack.reactions, rolledBack.answer).toEqual(['eyes', 'rocket']);
    expect(rolledBack.answer).toContain('comment `/plan -p envs/prod` (or push a commit), then `/apply`');
    expect(await stateValues(state)).toEqual({ a: 'v1' });
    expect(app.check(OWNER, 'reapply', headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Rolled back: waiting for /plan' } });
    const stateBefore = await readFile(state, 'utf8');
    const callsBefore = standinCalls(log).length;
    const appliesBefore = await app.runtime.store.listApplies({ repo: repoName, pr: pr.number });
    const locksBefore = await app.runtime.store.listLocks({ repo: repoName });
    const deploymentsBefore = app.double.deploymentsFor(OWNER, 'reapply').length;

    // The head's plan was applied, then outdated by the rollback: /apply says so and what to type, and runs nothing.
    for (const body of ['/apply', '/apply -p envs/prod']) {
      const again = await command(pr, 'bob', body);
      expect(again.reactions, again.answer).toEqual(['eyes', 'confused']);
      expect(again.answer).toContain('nothing was run');
      expect(again.answer).toContain(`was made before the rollback of \`envs/prod\` to ${appliesBefore[0]!.sha.slice(0, 7)} by @bob`);
      expect(again.answer).toContain('Comment `/plan -p envs/prod` (or push a commit)');
      expect(again.answer).not.toContain('Automatic rollback');
    }
    expect(standinCalls(log)).toHaveLength(callsBefore);
    expect(await readFile(state, 'utf8')).toBe(stateBefore);
    expect(await app.runtime.store.listApplies({ repo: repoName, pr: pr.number })).toEqual(appliesBefore);
    expect(await app.runtime.store.listLocks({ repo: repoName })).toEqual(locksBefore);
    expect(app.double.deploymentsFor(OWNER, 'reapply')).toHaveLength(deploymentsBefore);
    expect((await app.runtime.store.getPlan(headPlan!.id))?.status).toBe('applied');
    const refusals = (await app.runtime.store.listAudit({ repo: repoName, pr: pr.number })).filter((event) => event.action === 'decision:apply-refused');
    expect(refusals.map((event) => event.reason?.slice(0, 23))).toEqual(['plan spent: envs/prod: ', 'plan spent: envs/prod: ']);

    // A fresh plan of the same head applies again.
    const replanned = await command(pr, 'bob', '/plan');
    expect(replanned.reactions).toEqual(['eyes', 'rocket']);
    expect(app.check(OWNER, 'reapply', headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Rolled back: waiting for /apply' } });
    const reapplied = await command(pr, 'bob', '/apply');
    expect(reapplied.reactions, reapplied.answer).toEqual(['eyes', 'rocket']);
    expect(await stateValues(state)).toEqual({ a: 'v2' });
    const applies = await app.runtime.store.listApplies({ repo: repoName, pr: pr.number });
    expect(applies.map((a) => [a.kind, a.outcome, a.sha])).toEqual([
      ['apply', 'succeeded', headSha],
      ['rollback', 'succeeded', appliesBefore[0]!.sha],
      ['apply', 'succeeded', headSha],
    ]);
    const fresh = await app.runtime.store.latestPlan({ repo: repoName, pr: pr.number, project: 'envs/prod', workspace: 'default', headSha });
    expect(fresh!.id).toBeGreaterThan(appliesBefore[0]!.planId!);
    expect(fresh?.status).toBe('applied');
    expect(applies[0]?.planId).toBe(fresh?.id);
    expect(app.check(OWNER, 'reapply', headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('never applies a spent plan again: /apply -p of an applied project is refused, and no automatic rollback undoes it', async () => {
    const log = path.join(stateDir, 'standin.log');
    app = await startAppUnderTest({ env: { IAC_STANDIN_LOG: log, IAC_PASS_ENV: 'IAC_STANDIN_*' } });
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  on_failure: true\n';
    const { pr, headSha, state } = await plannedPr('twice', config, { a: 'v1' }, { a: 'v2' });

    expect((await command(pr, 'bob', '/apply -p envs/prod')).reactions).toEqual(['eyes', 'rocket']);
    const callsBefore = standinCalls(log).length;
    const again = await command(pr, 'bob', '/apply -p envs/prod');
    expect(again.reactions, again.answer).toEqual(['eyes', 'confused']);
    expect(again.answer).toContain('was already applied by @bob: a saved plan can be applied only once');
    expect(standinCalls(log)).toHaveLength(callsBefore);
    expect(await stateValues(state)).toEqual({ a: 'v2' });
    expect((await app.runtime.store.listApplies({ repo: `${OWNER}/twice`, pr: pr.number })).map((a) => [a.kind, a.outcome])).toEqual([['apply', 'succeeded']]);
    expect(app.check(OWNER, 'twice', headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('never applies the plan a rollback made as the PR\'s own, even with plan_current off', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\n    plan_current: false\nrollback:\n  on_failure: true\n';
    const { pr, state } = await plannedPr('pcoff', config, { a: 'v1' }, { a: 'v2' });
    expect((await command(pr, 'bob', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    expect((await command(pr, 'bob', '/rollback')).reactions).toEqual(['eyes', 'rocket']);

    const again = await command(pr, 'bob', '/apply');
    expect(again.reactions, again.answer).toEqual(['eyes', 'confused']);
    expect(again.answer).toContain('was made before the rollback');
    expect(await stateValues(state)).toEqual({ a: 'v1' });
    expect((await app.runtime.store.listApplies({ repo: `${OWNER}/pcoff`, pr: pr.number })).map((a) => [a.kind, a.outcome])).toEqual([
      ['rollback', 'succeeded'],
      ['apply', 'succeeded'],
    ]);
  });

  it('reports a plan the tool finds stale as stale, not as a failed change: no automatic rollback, honest check and deployment', async () => {
    app = await startAppUnderTest();
    app.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\nrollback:\n  on_failure: true\n';
    // Two PRs planned against the same state; the first applies (and gives its lock back), which outdates the second's plan.
    const first = await plannedPr('stale', config, { a: 'v1' }, { a: 'v2' }, 'one');
    const second = await plannedPr('stale', config, { a: 'v1' }, { a: 'v3' }, 'two');
    expect((await command(first.pr, 'bob', '/apply')).reactions).toEqual(['eyes', 'rocket']);
    expect((await command(first.pr, 'bob', '/unlock')).reactions).toEqual(['eyes', 'rocket']);
    const state = second.state;
    expect(await stateValues(state)).toEqual({ a: 'v2' });
    const stateBefore = await readFile(state, 'utf8');
    const repoName = `${OWNER}/stale`;
    const plan = await app.runtime.store.latestPlan({ repo: repoName, pr: second.pr.number, project: 'envs/prod', workspace: 'default', headSha: second.headSha });

    const stale = await command(second.pr, 'bob', '/apply');
    expect(stale.reactions, stale.answer).toEqual(['eyes', 'confused']);
    expect(stale.answer).toContain('was not applied: its saved plan is stale');
    expect(stale.answer).toContain('Error: Saved plan is stale');
    expect(stale.answer).toContain('Comment `/plan -p envs/prod` (or push a commit)');
    expect(stale.answer).not.toContain('failed to apply');
    expect(stale.answer).not.toContain('Automatic rollback');
    expect(await readFile(state, 'utf8')).toBe(stateBefore);
    // The store: a stale apply (not a failed one), no rollback; the plan is marked stale.
    const applies = await app.runtime.store.listApplies({ repo: repoName, pr: second.pr.number });
    expect(applies.map((a) => [a.kind, a.outcome, a.planId])).toEqual([['apply', 'stale', plan!.id]]);
    expect((await app.runtime.store.getPlan(plan!.id))?.status).toBe('stale');
    const audit = (await app.runtime.store.listAudit({ repo: repoName, pr: second.pr.number })).map((event) => event.action);
    expect(audit).toContain('apply:stale');
    expect(audit).not.toContain('apply:failed');
    // The check waits for a new plan (pending, never passing); the deployment says it could not be carried out.
    expect(app.check(OWNER, 'stale', second.headSha, 'infra-review/apply')).toMatchObject({ status: 'queued', output: { title: 'Saved plan is stale: waiting for /plan' } });
    const deployments = app.double.deploymentsFor(OWNER, 'stale').filter((d) => d.deployment.sha === second.headSha);
    expect(deployments).toHaveLength(1);
    const deployment = deployments[0]!;
    // Newest first, as GitHub lists them.
    expect(deployment.statuses.map((status) => status.state)).toEqual(['error', 'in_progress']);
    expect(deployment.statuses[0]?.description).toContain('the saved plan is stale');
    // The lock as after any finished apply: this PR took it and holds it until merged, closed or /unlock.
    expect((await app.runtime.store.listLocks({ repo: repoName })).map((lock) => lock.pr)).toEqual([second.pr.number]);

    // /apply again refuses without running; /plan then /apply applies this PR's change.
    const again = await command(second.pr, 'bob', '/apply');
    expect(again.reactions).toEqual(['eyes', 'confused']);
    expect(again.answer).toContain('was stale when @bob applied it');
    expect((await command(second.pr, 'bob', '/plan')).reactions).toEqual(['eyes', 'rocket']);
    const applied = await command(second.pr, 'bob', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(await stateValues(state)).toEqual({ a: 'v3' });
    expect((await app.runtime.store.listApplies({ repo: repoName, pr: second.pr.number })).map((a) => [a.kind, a.outcome])).toEqual([
      ['apply', 'succeeded'],
      ['apply', 'stale'],
    ]);
    expect(app.check(OWNER, 'stale', second.headSha, 'infra-review/apply')).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('reads config and INFRAOWNERS for /apply from the base commit over git: a PR naming a new owner cannot approve itself, and no contents-API read', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('bob', 'write');
    a.double.setPermission('carol', 'write');
    const state = path.join(stateDir, 'selfowned.tfstate');
    await a.double.createRepo(OWNER, 'selfowned', { 'envs/prod/main.tf': project(state, { a: 'v1' }), '.github/INFRAOWNERS': '/envs/  @bob\n' });
    // The PR makes carol the owner of envs/ and changes the project; carol approves and runs /apply.
    const headSha = await a.double.pushCommit(OWNER, 'selfowned', 'change', { 'envs/prod/main.tf': project(state, { a: 'v2' }), '.github/INFRAOWNERS': '/envs/  @carol\n' }, 'Own it');
    const opened = await a.double.openPullRequest({ owner: OWNER, repo: 'selfowned', head: 'change', author: 'alice', title: 'own it' });
    const pr = { owner: OWNER, repo: 'selfowned', number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the plan job', () => a.check(OWNER, 'selfowned', headSha, 'infra-review/apply'));
    await a.double.addReview({ ...pr, user: 'carol', state: 'APPROVED' });
    a.double.clearRequests();

    const { reactions, answer } = await command(pr, 'carol', '/apply');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('**approved**');
    expect(answer).toContain('@bob');
    expect(await stateValues(state)).toEqual({});
    expect(a.check(OWNER, 'selfowned', headSha, 'infra-review/approval')?.conclusion).not.toBe('success');
    // The base was fetched over git; nothing was read through the contents API.
    expect(a.double.requests({ path: /\/contents\// }).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(a.double.requests({ kind: 'git' }).length).toBeGreaterThan(0);
  });

  it('refuses /apply and /rollback on a PR into a branch other than the default one, whose rules anyone who can push could have written, without reading them', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('mallory', 'write');
    const state = path.join(stateDir, 'side-base.tfstate');
    // main: approvals from bob required. A branch pushed by a writer: approvals off, anyone may apply.
    await a.double.createRepo(OWNER, 'side-base', { 'envs/prod/main.tf': project(state, { a: 'v1' }), '.github/INFRAOWNERS': '/envs/  @bob\n' });
    await a.double.pushCommit(OWNER, 'side-base', 'lenient', { '.github/infra-review.yml': 'version: 1\napply:\n  requirements:\n    approved: false\n    undiverged: false\n', '.github/INFRAOWNERS': null }, 'No rules here');
    const headSha = await a.double.pushCommit(OWNER, 'side-base', 'change', { 'envs/prod/main.tf': project(state, { a: 'v2' }) }, 'Change prod');
    const opened = await a.double.openPullRequest({ owner: OWNER, repo: 'side-base', head: 'change', base: 'lenient', author: 'mallory', title: 'prod via a side door' });
    const pr = { owner: OWNER, repo: 'side-base', number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the plan job', () => a.check(OWNER, 'side-base', headSha, 'infra-review/apply'));
    a.double.clearRequests();

    for (const body of ['/apply', '/rollback']) {
      const { reactions, answer } = await command(pr, 'mallory', body);
      expect(reactions).toEqual(['eyes', 'confused']);
      expect(answer).toContain(`\`${body}\` refused: this PR is into \`lenient\`, not the default branch \`main\``);
    }
    expect(await stateValues(state)).toEqual({});
    expect(await a.runtime.store.listApplies({ repo: `${OWNER}/side-base`, pr: pr.number })).toEqual([]);
    const audit = await a.runtime.store.listAudit({ repo: `${OWNER}/side-base`, pr: pr.number });
    expect(audit.filter((event) => event.action.startsWith('decision:')).map((event) => [event.action, event.reason])).toEqual([
      ['decision:apply-refused', 'base lenient is not the default branch main'],
      ['decision:rollback-refused', 'base lenient is not the default branch main'],
    ]);
    // The side branch's rules were not even read.
    expect(a.double.requests({ kind: 'git' })).toEqual([]);
  });

  it('refuses /apply when the base branch changed the project after the plan (undiverged), judged against the base commit fetched for config, with no REST lookup of the branch', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('bob', 'write');
    const config = 'apply:\n  requirements:\n    approved: false\n';
    const { pr, state } = await plannedPr('diverged', config, { a: 'v1' }, { a: 'v2' });
    const planBase = (await a.runtime.store.listPlans({ repo: `${OWNER}/diverged`, pr: pr.number }))[0]?.baseSha;
    // After the plan, another change lands on main inside envs/prod.
    const movedBase = await a.double.pushCommit(OWNER, 'diverged', 'main', { 'envs/prod/extra.tf': 'locals {\n  x = 1\n}\n' }, 'Touch prod on main');
    a.double.clearRequests();

    const refused = await command(pr, 'bob', '/apply');
    expect(refused.reactions).toEqual(['eyes', 'confused']);
    expect(refused.answer).toContain('**undiverged**');
    expect(refused.answer).toContain('`envs/prod/extra.tf`');
    expect(await stateValues(state)).toEqual({});
    // The base's tip came from the git fetch that read the config, not from GET git/ref: the comparison runs from the plan's base to that commit.
    expect(a.double.requests({ path: /\/git\/ref/ })).toEqual([]);
    expect(a.double.requests({ path: /\/compare\// }).map((r) => r.path)).toEqual([`/repos/${OWNER}/diverged/compare/${planBase}...${movedBase}`]);

    // A second PR planned on the moved base; main then moves again outside every project: that does not block it.
    const second = await plannedPr('diverged', config, { a: 'v1' }, { a: 'v3' }, 'change2');
    await a.double.pushCommit(OWNER, 'diverged', 'main', { 'README.md': 'docs\n' }, 'Docs only');
    const applied = await command(second.pr, 'bob', '/apply');
    expect(applied.reactions, applied.answer).toEqual(['eyes', 'rocket']);
    expect(await stateValues(state)).toEqual({ a: 'v3' });
  });

  it('refuses /apply (undiverged) when the base moved a file out of the project after the plan: a rename counts by its old name too', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('bob', 'write');
    const state = path.join(stateDir, 'renamed.tfstate');
    const moved = 'locals {\n  # shared settings, moved out of the project on main after the plan\n  y = 2\n}\n';
    await a.double.createRepo(OWNER, 'renamed', { 'envs/prod/main.tf': project(state, { a: 'v1' }), 'envs/prod/settings.tf': moved, '.github/infra-review.yml': 'apply:\n  requirements:\n    approved: false\n' });
    const headSha = await a.double.pushCommit(OWNER, 'renamed', 'change', { 'envs/prod/main.tf': project(state, { a: 'v2' }) }, 'Change prod');
    const opened = await a.double.openPullRequest({ owner: OWNER, repo: 'renamed', head: 'change', author: 'alice', title: 'change' });
    const pr = { owner: OWNER, repo: 'renamed', number: opened.pull_request.number };
    await a.receive('pull_request', opened);
    await waitFor('the plan job', () => a.check(OWNER, 'renamed', headSha, 'infra-review/apply'));
    // main renames the file out of envs/prod: the project's configuration on main is no longer what was planned.
    await a.double.pushCommit(OWNER, 'renamed', 'main', { 'envs/prod/settings.tf': null, 'archive/settings.tf.txt': moved }, 'Move settings out');
    expect((await a.double.git.diffFiles(OWNER, 'renamed', opened.pull_request.base.sha, 'main')).map((f) => [f.status, f.filename, f.previousFilename])).toEqual([['renamed', 'archive/settings.tf.txt', 'envs/prod/settings.tf']]);

    const refused = await command(pr, 'bob', '/apply');
    expect(refused.reactions, refused.answer).toEqual(['eyes', 'confused']);
    expect(refused.answer).toContain('**undiverged**');
    expect(refused.answer).toContain('`envs/prod/settings.tf`');
    expect(await stateValues(state)).toEqual({});
  });

  it('refuses a command while the base config is invalid, listing each error with its line, read over git', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('bob', 'write');
    const { pr } = await plannedPr('badconfig', 'apply:\n  requirements:\n    approved: false\n', { a: 'v1' }, { a: 'v2' });
    // The base branch's config turns invalid after the plan: the command reads the base as it is now.
    await a.double.pushCommit(OWNER, 'badconfig', 'main', { '.github/infra-review.yml': 'version: 1\nversion: 1\n' }, 'Break the config');
    a.double.clearRequests();

    const { reactions, answer } = await command(pr, 'bob', '/apply');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('`.github/infra-review.yml` on `main` is invalid');
    expect(answer).toContain('.github/infra-review.yml:2:1: Map keys must be unique');
    expect(a.double.requests({ path: /\/contents\// }).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('answers a command whose base policy path is not a readable file with the problem, and runs nothing', async () => {
    app = await startAppUnderTest();
    const a = app;
    a.double.setPermission('bob', 'write');
    const { pr, state } = await plannedPr('dirowners', 'apply:\n  requirements:\n    approved: false\n', { a: 'v1' }, { a: 'v2' });
    // After the plan, the base's INFRAOWNERS becomes a directory.
    await a.double.pushCommit(OWNER, 'dirowners', 'main', { '.github/INFRAOWNERS': null, '.github/INFRAOWNERS/x': 'x\n' }, 'Oops');

    const { reactions, answer } = await command(pr, 'bob', '/apply');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(answer).toContain('.github/INFRAOWNERS is a directory, expected a file');
    expect(answer).toContain('Nothing was changed');
    expect(await stateValues(state)).toEqual({});
  });
});
