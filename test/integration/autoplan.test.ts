import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubDouble } from '../e2e/harness/github-double.js';
import { STANDIN, startAppUnderTest, waitFor, type AppUnderTest } from './helpers/app-under-test.js';
import { PLAN_MARKER, standinCalls } from '../e2e/harness/e2e-helpers.js';

/**
 * Autoplan scenarios through the real app (in-process Probot, the GitHub double, the IaC stand-in):
 * each asserts on what GitHub holds (comments, checks) and on the store. Each scenario has its own
 * repository so they stay independent.
 */

const OWNER = 'acme';

function backend(statePath: string): string {
  return ['terraform {', '  backend "local" {', `    path = "${statePath}"`, '  }', '}', ''].join('\n');
}

function parameter(name: string, value: string): string {
  return [`resource "aws_ssm_parameter" "${name}" {`, `  value = "${value}"`, '  type  = "String"', '}', ''].join('\n');
}

async function walkFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walkFiles(full) : Promise.resolve(entry.isFile() ? [full] : []);
    }),
  );
  return nested.flat();
}

describe.skipIf(!existsSync(STANDIN))('autoplan scenarios', () => {
  let app: AppUnderTest;
  let double: GitHubDouble;
  let tmp: string;
  const logLines: string[] = [];
  const standinLog = () => path.join(tmp, 'standin.log');
  const state = (name: string) => path.join(tmp, `${name}.tfstate`);

  /** Opens a PR from `branch` (already pushed) and waits for its plan check to complete and its plan comment. */
  const openAndPlan = async (repo: string, branch: string, extra: { fork?: boolean } = {}) => {
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: branch, author: 'alice', title: branch, ...extra });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    const headSha = opened.pull_request.head.sha;
    await app.receive('pull_request', opened);
    // A skipped or invalid-config plan completes its check first and writes the comment after it.
    const check = await waitFor('the plan check to complete and the plan comment', () => {
      const run = app.check(OWNER, repo, headSha, 'infra-review/plan');
      return run?.status === 'completed' && double.issueComments(pr).some((comment) => comment.body?.startsWith(PLAN_MARKER)) ? run : undefined;
    });
    const comments = double.issueComments(pr).map((comment) => comment.body ?? '');
    return { pr, headSha, check, comments, planComment: comments.find((body) => body.startsWith(PLAN_MARKER)) ?? '' };
  };

  /**
   * Plans a PR that changes envs/prod (whose files @bob owns) in a new `repo`, then changes the base branch by
   * `baseChange` and lets @bob approve; returns the plan comment from before the change, the approval jobs the
   * review ran, and the approval check and the plan comment after them.
   */
  const reviewAfterBaseChanged = async (repo: string, baseChange: Record<string, string | null>) => {
    await double.createRepo(OWNER, repo, {
      '.github/INFRAOWNERS': '/envs/  @bob\n',
      'envs/prod/main.tf': `${backend(state(`${repo}-prod`))}${parameter('release', 'v1')}`,
    });
    await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': `${backend(state(`${repo}-prod`))}${parameter('release', 'v2')}` }, 'Release');
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'release');
    expect(check.conclusion).toBe('success');
    await double.pushCommit(OWNER, repo, 'main', baseChange, 'Oops');

    await app.receive('pull_request_review', await double.addReview({ ...pr, user: 'bob', state: 'APPROVED' }));
    const jobs = await app.endedJobs(OWNER, repo, pr.number, 'approval');
    const approval = app.check(OWNER, repo, headSha, 'infra-review/approval');
    const after = double.issueComments(pr).find((comment) => comment.body?.startsWith(PLAN_MARKER))?.body ?? '';
    return { planComment, jobs, approval, after };
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ir-autoplan-'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    app = await startAppUnderTest({
      env: { IAC_STANDIN_LOG: standinLog(), IAC_PASS_ENV: 'IAC_STANDIN_*' },
      log: pino({ level: 'trace' }, sink),
    });
    double = app.double;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('plans both roots that use a local module when only the module changes', async () => {
    const repo = 'modules';
    const root = (env: string) => `${backend(state(`modules-${env}`))}module "net" {\n  source = "../../modules/network"\n}\n\n${parameter('marker', env)}`;
    await double.createRepo(OWNER, repo, {
      'modules/network/main.tf': parameter('cidr', '10.0.0.0/16'),
      'envs/prod/main.tf': root('prod'),
      'envs/staging/main.tf': root('staging'),
      'envs/unrelated/main.tf': `${backend(state('modules-unrelated'))}${parameter('other', 'x')}`,
    });
    await double.pushCommit(OWNER, repo, 'wider-net', { 'modules/network/main.tf': parameter('cidr', '10.1.0.0/16') }, 'Widen the network');
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'wider-net');

    expect(check.conclusion, check.output.summary ?? '').toBe('success');
    expect(planComment).toContain('envs/prod');
    expect(planComment).toContain('envs/staging');
    expect(planComment).not.toContain('envs/unrelated');
    const plans = await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha });
    expect(plans.map((plan) => [plan.project, plan.status]).sort()).toEqual([
      ['envs/prod', 'planned'],
      ['envs/staging', 'planned'],
    ]);
  });

  it('plans nothing and lists every error with its line when the base config is invalid', async () => {
    const repo = 'bad-config';
    await double.createRepo(OWNER, repo, {
      '.github/infra-review.yml': 'version: 1\nautoplann: true\nforks:\n  allow: "yes"\n',
      'envs/prod/main.tf': `${backend(state('bad-config-prod'))}${parameter('release', 'v1')}`,
    });
    await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': `${backend(state('bad-config-prod'))}${parameter('release', 'v2')}` }, 'Release');
    const callsBefore = standinCalls(standinLog()).length;
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'release');

    expect(check.conclusion).toBe('failure');
    const summary = check.output.summary ?? '';
    expect(summary).toMatch(/\.github\/infra-review\.yml:2:\d+: .*autoplann/);
    expect(summary).toMatch(/\.github\/infra-review\.yml:4:\d+: forks\.allow/);
    expect(planComment).toContain('autoplann');
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
  });

  it('plans nothing and names the file and the problem when the base INFRAOWNERS is not a readable file; the job ends normally', async () => {
    const repo = 'dir-owners';
    await double.createRepo(OWNER, repo, {
      '.github/INFRAOWNERS/x': '/envs/  @bob\n',
      'envs/prod/main.tf': `${backend(state('dir-owners-prod'))}${parameter('release', 'v1')}`,
    });
    await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': `${backend(state('dir-owners-prod'))}${parameter('release', 'v2')}` }, 'Release');
    const callsBefore = standinCalls(standinLog()).length;
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: 'release', author: 'alice', title: 'release' });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    const headSha = opened.pull_request.head.sha;
    await app.receive('pull_request', opened);
    const [job] = await app.endedJobs(OWNER, repo, pr.number, 'plan');

    // An expected failure, reported to the user: not a job that failed unexpectedly.
    expect(job?.status).toBe('succeeded');
    const check = app.check(OWNER, repo, headSha, 'infra-review/plan');
    expect(check?.status).toBe('completed');
    expect(check?.conclusion).toBe('failure');
    expect(check?.output.title).toContain('.github/INFRAOWNERS');
    expect(check?.output.summary).toContain('`.github/INFRAOWNERS` on `main` cannot be read (.github/INFRAOWNERS is a directory, expected a file), so nothing was planned');
    const planComment = double.issueComments(pr).map((comment) => comment.body ?? '').find((body) => body.startsWith(PLAN_MARKER)) ?? '';
    expect(planComment).toContain('.github/INFRAOWNERS is a directory, expected a file');
    // Approvals cannot be evaluated without the policy: the check fails, it does not stay pending.
    const approval = app.check(OWNER, repo, headSha, 'infra-review/approval');
    expect(approval?.conclusion).toBe('failure');
    expect(approval?.output.summary).toContain('.github/INFRAOWNERS is a directory, expected a file');
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
    const [stored] = await app.runtime.store.listJobs({ repo: `${OWNER}/${repo}`, pr: pr.number, kind: 'plan' });
    expect(stored?.result).toMatchObject({ outcome: 'unreadable-base-file', projects: [] });
    // The job's workspace is gone.
    expect(existsSync(path.join(app.dataDir, 'workspaces')) ? await readdir(path.join(app.dataDir, 'workspaces')) : []).toEqual([]);
  });

  it('fails the approval check, naming the file and the problem, when a review comes after the base INFRAOWNERS became unreadable; the job ends normally', async () => {
    const { planComment, jobs, approval, after } = await reviewAfterBaseChanged('dir-owners-review', { '.github/INFRAOWNERS': null, '.github/INFRAOWNERS/x': 'x\n' });
    // Before the base changed, the approval line waited for @bob.
    expect(planComment).toContain('<!-- infra-review:approval -->\n⏳ **Approvals:** 0 of 1 requirement met; `/envs/` (line 1): 1 more from `@bob`.');
    expect(jobs.map((job) => job.status)).toEqual(['succeeded']);
    expect(approval?.conclusion).toBe('failure');
    expect(approval?.output.title).toBe('Unreadable .github/INFRAOWNERS');
    expect(approval?.output.summary).toContain('`.github/INFRAOWNERS` on `main` cannot be read (.github/INFRAOWNERS is a directory, expected a file)');
    // The plan comment's approval line says the same as the check, not the status before the review.
    expect(after).toContain(
      '<!-- infra-review:approval -->\n❌ **Approvals:** cannot be evaluated while `.github/INFRAOWNERS` on `main` cannot be read (.github/INFRAOWNERS is a directory, expected a file).\n<!-- /infra-review:approval -->',
    );
    expect(after).not.toContain('⏳ **Approvals:**');
  });

  it('fails the approval check and updates the plan comment\'s approval line when a review comes after the base config became invalid', async () => {
    const { planComment, jobs, approval, after } = await reviewAfterBaseChanged('invalid-config-review', { '.github/infra-review.yml': 'version: 1\napply:\n  requirements: [approved\n' });
    expect(planComment).toContain('⏳ **Approvals:**');
    expect(jobs.map((job) => job.status)).toEqual(['succeeded']);
    expect(approval?.conclusion).toBe('failure');
    expect(approval?.output.title).toBe('Invalid .github/infra-review.yml');
    expect(after).toContain('<!-- infra-review:approval -->\n❌ **Approvals:** cannot be evaluated while `.github/infra-review.yml` on `main` is invalid (see the `infra-review/approval` check).\n<!-- /infra-review:approval -->');
    expect(after).not.toContain('⏳ **Approvals:**');
  });

  it('plans nothing and says so when the base config is over 1 MB; the job ends normally', async () => {
    const repo = 'huge-config';
    await double.createRepo(OWNER, repo, {
      '.github/infra-review.yml': `version: 1\n# ${'x'.repeat(1024 * 1024)}\n`,
      'envs/prod/main.tf': `${backend(state('huge-config-prod'))}${parameter('release', 'v1')}`,
    });
    await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': `${backend(state('huge-config-prod'))}${parameter('release', 'v2')}` }, 'Release');
    const callsBefore = standinCalls(standinLog()).length;
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'release');

    const [job] = await app.endedJobs(OWNER, repo, pr.number, 'plan');
    expect(job?.status).toBe('succeeded');
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('Unreadable .github/infra-review.yml');
    expect(check.output.summary).toMatch(/\.github\/infra-review\.yml is \d+ bytes; files over 1048576 bytes are not read\), so nothing was planned/);
    expect(planComment).toContain('files over 1048576 bytes are not read');
    expect(app.check(OWNER, repo, headSha, 'infra-review/approval')?.conclusion).toBe('failure');
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
  });

  // Never followed: a symlink could point outside what the policy's reviewers see, a submodule at another repository's files.
  it.each([
    { name: 'symlink-owners', kind: 'symlink', file: '.github/INFRAOWNERS', entry: { symlink: '../docs/OWNERS' }, problem: '.github/INFRAOWNERS is a symlink, expected a regular file' },
    { name: 'submodule-config', kind: 'submodule', file: '.github/infra-review.yml', entry: { submodule: 'f'.repeat(40) }, problem: '.github/infra-review.yml is a submodule, expected a regular file' },
  ])('plans nothing and fails approvals when the base $file is a $kind (not followed)', async ({ name, file, entry, problem }) => {
    await double.createRepo(OWNER, name, {
      'docs/OWNERS': '/envs/  @alice\n',
      'envs/prod/main.tf': `${backend(state(`${name}-prod`))}${parameter('release', 'v1')}`,
    });
    // The default .github/INFRAOWNERS path is read when the config does not name one.
    await double.pushCommit(OWNER, name, 'main', { [file]: entry, ...(file === '.github/INFRAOWNERS' ? {} : { '.github/INFRAOWNERS': '/envs/  @bob\n' }) }, 'Rules');
    await double.pushCommit(OWNER, name, 'release', { 'envs/prod/main.tf': `${backend(state(`${name}-prod`))}${parameter('release', 'v2')}` }, 'Release');
    const callsBefore = standinCalls(standinLog()).length;
    const { pr, headSha, check, planComment } = await openAndPlan(name, 'release');

    const [job] = await app.endedJobs(OWNER, name, pr.number, 'plan');
    expect(job?.status).toBe('succeeded');
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe(`Unreadable ${file}`);
    expect(check.output.summary).toContain(`\`${file}\` on \`main\` cannot be read (${problem}), so nothing was planned`);
    expect(planComment).toContain(problem);
    const approval = app.check(OWNER, name, headSha, 'infra-review/approval');
    expect(approval?.conclusion).toBe('failure');
    expect(approval?.output.summary).toContain(problem);
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${name}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
  });

  it('fails only the project with an HCL syntax error, with its file and line, and plans the other', async () => {
    const repo = 'syntax';
    await double.createRepo(OWNER, repo, {
      'envs/prod/main.tf': `${backend(state('syntax-prod'))}${parameter('release', 'v1')}`,
      'envs/staging/main.tf': `${backend(state('syntax-staging'))}${parameter('release', 'v1')}`,
    });
    const broken = `${parameter('release', 'v2')}\nresource "aws_ssm_parameter" "oops" {\n  value = \n}\n`;
    await double.pushCommit(
      OWNER,
      repo,
      'typo',
      { 'envs/prod/main.tf': `${backend(state('syntax-prod'))}${parameter('release', 'v2')}`, 'envs/staging/main.tf': `${backend(state('syntax-staging'))}${broken}` },
      'Typo',
    );
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'typo');

    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('1 of 2 projects failed to plan');
    // backend (lines 1-5), parameter (6-9), a blank line, the broken resource: line 12 holds `value =`.
    expect(planComment).toMatch(/\nenvs\/staging\/main\.tf:12:\d+: /);
    expect(planComment).toContain('envs/prod');
    const plans = await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha });
    expect(plans.filter((plan) => plan.status === 'planned').map((plan) => plan.project)).toEqual(['envs/prod']);
    expect(plans.some((plan) => plan.project === 'envs/staging' && plan.status === 'planned')).toBe(false);
    // Nothing of envs/staging can be applied: the apply check fails (not pending, not green) and says why.
    const apply = await waitFor('the apply check', () => app.check(OWNER, repo, headSha, 'infra-review/apply'));
    expect(apply).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Plan failed' } });
    expect(apply.output.summary).toContain('`envs/staging`: the plan of');
  });

  it('does not plan a PR from a fork: neutral check, the comment says why, nothing stored', async () => {
    const repo = 'forked';
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': `${backend(state('forked-prod'))}${parameter('release', 'v1')}` });
    await double.pushCommit(OWNER, repo, 'from-fork', { 'envs/prod/main.tf': `${backend(state('forked-prod'))}${parameter('release', 'v2')}` }, 'From a fork');
    const callsBefore = standinCalls(standinLog()).length;
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'from-fork', { fork: true });

    expect(check.conclusion).toBe('neutral');
    expect(planComment).toContain('fork');
    expect(planComment).toContain('forks.allow');
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
  });

  it('takes the config from the base branch: a fork PR allowing forks in its own config is still not planned', async () => {
    const repo = 'fork-config';
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': `${backend(state('fork-config-prod'))}${parameter('release', 'v1')}` });
    await double.pushCommit(
      OWNER,
      repo,
      'let-me-in',
      { '.github/infra-review.yml': 'version: 1\nforks:\n  allow: true\n', 'envs/prod/main.tf': `${backend(state('fork-config-prod'))}${parameter('release', 'v2')}` },
      'Allow forks',
    );
    const callsBefore = standinCalls(standinLog()).length;
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'let-me-in', { fork: true });

    expect(check.conclusion).toBe('neutral');
    expect(planComment).toContain('forks.allow');
    expect(await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha })).toEqual([]);
    expect(standinCalls(standinLog()).length).toBe(callsBefore);
  });

  it('takes the config from the base branch: turning autoplan off in the PR does not stop this plan', async () => {
    const repo = 'own-config';
    await double.createRepo(OWNER, repo, {
      '.github/infra-review.yml': 'version: 1\nprojects:\n  - dir: envs/prod\n    autoplan: true\n',
      'envs/prod/main.tf': `${backend(state('own-config-prod'))}${parameter('release', 'v1')}`,
    });
    await double.pushCommit(
      OWNER,
      repo,
      'quiet',
      { '.github/infra-review.yml': 'version: 1\nprojects:\n  - dir: envs/prod\n    autoplan: false\n', 'envs/prod/main.tf': `${backend(state('own-config-prod'))}${parameter('release', 'v2')}` },
      'Turn autoplan off',
    );
    const { pr, headSha, check, planComment } = await openAndPlan(repo, 'quiet');

    expect(check.conclusion, check.output.summary ?? '').toBe('success');
    expect(planComment).toContain('`.github/infra-review.yml`: the change takes effect after merge');
    expect(planComment).not.toContain('autoplan is off');
    const plans = await app.runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha });
    expect(plans.map((plan) => [plan.project, plan.status])).toEqual([['envs/prod', 'planned']]);
  });

  it('splits a plan larger than a comment into continuation comments, the summary intact in the first', async () => {
    const repo = 'large';
    const big = (version: string) =>
      Array.from({ length: 400 }, (_, index) => parameter(`p${index}`, `${version}-${String(index).padStart(4, '0')}-${'x'.repeat(300)}`)).join('\n');
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': `${backend(state('large-prod'))}${big('v1')}` });
    await double.pushCommit(OWNER, repo, 'big', { 'envs/prod/main.tf': `${backend(state('large-prod'))}${big('v2')}` }, 'Big');
    const { comments, check, planComment } = await openAndPlan(repo, 'big');

    expect(check.conclusion, planComment).toBe('success');
    expect(planComment).toContain('envs/prod');
    expect(planComment).toMatch(/400 to add/);
    const parts = comments.filter((body) => body.startsWith('<!-- infra-review:plan:part-'));
    expect(parts.length).toBeGreaterThan(0);
    expect(parts[0]).toMatch(/^<!-- infra-review:plan:part-2 -->/);
    for (const body of [planComment, ...parts]) expect(body.length).toBeLessThanOrEqual(65_536);
    // The whole diff is published across the parts: the last resource is in some comment.
    expect([planComment, ...parts].some((body) => body.includes('aws_ssm_parameter.p399'))).toBe(true);
  });

  it('never writes an installation token to GitHub, the logs or DATA_DIR', async () => {
    const repo = 'tokens';
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': `${backend(state('tokens-prod'))}${parameter('release', 'v1')}` });
    await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': `${backend(state('tokens-prod'))}${parameter('release', 'v2')}` }, 'Release');
    const { check } = await openAndPlan(repo, 'release');
    expect(check.conclusion).toBe('success');

    const tokens = double.issuedTokens();
    expect(tokens.length).toBeGreaterThan(0);
    const published: string[] = [];
    for (const name of ['modules', 'bad-config', 'dir-owners', 'dir-owners-review', 'huge-config', 'syntax', 'forked', 'large', 'tokens']) {
      for (const run of double.checkRunsFor(OWNER, name)) published.push(run.output.title ?? '', run.output.summary ?? '', run.output.text ?? '');
      for (let number = 1; number <= 3; number += 1) {
        try {
          published.push(...double.issueComments({ owner: OWNER, repo: name, number }).map((comment) => comment.body ?? ''));
        } catch {
          // no such PR in this repository
        }
      }
    }
    const files = await walkFiles(app.dataDir);
    const stored = files.map((file) => readFileSync(file).toString('latin1'));
    const logs = logLines.join('');
    // The sinks are not empty, so the absence below means something.
    expect(published.join('').length).toBeGreaterThan(1000);
    expect(logs.length).toBeGreaterThan(0);
    expect(files.length).toBeGreaterThan(0);
    for (const token of tokens) {
      expect(published.filter((text) => text.includes(token))).toEqual([]);
      expect(logs.includes(token)).toBe(false);
      expect(files.filter((_, index) => stored[index]!.includes(token))).toEqual([]);
    }
  });
});

