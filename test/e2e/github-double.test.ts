import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { Probot, ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_BODY_LIMIT, GitHubDouble } from './harness/github-double.js';
import { generateAppKey } from './harness/start-app.js';

/**
 * The double on its own, driven by Probot's own Octokit (the client the app uses), so every
 * test exercises the same auth flow, URL building and pagination the app will.
 */

const APP_ID = 77;
const key = generateAppKey();
const OWNER = 'acme';
const REPO = 'infra';

type Octo = Awaited<ReturnType<Probot['auth']>>;

function probotFor(double: GitHubDouble, privateKey = key.privateKey): Probot {
  return new Probot({
    appId: APP_ID,
    privateKey,
    baseUrl: double.apiUrl,
    // Raw answers: no retries or throttling, so injected failures reach the test unchanged.
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
}

function httpStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? (error as { status: number }).status : undefined;
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return httpStatus(error);
  }
}

describe('GitHub double', () => {
  let double: GitHubDouble;
  let octokit: Octo;
  let installationId: number;

  beforeAll(async () => {
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    ({ installationId } = await double.createRepo(OWNER, REPO, {
      'main.tf': 'resource "null_resource" "a" {}\n',
      'old-name.tf': 'variable "x" {\n  default = "unchanged content that survives the rename"\n}\n',
      'gone.tf': 'output "o" { value = 1 }\n',
      '.github/infra-review.yml': 'projects:\n  - dir: envs/prod\n',
      'envs/prod/main.tf': 'module "m" { source = "../../modules/m" }\n',
    }));
    await double.pushCommit(
      OWNER,
      REPO,
      'feature',
      {
        'main.tf': 'resource "null_resource" "a" {}\nresource "null_resource" "b" {}\n',
        'old-name.tf': null,
        'new-name.tf': 'variable "x" {\n  default = "unchanged content that survives the rename"\n}\n',
        'gone.tf': null,
        'added.tf': 'locals { a = 1 }\n',
      },
      'Change things',
    );
    await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'feature', author: 'alice', title: 'Change things' });
    octokit = await probotFor(double).auth(installationId);
  });

  afterAll(async () => {
    await double?.stop();
  });

  afterEach(() => {
    expect(double.unknownRequests()).toEqual([]);
  });

  describe('authentication', () => {
    it('exchanges the app JWT for an installation token the way Probot asks for it', async () => {
      double.clearRequests();
      const fresh = await probotFor(double).auth(installationId);
      await fresh.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 });

      const [exchange, get] = double.requests();
      expect(exchange).toMatchObject({ method: 'POST', path: `/app/installations/${installationId}/access_tokens`, auth: 'jwt', status: 201 });
      expect(get).toMatchObject({ method: 'GET', path: `/repos/${OWNER}/${REPO}/pulls/1`, auth: 'installation', installationId, status: 200 });
      expect(Object.keys(get?.headers ?? {})).not.toContain('authorization');
    });

    it('rejects a JWT signed by another key', async () => {
      const impostor = await probotFor(double, generateAppKey().privateKey).auth(installationId);
      expect(await statusOf(impostor.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 }))).toBe(401);
      expect(double.requests({ path: `/app/installations/${installationId}/access_tokens` }).at(-1)).toMatchObject({ auth: 'invalid', status: 401 });
    });

    it('answers REST calls without a valid installation token with 401', async () => {
      const call = (authorization?: string) => fetch(`${double.apiUrl}/repos/${OWNER}/${REPO}/pulls/1`, { headers: authorization ? { authorization } : {} });
      expect((await call()).status).toBe(401);
      expect((await call('token ghs_made_up')).status).toBe(401);
      const expiring = double.issueInstallationToken(OWNER);
      expect((await call(`token ${expiring}`)).status).toBe(200);
      double.expireTokens();
      expect((await call(`token ${expiring}`)).status).toBe(401);
      octokit = await probotFor(double).auth(installationId);
    });

    it('hides repositories of other accounts from an installation (404, as GitHub does)', async () => {
      await double.createRepo('other-org', 'secret', { 'a.tf': '' });
      expect(await statusOf(octokit.rest.repos.getContent({ owner: 'other-org', repo: 'secret', path: 'a.tf' }))).toBe(404);
    });
  });

  describe('pull requests', () => {
    it('lists the files git reports, renames included, paginated with Link headers', async () => {
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: OWNER, repo: REPO, pull_number: 1, per_page: 2 });

      const byName = Object.fromEntries(files.map((f) => [f.filename, f]));
      expect(Object.keys(byName).sort()).toEqual(['added.tf', 'gone.tf', 'main.tf', 'new-name.tf']);
      expect(byName['new-name.tf']).toMatchObject({ status: 'renamed', previous_filename: 'old-name.tf' });
      expect(byName['gone.tf']).toMatchObject({ status: 'removed', deletions: 1, sha: null });
      expect(byName['added.tf']).toMatchObject({ status: 'added', additions: 1 });
      expect(byName['main.tf']).toMatchObject({ status: 'modified', additions: 1, deletions: 0 });
      expect(byName['main.tf']?.patch).toContain('+resource "null_resource" "b" {}');
      const pages = double.requests({ method: 'GET', path: `/repos/${OWNER}/${REPO}/pulls/1/files` });
      expect(pages.map((r) => r.query.page ?? '1')).toEqual(['1', '2']);
    });

    it('lists at most 3,000 files of a PR, as GitHub does, while changed_files counts them all', async () => {
      const many = Object.fromEntries(Array.from({ length: 3001 }, (_, index) => [`many/file-${String(index).padStart(4, '0')}.md`, `${index}\n`]));
      await double.pushCommit(OWNER, REPO, 'huge', many, 'Many files');
      const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'huge', author: 'alice', title: 'Many files' });
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: OWNER, repo: REPO, pull_number: opened.pull_request.number, per_page: 100 });
      expect(files).toHaveLength(3000);
      expect(files.at(-1)?.filename).toBe('many/file-2999.md');
      const { data } = await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: opened.pull_request.number });
      expect(data.changed_files).toBe(3001);
      await double.closePullRequest({ owner: OWNER, repo: REPO, number: opened.pull_request.number });
    });

    it('reports head and base SHAs of the real repository', async () => {
      const { data } = await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 });
      expect(data.head.sha).toBe(await double.resolveRef(OWNER, REPO, 'refs/heads/feature'));
      expect(data.base.sha).toBe(await double.resolveRef(OWNER, REPO, 'refs/heads/main'));
      expect(data).toMatchObject({ number: 1, state: 'open', changed_files: 4, commits: 1, user: { login: 'alice' } });
      expect(data.head.repo.clone_url).toBe(`${double.url}/${OWNER}/${REPO}.git`);
    });

    it('lists reviews in order with upper-case states, and dismissals stick', async () => {
      await double.addReview({ owner: OWNER, repo: REPO, number: 1, user: 'bob', state: 'CHANGES_REQUESTED' });
      const approval = await double.addReview({ owner: OWNER, repo: REPO, number: 1, user: 'carol', state: 'APPROVED' });
      expect(approval.review.state).toBe('approved');

      const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner: OWNER, repo: REPO, pull_number: 1, per_page: 1 });
      expect(reviews.map((r) => [r.user?.login, r.state])).toEqual([
        ['bob', 'CHANGES_REQUESTED'],
        ['carol', 'APPROVED'],
      ]);
      const head = await double.resolveRef(OWNER, REPO, 'refs/heads/feature');
      expect(reviews.every((r) => r.commit_id === head)).toBe(true);

      double.dismissReview(Number(reviews[0]?.id));
      const after = await octokit.rest.pulls.listReviews({ owner: OWNER, repo: REPO, pull_number: 1 });
      expect(after.data[0]?.state).toBe('DISMISSED');
    });

    it('compares two refs: ahead, behind and the files since the merge base', async () => {
      await double.pushCommit(OWNER, REPO, 'main', { 'unrelated.md': 'x\n' }, 'Move main');
      const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: OWNER, repo: REPO, basehead: 'main...feature' });
      expect(data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1, total_commits: 1 });
      expect(data.files?.map((f) => f.filename).sort()).toEqual(['added.tf', 'gone.tf', 'main.tf', 'new-name.tf']);
      expect(data.commits[0]?.commit.message).toBe('Change things');
    });

    it('merges with a real merge commit; a stale SHA gets 409 and a closed PR 405', async () => {
      await double.pushCommit(OWNER, REPO, 'to-merge', { 'merge-me.tf': 'locals {}\n' }, 'Mergeable change');
      const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'to-merge', author: 'alice', title: 'Merge me' });
      const number = opened.number;
      const head = opened.pull_request.head.sha;

      expect(await statusOf(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number, sha: '0'.repeat(40) }))).toBe(409);
      const { data } = await octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number, sha: head });
      expect(data.merged).toBe(true);

      expect(await double.resolveRef(OWNER, REPO, 'refs/heads/main')).toBe(data.sha);
      const merged = await double.git.commitInfo(OWNER, REPO, data.sha);
      expect(merged.parents).toHaveLength(2);
      expect(merged.parents[1]).toBe(head);
      const pr = await double.pullRequest({ owner: OWNER, repo: REPO, number });
      expect(pr).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: data.sha });
      expect(await statusOf(octokit.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: number }))).toBe(405);
    });
  });

  describe('comments and reactions', () => {
    it('creates, lists page by page, updates and deletes comments as the app bot', async () => {
      const created = [];
      for (const body of ['one', 'two', 'three']) created.push((await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 1, body })).data);
      expect(created[0]?.user?.login).toBe('infra-review[bot]');
      expect(created[0]?.performed_via_github_app?.id).toBe(APP_ID);

      await octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: Number(created[1]?.id), body: 'two, edited' });
      await octokit.rest.issues.deleteComment({ owner: OWNER, repo: REPO, comment_id: Number(created[2]?.id) });

      const listed = await octokit.paginate(octokit.rest.issues.listComments, { owner: OWNER, repo: REPO, issue_number: 1, per_page: 1 });
      expect(listed.map((c) => c.body)).toEqual(['one', 'two, edited']);
    });

    it('refuses a comment body over 65,536 characters with 422', async () => {
      const ok = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 1, body: 'x'.repeat(GITHUB_BODY_LIMIT) });
      expect(ok.status).toBe(201);
      expect(await statusOf(octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 1, body: 'x'.repeat(GITHUB_BODY_LIMIT + 1) }))).toBe(422);
    });

    it('adds a reaction once (201, then 200) to a user comment delivered by webhook', async () => {
      const delivered = await double.addComment({ owner: OWNER, repo: REPO, number: 1, user: 'alice', body: '/plan' });
      expect(delivered.issue.pull_request?.url).toBe(`${double.apiUrl}/repos/${OWNER}/${REPO}/pulls/1`);
      const comment_id = delivered.comment.id;

      const first = await octokit.rest.reactions.createForIssueComment({ owner: OWNER, repo: REPO, comment_id, content: 'eyes' });
      const again = await octokit.rest.reactions.createForIssueComment({ owner: OWNER, repo: REPO, comment_id, content: 'eyes' });
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(double.commentReactions(comment_id).map((r) => r.content)).toEqual(['eyes']);
      expect(double.issueComments({ owner: OWNER, repo: REPO, number: 1 }).find((c) => c.id === comment_id)?.reactions?.eyes).toBe(1);
    });
  });

  describe('check runs', () => {
    it('creates, completes and lists the latest run per name for a ref', async () => {
      const head = (await double.resolveRef(OWNER, REPO, 'refs/heads/feature')) ?? '';
      const first = await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/plan', head_sha: head, status: 'in_progress' });
      await octokit.rest.checks.update({ owner: OWNER, repo: REPO, check_run_id: first.data.id, conclusion: 'failure', output: { title: 'Plan failed', summary: 'boom' } });
      const second = await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/plan', head_sha: head, conclusion: 'success', output: { title: 'Planned', summary: 'ok' } });
      await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/approval', head_sha: head, status: 'queued' });

      const latest = await octokit.paginate(octokit.rest.checks.listForRef, { owner: OWNER, repo: REPO, ref: 'feature', check_name: 'infra-review/plan' });
      expect(latest.map((c) => [c.id, c.status, c.conclusion])).toEqual([[second.data.id, 'completed', 'success']]);
      const all = await octokit.paginate(octokit.rest.checks.listForRef, { owner: OWNER, repo: REPO, ref: head, filter: 'all', per_page: 1 });
      expect(all).toHaveLength(3);
      expect(all.find((c) => c.id === first.data.id)).toMatchObject({ conclusion: 'failure', output: { title: 'Plan failed', summary: 'boom' } });
      expect(second.data.pull_requests.map((p) => p.number)).toEqual([1]);
    });

    it('lists open PRs newest updated first, filtered by head and state, without merge and size fields', async () => {
      await double.pushCommit(OWNER, REPO, 'listed', { 'listed.tf': '' }, 'Listed');
      const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'listed', author: 'carol', title: 'Listed' });
      const open = await octokit.paginate(octokit.rest.pulls.list, { owner: OWNER, repo: REPO, state: 'open', sort: 'updated', direction: 'desc', per_page: 1 });
      expect(open.every((pull) => pull.state === 'open')).toBe(true);
      expect(open.find((pull) => pull.number === opened.number)).toMatchObject({ head: { sha: opened.pull_request.head.sha, ref: 'listed' }, user: { login: 'carol' } });
      expect(open[0]).not.toHaveProperty('merged');
      const byHead = await octokit.rest.pulls.list({ owner: OWNER, repo: REPO, head: `${OWNER}:listed` });
      expect(byHead.data.map((pull) => pull.number)).toEqual([opened.number]);
      expect(await statusOf(octokit.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'merged' as 'open' }))).toBe(422);
    });

    it('refuses an unknown head SHA and a summary over 65,535 characters', async () => {
      const head = (await double.resolveRef(OWNER, REPO, 'refs/heads/feature')) ?? '';
      expect(await statusOf(octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'x', head_sha: 'f'.repeat(40) }))).toBe(422);
      const tooLong = octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'x', head_sha: head, conclusion: 'neutral', output: { title: 't', summary: 's'.repeat(65536) } });
      expect(await statusOf(tooLong)).toBe(422);
    });
  });

  describe('contents', () => {
    it('returns base64 file content at a ref, directories as lists, 404 when absent', async () => {
      const { data } = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'added.tf', ref: 'feature' });
      expect(!Array.isArray(data) && data.type === 'file' && Buffer.from(data.content, 'base64').toString('utf8')).toBe('locals { a = 1 }\n');
      expect(await statusOf(octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'added.tf', ref: 'main' }))).toBe(404);

      const dir = await octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'envs' });
      expect(Array.isArray(dir.data) && dir.data.map((e) => [e.name, e.type])).toEqual([['prod', 'dir']]);
    });

    it("serves the raw media type Probot's config loader asks for", async () => {
      const { config } = await octokit.config.get({ owner: OWNER, repo: REPO, path: '.github/infra-review.yml' });
      expect(config).toEqual({ projects: [{ dir: 'envs/prod' }] });
      const missing = await octokit.config.get({ owner: OWNER, repo: REPO, path: '.github/absent.yml' });
      // Absent in the repository, Probot falls back to the owner's `.github` repository: absent there too.
      expect(missing.files.map((f) => f.config)).toEqual([null, null]);
      expect(double.requests({ path: `/repos/${OWNER}/.github/contents/.github%2Fabsent.yml` }).map((r) => r.status)).toEqual([404]);
    });
  });

  describe('people', () => {
    it("reports a collaborator's permission with role_name and user.permissions", async () => {
      double.setPermission('mia', 'maintain');
      double.setPermission('mia', 'read', `${OWNER}/other`);
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: 'mia' });
      expect(data).toMatchObject({ permission: 'write', role_name: 'maintain', user: { login: 'mia', permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } } });

      const stranger = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: 'stranger' });
      expect(stranger.data).toMatchObject({ permission: 'none', user: { permissions: { pull: false, push: false } } });
    });

    it('lists team members page by page; other organizations’ teams are invisible', async () => {
      double.addTeam(OWNER, 'sre', ['ann', 'ben', { login: 'cat', role: 'maintainer' }]);
      double.addTeam('other-org', 'sre', ['eve']);
      const members = await octokit.paginate(octokit.rest.teams.listMembersInOrg, { org: OWNER, team_slug: 'sre', per_page: 2 });
      expect(members.map((m) => m.login)).toEqual(['ann', 'ben', 'cat']);
      const maintainers = await octokit.rest.teams.listMembersInOrg({ org: OWNER, team_slug: 'sre', role: 'maintainer' });
      expect(maintainers.data.map((m) => m.login)).toEqual(['cat']);
      expect(await statusOf(octokit.rest.teams.getMembershipForUserInOrg({ org: OWNER, team_slug: 'sre', username: 'eve' }))).toBe(404);
      expect(await statusOf(octokit.rest.teams.listMembersInOrg({ org: 'other-org', team_slug: 'sre' }))).toBe(404);
    });
  });

  describe('deployments', () => {
    it('records deployments and statuses; a new success makes the previous deployment inactive', async () => {
      const create = () => octokit.rest.repos.createDeployment({ owner: OWNER, repo: REPO, ref: 'feature', environment: 'prod', auto_merge: false, required_contexts: [], payload: { project: 'envs/prod' } });
      const first = await create();
      if (!('id' in first.data)) throw new Error('expected a deployment');
      await octokit.rest.repos.createDeploymentStatus({ owner: OWNER, repo: REPO, deployment_id: first.data.id, state: 'success' });
      const second = await create();
      if (!('id' in second.data)) throw new Error('expected a deployment');
      await octokit.rest.repos.createDeploymentStatus({ owner: OWNER, repo: REPO, deployment_id: second.data.id, state: 'success', log_url: 'http://log' });

      const firstStatuses = await octokit.rest.repos.listDeploymentStatuses({ owner: OWNER, repo: REPO, deployment_id: first.data.id });
      expect(firstStatuses.data.map((s) => s.state)).toEqual(['inactive', 'success']);
      expect(second.data).toMatchObject({ sha: await double.resolveRef(OWNER, REPO, 'feature'), payload: { project: 'envs/prod' }, environment: 'prod' });
      const listed = await octokit.rest.repos.listDeployments({ owner: OWNER, repo: REPO, environment: 'prod' });
      expect(listed.data.map((d) => d.id)).toEqual([second.data.id, first.data.id]);
    });

    it('refuses a deployment while checks on the commit are not green, unless required_contexts is empty', async () => {
      const sha = await double.pushCommit(OWNER, REPO, 'deploy-gate', { 'gate.tf': '' }, 'Gate');
      await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/apply', head_sha: sha, status: 'in_progress' });
      const create = (extra: object) => octokit.rest.repos.createDeployment({ owner: OWNER, repo: REPO, ref: sha, environment: 'prod', auto_merge: false, ...extra });
      expect(await statusOf(create({}))).toBe(409);
      expect(await statusOf(create({ required_contexts: ['infra-review/apply'] }))).toBe(409);
      expect((await create({ required_contexts: [] })).status).toBe(201);
    });

    it('auto-merges the default branch into a branch behind it (202, no deployment) unless auto_merge is false', async () => {
      await double.pushCommit(OWNER, REPO, 'behind', { 'behind.tf': '' }, 'Behind');
      await double.pushCommit(OWNER, REPO, 'main', { 'ahead-on-main.md': 'x\n' }, 'Main moves on');
      const before = await double.resolveRef(OWNER, REPO, 'refs/heads/behind');
      const response = await octokit.rest.repos.createDeployment({ owner: OWNER, repo: REPO, ref: 'behind', required_contexts: [] });
      expect(response.status).toBe(202);
      const after = await double.resolveRef(OWNER, REPO, 'refs/heads/behind');
      expect(after).not.toBe(before);
      expect((await double.git.commitInfo(OWNER, REPO, after ?? '')).parents).toEqual([before, await double.resolveRef(OWNER, REPO, 'refs/heads/main')]);
    });

    it('refuses a deployment status description over 140 characters', async () => {
      const { data } = await octokit.rest.repos.createDeployment({ owner: OWNER, repo: REPO, ref: 'main', auto_merge: false, required_contexts: [] });
      if (!('id' in data)) throw new Error('expected a deployment');
      expect(await statusOf(octokit.rest.repos.createDeploymentStatus({ owner: OWNER, repo: REPO, deployment_id: data.id, state: 'failure', description: 'd'.repeat(141) }))).toBe(422);
      expect((await octokit.rest.repos.createDeploymentStatus({ owner: OWNER, repo: REPO, deployment_id: data.id, state: 'failure', description: 'd'.repeat(140) })).status).toBe(201);
    });
  });

  describe('failure injection', () => {
    it('answers 500 and 502 the given number of times, then normally', async () => {
      double.failNext({ method: 'GET', pathPattern: `/repos/${OWNER}/${REPO}/pulls/1`, status: 500, times: 2 });
      double.failNext({ pathPattern: /\/reviews$/, status: 502 });
      const get = () => statusOf(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 }));
      expect([await get(), await get(), await get()]).toEqual([500, 500, 200]);
      expect(await statusOf(octokit.rest.pulls.listReviews({ owner: OWNER, repo: REPO, pull_number: 1 }))).toBe(502);
      expect(await statusOf(octokit.rest.pulls.listReviews({ owner: OWNER, repo: REPO, pull_number: 1 }))).toBe(200);
      expect(double.requests({ path: `/repos/${OWNER}/${REPO}/pulls/1` }).filter((r) => r.injected)).toHaveLength(2);
    });

    it('sends primary and secondary rate-limit 403s with the headers clients wait on', async () => {
      const token = double.issueInstallationToken(OWNER);
      const get = () => fetch(`${double.apiUrl}/repos/${OWNER}/${REPO}/pulls/1`, { headers: { authorization: `token ${token}` } });
      double.failNext({ pathPattern: '/repos/*/pulls/1', status: 403, waitSeconds: 30 });
      const primary = await get();
      expect(primary.status).toBe(403);
      expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(primary.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 20);
      expect(((await primary.json()) as { message: string }).message).toMatch(/rate limit exceeded/);

      double.failNext({ pathPattern: '/repos/*/pulls/1', status: 403, rateLimit: 'secondary', waitSeconds: 7 });
      const secondary = await get();
      expect(secondary.status).toBe(403);
      expect(secondary.headers.get('retry-after')).toBe('7');
      expect(secondary.headers.get('x-ratelimit-remaining')).not.toBe('0');
      expect(((await secondary.json()) as { message: string }).message).toMatch(/secondary rate limit/);
      expect((await get()).status).toBe(200);
    });

    it('runs a beforeNext action once, before it answers the next matching request', async () => {
      let runs = 0;
      double.beforeNext({ method: 'GET', pathPattern: `/repos/${OWNER}/${REPO}/collaborators/*/permission` }, () => {
        runs += 1;
        double.setPermission('zed', 'admin', `${OWNER}/${REPO}`);
      });
      await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 });
      expect(runs).toBe(0);
      const permission = () => octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username: 'zed' });
      expect((await permission()).data.permission).toBe('admin');
      await permission();
      expect(runs).toBe(1);
    });

    it('records unknown routes with a GitHub-style 404', async () => {
      const response = await fetch(`${double.apiUrl}/repos/${OWNER}/${REPO}/not-a-route`, { headers: { authorization: `token ${double.issueInstallationToken(OWNER)}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.any(String) });
      expect(double.unknownRequests().map((r) => r.path)).toEqual([`/repos/${OWNER}/${REPO}/not-a-route`]);
      double.clearRequests();
    });
  });

  describe('webhook payloads', () => {
    const require = createRequire(import.meta.url);
    const examples = require('@octokit/webhooks-examples') as WebhookDefinition[];
    const example = (name: string, action: string) => {
      const list = examples.find((d) => d.name === name)?.examples.filter((e) => 'action' in e && e.action === action && 'installation' in e) ?? [];
      if (!list[0]) throw new Error(`no example for ${name}.${action}`);
      return list[0] as unknown as Record<string, unknown>;
    };
    /** Keys of GitHub's example that our payload lacks, searched recursively through objects. */
    const missingKeys = (ours: unknown, theirs: unknown, at = ''): string[] => {
      if (typeof theirs !== 'object' || theirs === null || Array.isArray(theirs)) return [];
      if (typeof ours !== 'object' || ours === null) return [at || '(root)'];
      const o = ours as Record<string, unknown>;
      return Object.entries(theirs).flatMap(([k, v]) => (k in o ? (o[k] === null ? [] : missingKeys(o[k], v, `${at}.${k}`)) : [`${at}.${k}`]));
    };

    it('builds pull_request.opened with every field of GitHub’s example delivery', async () => {
      await double.pushCommit(OWNER, REPO, 'shape', { 'shape.tf': '' }, 'Shape');
      const payload = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'shape', author: 'alice', title: 'Shape', draft: true });
      // `organization` is only sent for organization-owned repositories with the org scope.
      expect(missingKeys(payload, example('pull_request', 'opened')).filter((k) => !k.startsWith('.organization'))).toEqual([]);
      expect(payload).toMatchObject({ action: 'opened', installation: { id: installationId }, pull_request: { draft: true, head: { ref: 'shape' } } });
    });

    it('builds issue_comment.created and pull_request_review.submitted with every field of the examples', async () => {
      const comment = await double.addComment({ owner: OWNER, repo: REPO, number: 1, user: 'alice', body: '/apply' });
      const review = await double.addReview({ owner: OWNER, repo: REPO, number: 1, user: 'bob', state: 'APPROVED' });
      expect(missingKeys(comment, example('issue_comment', 'created')).filter((k) => !k.startsWith('.organization'))).toEqual([]);
      expect(missingKeys(review, example('pull_request_review', 'submitted')).filter((k) => !k.startsWith('.organization'))).toEqual([]);
    });

    it('builds check_run.rerequested and check_suite.rerequested with every field of the examples; the PR is listed by branch', async () => {
      const head = await double.pushCommit(OWNER, REPO, 'rerun', { 'rerun.tf': '1\n' }, 'Rerun');
      const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'rerun', author: 'alice', title: 'Rerun' });
      const created = await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/plan', head_sha: head, conclusion: 'success', output: { title: 'Planned', summary: 'ok' } });
      const queued = await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/apply', head_sha: head, status: 'queued' });

      const run = await double.rerequestCheckRun(created.data.id, { sender: 'bob' });
      const suite = await double.rerequestCheckSuite({ owner: OWNER, repo: REPO, headSha: head, sender: 'bob' });

      expect(missingKeys(run, example('check_run', 'rerequested')).filter((k) => !k.startsWith('.organization'))).toEqual([]);
      // The example app holds permissions ours does not ask for: those are not missing fields.
      expect(missingKeys(suite, example('check_suite', 'rerequested')).filter((k) => !k.startsWith('.organization') && !k.includes('.app.permissions.'))).toEqual([]);
      expect(run.check_run).toMatchObject({ id: created.data.id, name: 'infra-review/plan', head_sha: head, app: { id: APP_ID }, check_suite: { head_branch: 'rerun' } });
      expect(run.check_run.pull_requests.map((p) => [p.number, p.head.sha])).toEqual([[opened.number, head]]);
      expect(suite.check_suite).toMatchObject({ head_sha: head, status: 'in_progress', app: { id: APP_ID }, latest_check_runs_count: 2 });
      expect(run.sender.login).toBe('bob');
      // Only a completed run has a "Re-run" button.
      await expect(double.rerequestCheckRun(queued.data.id, { sender: 'bob' })).rejects.toThrow(/only on a completed check run/);
      // Another app's run carries that app.
      expect((await double.rerequestCheckRun(created.data.id, { sender: 'bob', app: { id: 9, slug: 'other-ci' } })).check_run.app.id).toBe(9);

      // After a push the PR is still listed (same branch), with its new head: the re-run check is stale.
      const newer = await double.pushCommit(OWNER, REPO, 'rerun', { 'rerun.tf': '2\n' }, 'Rerun again');
      await double.synchronizePullRequest({ owner: OWNER, repo: REPO, number: opened.number });
      const stale = await double.rerequestCheckRun(created.data.id, { sender: 'bob' });
      expect(stale.check_run.head_sha).toBe(head);
      expect(stale.check_run.pull_requests.map((p) => [p.number, p.head.sha])).toEqual([[opened.number, newer]]);
    });

    it('lists no PR on the check runs of a fork PR (its branch is not in this repository)', async () => {
      await double.pushCommit(OWNER, REPO, 'fork-rerun', { 'fork-rerun.tf': '' }, 'Fork rerun');
      const opened = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'fork-rerun', author: 'mallory', title: 'Fork', fork: true });
      const created = await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'infra-review/plan', head_sha: opened.pull_request.head.sha, conclusion: 'neutral', output: { title: 'Not planned', summary: 'fork' } });
      const run = await double.rerequestCheckRun(created.data.id, { sender: 'bob' });
      expect(run.check_run.pull_requests).toEqual([]);
      expect(run.check_run.check_suite.head_branch).toBeNull();
    });

    it('builds a fork PR whose head only the base repository’s pull ref serves to the app', async () => {
      await double.pushCommit(OWNER, REPO, 'from-fork', { 'fork.tf': 'locals {}\n' }, 'From a fork');
      const payload = await double.openPullRequest({ owner: OWNER, repo: REPO, head: 'from-fork', author: 'mallory', title: 'Fork', fork: true });
      expect(payload.pull_request.head.repo).toMatchObject({ full_name: `mallory/${REPO}`, fork: true });
      expect(payload.pull_request.head.repo?.clone_url).toBe(`${double.url}/mallory/${REPO}.git`);
      expect(await double.resolveRef(OWNER, REPO, 'refs/heads/from-fork')).toBeNull();
      expect(await double.resolveRef(OWNER, REPO, `refs/pull/${payload.number}/head`)).toBe(payload.pull_request.head.sha);
      expect(await double.resolveRef('mallory', REPO, 'refs/heads/from-fork')).toBe(payload.pull_request.head.sha);
      const files = await octokit.rest.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: payload.number });
      expect(files.data.map((f) => f.filename)).toEqual(['fork.tf']);
    });
  });
});
