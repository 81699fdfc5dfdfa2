import { describe, expect, it } from 'vitest';
import { mergeHeadPlans, publishedPlanResult, publishedPlanResults, type PlanJobProject, type PlanJobResult } from '../../src/jobs/head-plan-state.js';
import type { Job, JobStatus } from '../../src/store/store.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

function project(name: string, fields: Partial<PlanJobProject> = {}): PlanJobProject {
  return { name, workspace: 'default', dir: `envs/${name}`, workflow: 'default', varFiles: [], status: 'planned', risk: 'low', hasChanges: true, ...fields };
}

function result(projects: PlanJobProject[], fields: Partial<PlanJobResult> = {}): PlanJobResult {
  return {
    outcome: 'published',
    headSha: HEAD,
    files: projects.map((p) => ({ path: `${p.dir}/main.tf`, project: p.name })),
    projects,
    ...fields,
  };
}

let nextId = 1;
function job(kind: 'plan' | 'command' | 'approval', jobResult: unknown, status: JobStatus = 'succeeded', id = nextId++): Job {
  return {
    id,
    key: `k${id}`,
    kind,
    repo: 'acme/infra',
    pr: 1,
    // Command jobs record no head: the plan result carries it.
    headSha: kind === 'command' ? '' : HEAD,
    command: kind,
    payload: null,
    status,
    owner: null,
    attempts: 1,
    cancelReason: null,
    error: null,
    result: jobResult,
    createdAt: new Date(0),
    startedAt: new Date(0),
    heartbeatAt: null,
    finishedAt: new Date(0),
  };
}

describe('publishedPlanResult', () => {
  it('reads the result of a plan job and the plan of a /plan command job', () => {
    const plan = result([project('x')]);
    expect(publishedPlanResult(job('plan', plan))).toBe(plan);
    expect(publishedPlanResult(job('command', { command: 'plan', outcome: 'succeeded', plan }))).toBe(plan);
  });

  it('ignores other commands, other kinds and plans that were not published', () => {
    const plan = result([project('x')]);
    expect(publishedPlanResult(job('command', { command: 'apply', outcome: 'succeeded', plan }))).toBeUndefined();
    expect(publishedPlanResult(job('command', { command: 'plan', outcome: 'succeeded' }))).toBeUndefined();
    expect(publishedPlanResult(job('approval', plan))).toBeUndefined();
    for (const outcome of ['skipped', 'invalid-config', 'cancelled'] as const) {
      expect(publishedPlanResult(job('plan', { ...plan, outcome }))).toBeUndefined();
      expect(publishedPlanResult(job('command', { command: 'plan', outcome: 'failed', plan: { ...plan, outcome } }))).toBeUndefined();
    }
  });

  it('ignores superseded, cancelled, interrupted and failed jobs whatever their result says', () => {
    const plan = result([project('x')]);
    for (const status of ['superseded', 'cancelled', 'interrupted', 'failed', 'running', 'queued'] as const) {
      expect(publishedPlanResult(job('plan', plan, status))).toBeUndefined();
      expect(publishedPlanResult(job('command', { command: 'plan', outcome: 'succeeded', plan }, status))).toBeUndefined();
    }
  });

  it('ignores a result the store truncated or that lacks a head', () => {
    expect(publishedPlanResult(job('plan', { truncated: true, preview: '{"outcome":"published"' }))).toBeUndefined();
    expect(publishedPlanResult(job('plan', null))).toBeUndefined();
    expect(publishedPlanResult(job('plan', { ...result([project('x')]), headSha: '' }))).toBeUndefined();
    expect(publishedPlanResult(job('plan', { outcome: 'published', headSha: HEAD }))).toBeUndefined();
  });
});

describe('publishedPlanResults', () => {
  it('lists the published plans in job order', () => {
    const first = result([project('x')]);
    const second = result([project('y')]);
    const jobs = [job('command', { command: 'plan', outcome: 'succeeded', plan: second }, 'succeeded', 20), job('approval', { outcome: 'published' }, 'succeeded', 15), job('plan', first, 'succeeded', 10)];
    expect(publishedPlanResults(jobs)).toEqual([first, second]);
  });
});

