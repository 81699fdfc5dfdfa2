import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECK_APPLY,
  CHECK_APPROVAL,
  CHECK_PLAN,
  ensureCheckRun,
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