/** PIDs of running stand-in processes whose working directory is `dir` (Linux /proc). */
function standinProcessesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('iac-standin') && !cmdline.includes('iac-standin/bin/tofu')) continue;
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe.skipIf(!existsSync(STANDIN) || !existsSync('/proc/self/cwd'))('autoplan: a newer push cancels the running plan', () => {
  let app: AppUnderTest;
  let tmp: string;
  const standinLog = () => path.join(tmp, 'standin.log');

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ir-autoplan-hang-'));
    app = await startAppUnderTest({
      env: { IAC_STANDIN_LOG: standinLog(), IAC_STANDIN_HANG: 'plan', IAC_PASS_ENV: 'IAC_STANDIN_*', SHUTDOWN_GRACE_SECONDS: '1' },
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('stops the first plan, kills its process and publishes nothing for it', async () => {
    const { double, runtime } = app;
    const repo = 'superseded';
    const file = (version: string) => `${backend(path.join(tmp, 'prod.tfstate'))}${parameter('release', version)}`;
    await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': file('v1') });
    const head1 = await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': file('v2') }, 'v2');
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: 'release', author: 'alice', title: 'Release' });
    const pr = { owner: OWNER, repo, number: opened.pull_request.number };
    await app.receive('pull_request', opened);

    const hung = await waitFor('the first plan to hang in the stand-in', () => standinCalls(standinLog()).find((call) => call.argv.includes('plan')));
    expect(standinProcessesIn(hung.cwd).length).toBeGreaterThan(0);

    const head2 = await double.pushCommit(OWNER, repo, 'release', { 'envs/prod/main.tf': file('v3') }, 'v3');
    await app.receive('pull_request', await double.synchronizePullRequest(pr));

    const first = await waitFor('the first plan job to end', async () => {
      const job = (await runtime.store.listJobs({ repo: `${OWNER}/${repo}`, pr: pr.number, kind: 'plan' })).find((candidate) => candidate.headSha === head1);
      return job && job.status !== 'running' && job.status !== 'queued' ? job : undefined;
    });
    expect(first.status).toBe('superseded');
    expect(first.cancelReason).toContain(head2);
    await waitFor('the hung stand-in to be killed', () => standinProcessesIn(hung.cwd).length === 0, 10_000);

    // Nothing was published for head 1: no comment, and its plan check (if any) never completed as planned.
    const comments = double.issueComments(pr).map((comment) => comment.body ?? '');
    expect(comments.filter((body) => body.includes(head1) || body.includes(head1.slice(0, 7)))).toEqual([]);
    const head1Checks = double.checkRunsFor(OWNER, repo, head1).filter((run) => run.name === 'infra-review/plan');
    expect(head1Checks.filter((run) => run.status === 'completed' && run.conclusion === 'success')).toEqual([]);
    expect(await runtime.store.listPlans({ repo: `${OWNER}/${repo}`, pr: pr.number, headSha: head1 })).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ status: 'planned' })]),
    );
    // The newer head is being planned (and hangs too; stopping the runtime ends it).
    await waitFor('the second plan to start', () => standinCalls(standinLog()).filter((call) => call.argv.includes('plan')).length >= 2);
  });
});