describe('mergeHeadPlans', () => {
  it('is undefined without a published plan of the exact head', () => {
    expect(mergeHeadPlans([], HEAD)).toBeUndefined();
    expect(mergeHeadPlans([result([project('x')], { headSha: OLD })], HEAD)).toBeUndefined();
    expect(mergeHeadPlans([result([project('x')], { outcome: 'cancelled' })], HEAD)).toBeUndefined();
    // A head is matched exactly, not by prefix.
    expect(mergeHeadPlans([result([project('x')], { headSha: HEAD.slice(0, 7) })], HEAD)).toBeUndefined();
  });

  it('keeps the projects a later /plan -p did not name, and lets it replace the one it did', () => {
    const autoplan = result([project('x', { risk: 'low' }), project('y', { risk: 'high' })]);
    const planX = result([project('x', { risk: 'medium', hasChanges: false })]);
    const merged = mergeHeadPlans([autoplan, planX], HEAD);
    expect(merged?.projects).toEqual([project('x', { risk: 'medium', hasChanges: false }), project('y', { risk: 'high' })]);
    expect(merged?.headSha).toBe(HEAD);
  });

  it('never counts a plan of an older head, even when it is newer', () => {
    const autoplan = result([project('x', { risk: 'low' })]);
    const older = result([project('x', { risk: 'critical' }), project('z')], { headSha: OLD });
    expect(mergeHeadPlans([autoplan, older], HEAD)?.projects).toEqual([project('x', { risk: 'low' })]);
  });

  it('lets a later failure replace an earlier plan of the project (the newest attempt is what /apply finds)', () => {
    const merged = mergeHeadPlans([result([project('x')]), result([project('x', { status: 'failed', risk: undefined, hasChanges: undefined })])], HEAD);
    expect(merged?.projects.map((p) => [p.name, p.status, p.risk])).toEqual([['x', 'failed', undefined]]);
  });

  it('does not let a skipped project (autoplan off) hide an earlier plan of it at the same head', () => {
    const skipped = project('prod', { status: 'skipped', risk: undefined, hasChanges: undefined, skippedReason: 'autoplan is off' });
    const autoplan = result([skipped]);
    const manual = result([project('prod', { risk: 'high' })]);
    // The autoplan skips, /plan -p prod plans; a re-run of the autoplan then skips it again.
    expect(mergeHeadPlans([autoplan, manual], HEAD)?.projects).toEqual([project('prod', { risk: 'high' })]);
    expect(mergeHeadPlans([autoplan, manual, autoplan], HEAD)?.projects).toEqual([project('prod', { risk: 'high' })]);
    // A skip still replaces a skip (the newer reason).
    expect(mergeHeadPlans([autoplan, result([{ ...skipped, skippedReason: 'newer' }])], HEAD)?.projects[0]?.skippedReason).toBe('newer');
  });

  it('keys projects by name and workspace', () => {
    const merged = mergeHeadPlans([result([project('x', { workspace: 'blue' })]), result([project('x', { workspace: 'green' })])], HEAD);
    expect(merged?.projects.map((p) => p.workspace)).toEqual(['blue', 'green']);
  });

  it('merges changed files: a path belongs to every project any plan assigned it to, to none only when none did', () => {
    const autoplan = result([project('x'), project('y')], {
      files: [
        { path: 'envs/x/main.tf', project: 'x' },
        { path: 'envs/y/main.tf', project: 'y' },
        { path: 'modules/net/main.tf', project: 'x' },
        { path: 'README.md', project: null },
      ],
    });
    const planX = result([project('x')], {
      files: [
        { path: 'envs/x/main.tf', project: 'x' },
        { path: 'envs/y/main.tf', project: null },
        { path: 'modules/net/main.tf', project: 'y' },
        { path: 'README.md', project: null },
        { path: 'docs/new.md', project: null },
      ],
    });
    expect(mergeHeadPlans([autoplan, planX], HEAD)?.files).toEqual([
      { path: 'envs/x/main.tf', project: 'x' },
      { path: 'envs/y/main.tf', project: 'y' },
      { path: 'modules/net/main.tf', project: 'x' },
      { path: 'modules/net/main.tf', project: 'y' },
      { path: 'README.md', project: null },
      { path: 'docs/new.md', project: null },
    ]);
  });

  it('marks the merged file list as truncated when any plan of the head saw GitHub cut the listing', () => {
    const full = result([project('prod')]);
    expect(mergeHeadPlans([full, result([project('staging')])], HEAD)?.filesTruncated).toBeUndefined();
    expect(mergeHeadPlans([full, result([project('staging')], { filesTruncated: true })], HEAD)?.filesTruncated).toBe(true);
    expect(mergeHeadPlans([result([project('prod')], { filesTruncated: true }), full], HEAD)?.filesTruncated).toBe(true);
    // A truncated listing of an older head says nothing about this one.
    expect(mergeHeadPlans([result([project('prod')], { headSha: OLD, filesTruncated: true }), full], HEAD)?.filesTruncated).toBeUndefined();
  });

  it('returns the results\' own project entries (the plan job tells its own from earlier ones by identity)', () => {
    const own = project('x');
    const merged = mergeHeadPlans([result([project('y')]), result([own])], HEAD);
    expect(merged?.projects[1]).toBe(own);
  });
});
