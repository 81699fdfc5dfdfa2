import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECK_APPLY,
  CHECK_APPROVAL,
  CHECK_PLAN,
  ensureCheckRun,
  HeadCheckRuns,
  MAX_CHECK_OUTPUT_LENGTH,
  truncateCheckOutput,
} from '../../src/github/ensure-check-run.js';
import { checkRun, nockGetCheckRuns, nockPatchCheckRun, nockPostCheckRun } from './helpers/nock-github.js';
import { APP, createTestOctokit, githubScope, REPO } from './helpers/test-octokit.js';

const SHA = 'a'.repeat(40);
const listQuery = { check_name: CHECK_PLAN, app_id: String(APP.id) };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('check names', () => {
  it('are the contract names from DESIGN.md', () => {
    expect([CHECK_PLAN, CHECK_APPROVAL, CHECK_APPLY]).toStrictEqual([
      'infra-review/plan',
      'infra-review/approval',
      'infra-review/apply',
    ]);
  });
});

describe('ensureCheckRun', () => {
  it('creates the check run when none of ours exists on the head SHA', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, listQuery, [
      // Same name from another app (e.g. a workflow job named like ours): not ours.
      checkRun(1, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', app: { id: 15368, slug: 'github-actions' } }),
    ]);
    nockPostCheckRun(
      scope,
      {
        name: CHECK_PLAN,
        head_sha: SHA,
        status: 'in_progress',
        details_url: 'https://infra-review.example/runs/1',
        external_id: 'job-1',
        output: { title: 'Planning', summary: 'Planning 2 projects' },
      },
      500,
    );

    const result = await ensureCheckRun(createTestOctokit(), REPO, {
      name: CHECK_PLAN,
      headSha: SHA,
      appId: APP.id,
      status: 'in_progress',
      title: 'Planning',
      summary: 'Planning 2 projects',
      detailsUrl: 'https://infra-review.example/runs/1',
      externalId: 'job-1',
    });

    expect(result).toStrictEqual({ id: 500, url: 'https://github.com/acme/infra/runs/500', action: 'created' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('updates our latest run of that name in place', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, listQuery, [
      checkRun(500, { name: CHECK_PLAN, head_sha: SHA, status: 'completed', app: APP }),
      checkRun(510, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', app: APP }),
    ]);
    nockPatchCheckRun(scope, 510, {
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Plan: 1 to add', summary: 'ok', text: 'details' },
    });

    const result = await ensureCheckRun(createTestOctokit(), REPO, {
      name: CHECK_PLAN,
      headSha: SHA,
      appId: APP.id,
      status: 'completed',
      conclusion: 'success',
      title: 'Plan: 1 to add',
      summary: 'ok',
      text: 'details',
    });

    expect(result).toStrictEqual({ id: 510, url: 'https://github.com/acme/infra/runs/510', action: 'updated' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('leaves a run alone when it already shows exactly what would be written, and writes when any of it differs', async () => {
    const shown = { conclusion: 'success', output: { title: 'Approved', summary: 'ok', text: null }, details_url: null, external_id: null };
    const input = { name: CHECK_APPROVAL, headSha: SHA, appId: APP.id, status: 'completed', conclusion: 'success', title: 'Approved', summary: 'ok' } as const;
    const approvalQuery = { check_name: CHECK_APPROVAL, app_id: String(APP.id) };
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, approvalQuery, [checkRun(510, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, ...shown })]);

    expect(await ensureCheckRun(createTestOctokit(), REPO, input)).toStrictEqual({ id: 510, url: 'https://github.com/acme/infra/runs/510', action: 'unchanged' });
    expect(scope.pendingMocks()).toStrictEqual([]);

    // Each difference is written: the conclusion, the title, the summary, a text or link the run does not show.
    const differing = [
      { conclusion: 'failure' as const },
      { title: 'Approved!' },
      { summary: 'ok, 2 of 2' },
      { text: 'details' },
      { detailsUrl: 'https://infra-review.example/x' },
      { externalId: 'job-2' },
    ];
    for (const change of differing) {
      nockGetCheckRuns(scope, SHA, approvalQuery, [checkRun(510, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, ...shown })]);
      scope.patch('/repos/acme/infra/check-runs/510').reply(200, { id: 510, url: 'https://api.github.com/repos/acme/infra/check-runs/510', html_url: 'https://github.com/acme/infra/runs/510' });
      expect((await ensureCheckRun(createTestOctokit(), REPO, { ...input, ...change })).action, JSON.stringify(change)).toBe('updated');
      expect(scope.pendingMocks()).toStrictEqual([]);
    }
    // A listing that does not show the output (or a run still in progress) is written as before.
    nockGetCheckRuns(scope, SHA, approvalQuery, [checkRun(510, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, conclusion: 'success' })]);
    nockPatchCheckRun(scope, 510, { status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: 'ok' } });
    expect((await ensureCheckRun(createTestOctokit(), REPO, input)).action).toBe('updated');
    nockGetCheckRuns(scope, SHA, approvalQuery, [checkRun(510, { name: CHECK_APPROVAL, head_sha: SHA, status: 'in_progress', app: APP, ...shown, conclusion: null })]);
    nockPatchCheckRun(scope, 510, { status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: 'ok' } });
    expect((await ensureCheckRun(createTestOctokit(), REPO, input)).action).toBe('updated');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('creates a new run on a Re-run even when the latest already shows the same (GitHub reset the suite to queued), and through HeadCheckRuns', async () => {
    const shown = { conclusion: 'success', output: { title: 'Approved', summary: 'ok', text: null }, details_url: null, external_id: null };
    const input = { name: CHECK_APPROVAL, headSha: SHA, appId: APP.id, status: 'completed', conclusion: 'success', title: 'Approved', summary: 'ok', rerun: true } as const;
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, { check_name: CHECK_APPROVAL, app_id: String(APP.id) }, [checkRun(510, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, ...shown })]);
    nockPostCheckRun(scope, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: 'ok' } }, 530);
    expect(await ensureCheckRun(createTestOctokit(), REPO, input)).toStrictEqual({ id: 530, url: 'https://github.com/acme/infra/runs/530', action: 'created' });
    expect(scope.pendingMocks()).toStrictEqual([]);

    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);
    nockGetCheckRuns(scope, SHA, { app_id: String(APP.id) }, [checkRun(530, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, ...shown })]);
    nockPostCheckRun(scope, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: 'ok' } }, 540);
    const { name, status, conclusion, title, summary } = input;
    expect((await checks.ensure({ name, status, conclusion, title, summary, rerun: true })).action).toBe('created');
    // The job's own write is known afterwards: the same without a Re-run is left alone.
    expect((await checks.ensure({ name, status, conclusion, title, summary })).action).toBe('unchanged');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('creates a new run rather than moving a completed one back to in_progress', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, listQuery, [
      checkRun(510, { name: CHECK_PLAN, head_sha: SHA, status: 'completed', app: APP }),
    ]);
    nockPostCheckRun(
      scope,
      { name: CHECK_PLAN, head_sha: SHA, status: 'queued', output: { title: 'Queued', summary: 're-plan' } },
      520,
    );

    const result = await ensureCheckRun(createTestOctokit(), REPO, {
      name: CHECK_PLAN,
      headSha: SHA,
      appId: APP.id,
      status: 'queued',
      title: 'Queued',
      summary: 're-plan',
    });

    expect(result.action).toBe('created');
    expect(result.id).toBe(520);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('truncates summary and text to 65,535 characters with a note', async () => {
    const scope = githubScope();
    const longSummary = 'row\n'.repeat(20_000); // 80,000 characters
    const longText = 'y'.repeat(70_000);
    let sent: { output: { summary: string; text: string } } | undefined;
    nockGetCheckRuns(scope, SHA, listQuery, []);
    scope
      .post('/repos/acme/infra/check-runs', (body: { output: { summary: string; text: string } }) => {
        sent = body;
        return true;
      })
      .reply(201, { id: 9, url: 'u', html_url: 'h' });

    await ensureCheckRun(createTestOctokit(), REPO, {
      name: CHECK_PLAN,
      headSha: SHA,
      appId: APP.id,
      status: 'completed',
      conclusion: 'failure',
      title: 'Big',
      summary: longSummary,
      text: longText,
    });

    expect(sent?.output.summary.length).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_LENGTH);
    expect(sent?.output.summary).toMatch(/truncated: \d+ of 80000 characters omitted/);
    expect(sent?.output.summary.startsWith('row\nrow\n')).toBe(true);
    expect(sent?.output.text.length).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_LENGTH);
    expect(sent?.output.text).toMatch(/truncated: \d+ of 70000 characters omitted/);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('rejects completed without a conclusion, and a conclusion without completed', async () => {
    const scope = githubScope();
    const base = { name: CHECK_PLAN, headSha: SHA, appId: APP.id, title: 't', summary: 's' } as const;
    await expect(ensureCheckRun(createTestOctokit(), REPO, { ...base, status: 'completed' })).rejects.toThrow(
      /needs a conclusion/,
    );
    await expect(
      ensureCheckRun(createTestOctokit(), REPO, { ...base, status: 'in_progress', conclusion: 'success' }),
    ).rejects.toThrow(/only allowed with status completed/);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('HeadCheckRuns', () => {
  // One listing for every name: no check_name filter.
  const allQuery = { app_id: String(APP.id) };
  const actions = { app: { id: 15368, slug: 'github-actions' } };

  it('lists our runs of the head once, then updates or creates each check from that listing', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, allQuery, [
      checkRun(500, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP }),
      checkRun(490, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP }),
      // Named like ours but another app's, and ours on another commit: neither is reused.
      checkRun(510, { name: CHECK_APPLY, head_sha: SHA, status: 'queued', ...actions }),
      checkRun(520, { name: CHECK_PLAN, head_sha: 'b'.repeat(40), status: 'in_progress', app: APP }),
    ]);
    nockPatchCheckRun(scope, 500, { status: 'completed', conclusion: 'success', output: { title: 'Approved', summary: 'ok' } });
    nockPostCheckRun(scope, { name: CHECK_APPLY, head_sha: SHA, status: 'queued', output: { title: 'Waiting for /apply', summary: 'apply' } }, 600);
    // The apply run just created is updated in place, without listing again.
    nockPatchCheckRun(scope, 600, { status: 'completed', conclusion: 'success', output: { title: 'Applied', summary: 'done' } });
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);

    const approval = await checks.ensure({ name: CHECK_APPROVAL, status: 'completed', conclusion: 'success', title: 'Approved', summary: 'ok' });
    const queued = await checks.ensure({ name: CHECK_APPLY, status: 'queued', title: 'Waiting for /apply', summary: 'apply' });
    const applied = await checks.ensure({ name: CHECK_APPLY, status: 'completed', conclusion: 'success', title: 'Applied', summary: 'done' });

    expect([approval.action, queued.action, applied.action]).toStrictEqual(['updated', 'created', 'updated']);
    expect(await checks.latest(CHECK_APPLY)).toMatchObject({ id: 600, status: 'completed', conclusion: 'success' });
    expect(await checks.latest(CHECK_PLAN)).toBeUndefined();
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('still never moves a completed run back: a re-run after completion gets a new run', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, allQuery, [checkRun(500, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', app: APP })]);
    nockPatchCheckRun(scope, 500, { status: 'completed', conclusion: 'failure', output: { title: 'Failed', summary: 'x' } });
    nockPostCheckRun(scope, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', output: { title: 'Planning', summary: 'y' } }, 700);
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);

    await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'failure', title: 'Failed', summary: 'x' });
    const rerun = await checks.ensure({ name: CHECK_PLAN, status: 'in_progress', title: 'Planning', summary: 'y' });

    expect(rerun).toMatchObject({ id: 700, action: 'created' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('start() creates a run without listing; a later listing finds it and updates it', async () => {
    const scope = githubScope();
    nockPostCheckRun(scope, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', output: { title: 'Planning', summary: 'p' } }, 800);
    nockGetCheckRuns(scope, SHA, allQuery, [checkRun(800, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', app: APP })]);
    nockPatchCheckRun(scope, 800, { status: 'completed', conclusion: 'success', output: { title: '1 project planned', summary: 's' } });
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);

    const started = await checks.start({ name: CHECK_PLAN, status: 'in_progress', title: 'Planning', summary: 'p' });
    // Only the POST was sent so far.
    expect(scope.pendingMocks()).toHaveLength(2);
    const done = await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'success', title: '1 project planned', summary: 's' });

    expect(started).toMatchObject({ id: 800, action: 'created' });
    expect(done).toMatchObject({ id: 800, action: 'updated' });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('lists nothing for a head the caller knows we have no run on: creates, then updates its own runs', async () => {
    const scope = githubScope();
    nockPostCheckRun(scope, { name: CHECK_PLAN, head_sha: SHA, status: 'in_progress', output: { title: 'Planning', summary: 'p' } }, 900);
    nockPostCheckRun(scope, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', conclusion: 'action_required', output: { title: 'Waiting', summary: 'a' } }, 901);
    nockPatchCheckRun(scope, 900, { status: 'completed', conclusion: 'success', output: { title: 'Planned', summary: 's' } });
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id, { noneYet: true });

    await checks.start({ name: CHECK_PLAN, status: 'in_progress', title: 'Planning', summary: 'p' });
    const approval = await checks.ensure({ name: CHECK_APPROVAL, status: 'completed', conclusion: 'action_required', title: 'Waiting', summary: 'a' });
    const plan = await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'success', title: 'Planned', summary: 's' });

    expect([approval.action, plan.action]).toStrictEqual(['created', 'updated']);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('does not write what a run already shows: neither what the listing shows nor what this job just wrote', async () => {
    const scope = githubScope();
    nockGetCheckRuns(scope, SHA, allQuery, [
      checkRun(500, { name: CHECK_APPROVAL, head_sha: SHA, status: 'completed', app: APP, conclusion: 'success', output: { title: 'Approved', summary: 'ok', text: null }, details_url: null, external_id: null }),
    ]);
    nockPostCheckRun(scope, { name: CHECK_APPLY, head_sha: SHA, status: 'queued', output: { title: 'Waiting for /apply', summary: 'apply' } }, 600);
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);

    const approval = await checks.ensure({ name: CHECK_APPROVAL, status: 'completed', conclusion: 'success', title: 'Approved', summary: 'ok' });
    const queued = await checks.ensure({ name: CHECK_APPLY, status: 'queued', title: 'Waiting for /apply', summary: 'apply' });
    const again = await checks.ensure({ name: CHECK_APPLY, status: 'queued', title: 'Waiting for /apply', summary: 'apply' });

    expect([approval, queued.action, again.action]).toStrictEqual([{ id: 500, url: 'https://github.com/acme/infra/runs/500', action: 'unchanged' }, 'created', 'unchanged']);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('lists again after a failed listing instead of keeping the failure', async () => {
    const scope = githubScope();
    scope.get(`/repos/acme/infra/commits/${SHA}/check-runs`).query(true).reply(500, { message: 'boom' });
    nockGetCheckRuns(scope, SHA, allQuery, []);
    const checks = new HeadCheckRuns(createTestOctokit(), REPO, SHA, APP.id);

    await expect(checks.latest(CHECK_PLAN)).rejects.toThrow();
    expect(await checks.latest(CHECK_PLAN)).toBeUndefined();
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('truncateCheckOutput', () => {
  it('leaves text at the limit untouched', () => {
    const text = 'z'.repeat(MAX_CHECK_OUTPUT_LENGTH);
    expect(truncateCheckOutput(text)).toBe(text);
  });

  it('cuts at a line break and reports how much was omitted', () => {
    const text = `${'line\n'.repeat(30)}tail`;
    const out = truncateCheckOutput(text, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    const kept = out.slice(0, out.indexOf('\n\n…'));
    expect(kept.endsWith('line')).toBe(true);
    const omitted = Number(/truncated: (\d+) of/.exec(out)?.[1]);
    expect(kept.length + omitted).toBe(text.length);
  });

  it('closes a code fence left open by the cut, so the note stays visible', () => {
    const text = `intro\n\`\`\`\n${'code line\n'.repeat(50)}\`\`\`\n`;
    const out = truncateCheckOutput(text, 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.match(/^```/gm)?.length).toBe(2);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(200);
    // Two neighbouring limits: one of them puts the raw cut inside a pair.
    for (const limit of [150, 151]) {
      const out = truncateCheckOutput(text, limit);
      const kept = out.slice(0, out.indexOf('\n\n…'));
      expect(kept).toBe('😀'.repeat(kept.length / 2));
    }
  });
});
