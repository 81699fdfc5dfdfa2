import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  boundPlanResult,
  describeOversizedPlan,
  headPlanStateOf,
  mergeHeadPlans,
  oversizedPlanResult,
  publishedPlanResult,
  publishedPlanResults,
  readHeadPlanState,
  type PlanJobProject,
  type PlanJobResult,
} from '../../src/jobs/head-plan-state.js';
import { boundJobResult, MAX_JOB_RESULT_BYTES } from '../../src/store/job-result-limit.js';
import type { Job, JobStatus, Store } from '../../src/store/store.js';
import { sqliteEngine, type EngineHandle } from '../store/engines.js';

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
    for (const outcome of ['skipped', 'invalid-config', 'unreadable-base-file', 'cancelled'] as const) {
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

describe('a plan result too large to store', () => {
  const MiB = 1024 * 1024;
  /** A plan result whose changed-file list makes its JSON exactly `bytes` long. */
  function sized(bytes: number, headSha = HEAD): PlanJobResult {
    const plan = result([project('x')], { headSha });
    const withPath = (length: number) => ({ ...plan, files: [...plan.files, { path: 'p'.repeat(length), project: null }] });
    const overhead = JSON.stringify(withPath(0)).length;
    const sizedPlan = withPath(bytes - overhead);
    expect(JSON.stringify(sizedPlan).length).toBe(bytes);
    return sizedPlan;
  }
  /** What the store keeps of a result, read back. */
  const stored = (value: unknown) => JSON.parse(boundJobResult(value, 1000)) as unknown;

  it('is kept whole up to the store bound (less room for the /plan wrapper), else replaced by its head, size and the limit', () => {
    const fits = sized(4 * MiB - 2048);
    expect(boundPlanResult(fits)).toBe(fits);
    const big = sized(5 * MiB);
    const bytes = JSON.stringify(big).length;
    expect(boundPlanResult(big)).toEqual({ outcome: 'too-large', headSha: HEAD, bytes, limit: MAX_JOB_RESULT_BYTES });
    // Wrapped by a /plan command job, a result that boundPlanResult kept still fits in the store.
    const edge = sized(4 * MiB - 1024);
    expect(boundPlanResult(edge)).toBe(edge);
    expect(boundPlanResult(sized(4 * MiB - 1023))).toMatchObject({ outcome: 'too-large', bytes: 4 * MiB - 1023 });
    expect(stored({ command: 'plan', outcome: 'succeeded', plan: edge })).toMatchObject({ plan: { outcome: 'published' } });
  });

  it('says so with the size, the limit and what to do', () => {
    expect(describeOversizedPlan({ bytes: 5_242_880, limit: MAX_JOB_RESULT_BYTES })).toBe('the plan result for this head was too large to store (5,242,880 bytes, limit 4 MiB); split the PR');
    expect(describeOversizedPlan({ bytes: null, limit: MAX_JOB_RESULT_BYTES })).toBe('the plan result for this head was too large to store (over the limit of 4 MiB); split the PR');
  });

  it('is found in a plan job, in a /plan command job, and behind the store truncation marker of a plan job (its row names the head)', () => {
    const tooLarge = { outcome: 'too-large', headSha: HEAD, bytes: 5 * MiB, limit: MAX_JOB_RESULT_BYTES };
    expect(oversizedPlanResult(job('plan', tooLarge))).toEqual(tooLarge);
    expect(oversizedPlanResult(job('command', { command: 'plan', outcome: 'succeeded', plan: tooLarge }))).toEqual(tooLarge);
    const big = sized(5 * MiB);
    expect(oversizedPlanResult(job('plan', stored(big)))).toEqual({ outcome: 'too-large', headSha: HEAD, bytes: JSON.stringify(big).length, limit: MAX_JOB_RESULT_BYTES });
    // A marker written before the size was recorded still counts, without a size.
    expect(oversizedPlanResult(job('plan', { truncated: true, preview: '{"outcome":"published"' }))).toEqual({ outcome: 'too-large', headSha: HEAD, bytes: null, limit: MAX_JOB_RESULT_BYTES });
    // Not from jobs that did not succeed, other kinds, or a whole plan.
    expect(oversizedPlanResult(job('plan', tooLarge, 'superseded'))).toBeUndefined();
    expect(oversizedPlanResult(job('approval', stored(big)))).toBeUndefined();
    expect(oversizedPlanResult(job('plan', result([project('x')])))).toBeUndefined();
  });

  it('makes the head plan state "too large" whatever else was published for the head, and leaves other heads alone', () => {
    const ok = job('plan', result([project('x')]));
    const tooLarge = job('command', { command: 'plan', outcome: 'succeeded', plan: { outcome: 'too-large', headSha: HEAD, bytes: 5 * MiB, limit: MAX_JOB_RESULT_BYTES } });
    expect(headPlanStateOf([ok, tooLarge], HEAD)).toEqual({ outcome: 'too-large', headSha: HEAD, bytes: 5 * MiB, limit: MAX_JOB_RESULT_BYTES });
    const later = job('plan', result([project('x')]));
    expect(headPlanStateOf([ok, tooLarge, later], HEAD)).toMatchObject({ outcome: 'too-large' });
    expect(headPlanStateOf([tooLarge, job('plan', result([project('y')], { headSha: OLD }))], OLD)).toMatchObject({ outcome: 'published', projects: [{ name: 'y' }] });
    expect(headPlanStateOf([ok], HEAD)).toMatchObject({ outcome: 'published', projects: [{ name: 'x' }] });
  });
});

describe('readHeadPlanState', () => {
  const ref = { owner: 'acme', repo: 'infra', pr: 1, headSha: HEAD };
  let handle: EngineHandle;
  let store: Store;
  beforeEach(async () => {
    handle = await sqliteEngine.setup();
    store = await handle.open();
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  /** A succeeded job of the PR; a `command` job given `plans` started planning that head (as a `/plan` does), else it records none. */
  async function finished(kind: 'plan' | 'command', jobResult: unknown, heads: { headSha?: string; plans?: string } = {}): Promise<void> {
    const { job: queued } = await store.enqueueJob({ kind, repo: 'acme/infra', pr: 1, headSha: heads.headSha ?? '', command: `${kind}-${nextId++}` });
    const claimed = (await store.claimJob('w', [kind]))!;
    expect(claimed.id).toBe(queued.id);
    if (heads.plans !== undefined) await store.startPlanCommand({ jobId: claimed.id, repo: 'acme/infra', pr: 1, headSha: heads.plans });
    await store.finishJob(claimed.id, 'w', { status: 'succeeded', result: jobResult });
  }
  const planCommand = (plan: unknown) => ({ command: 'plan', outcome: 'succeeded', plan });

  it("reads the results of the head's jobs only, never another head's, and merges them as from every job of the PR", async () => {
    // An older head with large results (a PR pushed many times).
    const old = result([project('x')], { headSha: OLD, files: Array.from({ length: 2000 }, (_, i) => ({ path: `envs/x/${'f'.repeat(200)}${i}.tf`, project: 'x' })) });
    await finished('plan', old, { headSha: OLD });
    await finished('command', planCommand(old), { plans: OLD });
    await finished('plan', result([project('x'), project('y')]), { headSha: HEAD });
    await finished('command', planCommand(result([project('y', { risk: 'high' })])), { plans: HEAD });
    // A /plan stored before command jobs recorded their head: its plan of this head still counts.
    await finished('command', planCommand(result([project('z')])));
    await finished('command', { command: 'apply', outcome: 'refused', message: 'no' });
    await finished('plan', old, { headSha: OLD });
    const fromEveryJob = headPlanStateOf(await store.listJobs({ repo: 'acme/infra', pr: 1, status: 'succeeded' }), HEAD);

    const listJobs = vi.spyOn(store, 'listJobs');
    const listPlanResults = vi.spyOn(store, 'listPlanResults');
    const state = await readHeadPlanState(store, ref);

    expect(state).toEqual(fromEveryJob);
    expect(state).toMatchObject({ outcome: 'published', projects: [{ name: 'x' }, { name: 'y', risk: 'high' }, { name: 'z' }] });
    expect(listJobs).not.toHaveBeenCalled();
    expect(listPlanResults).toHaveBeenCalledTimes(1);
    const rows = await listPlanResults.mock.results[0]!.value;
    expect(rows.map((row: { headSha: string }) => row.headSha)).toEqual([HEAD, HEAD, '', '']);
    expect(JSON.stringify(rows)).not.toContain(OLD);
  });

  it('still fails closed on a /plan stored without a head whose plan of this head was too large', async () => {
    await finished('plan', result([project('x')]), { headSha: HEAD });
    await finished('command', planCommand({ outcome: 'too-large', headSha: HEAD, bytes: 5_000_000, limit: MAX_JOB_RESULT_BYTES }));
    expect(await readHeadPlanState(store, ref)).toEqual({ outcome: 'too-large', headSha: HEAD, bytes: 5_000_000, limit: MAX_JOB_RESULT_BYTES });
    expect(await readHeadPlanState(store, { ...ref, headSha: OLD })).toBeUndefined();
  });
});
