import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleCheckRunRerequested, handleCheckSuiteRerequested } from '../../src/handlers/check-rerequested.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import type { RerunJobPayload } from '../../src/jobs/job-payloads.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * The Re-run handlers only enqueue: a real queue over a SQLite store that no worker drains, so each
 * test sees exactly the jobs a delivery leaves behind (and GitHub is never called: nothing mocks it).
 */

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

type CheckRunEvent = Context<'check_run'>['payload'];
type CheckSuiteEvent = Context<'check_suite'>['payload'];

async function fixture<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(path.join(FIXTURES, name), 'utf8')) as T;
}

/** GitHub's example `check_run.rerequested`, made one of our runs on a PR of the same repository. */
async function checkRunEvent(edit: (payload: CheckRunEvent) => void = () => undefined): Promise<CheckRunEvent> {
  const payload = await fixture<CheckRunEvent>('check_run.rerequested.json');
  payload.check_run.name = 'infra-review/plan';
  const repo = { id: payload.repository.id, url: payload.repository.url, name: payload.repository.name };
  payload.check_run.pull_requests = [
    { url: `${repo.url}/pulls/7`, id: 70, number: 7, head: { ref: 'feature', sha: payload.check_run.head_sha, repo }, base: { ref: 'main', sha: 'b'.repeat(40), repo } },
  ];
  edit(payload);
  return payload;
}

function context<E extends 'check_run' | 'check_suite'>(name: E, payload: Context<E>['payload'], id = 'delivery-1'): Context<E> {
  return { id, name, payload, log: quiet } as unknown as Context<E>;
}

describe('check_run / check_suite rerequested handlers', () => {
  let dataDir: string;
  let store: Store;
  let queue: JobQueue;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-rerun-handler-'));
    store = await openStore({ dataDir });
    queue = new JobQueue(store, { logger: quiet });
  });

  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const jobs = () => store.listJobs();

  it('queues one rerun job for "Re-run" on infra-review/plan, with what the job needs and no secret', async () => {
    const payload = await checkRunEvent();

    const outcome = await handleCheckRunRerequested(context('check_run', payload), async () => queue);

    expect(outcome).toBe('queued');
    const [job, ...more] = await jobs();
    expect(more).toEqual([]);
    expect(job).toMatchObject({ kind: 'rerun', status: 'queued', repo: 'github/hello-world', pr: 7, headSha: payload.check_run.head_sha, command: 'rerun:infra-review/plan' });
    expect(job?.payload).toStrictEqual({
      installationId: 1,
      owner: 'github',
      repo: 'hello-world',
      cloneUrl: payload.repository.clone_url,
      check: 'infra-review/plan',
      headSha: payload.check_run.head_sha,
      appId: payload.check_run.app?.id ?? null,
      pullRequests: [7],
      actor: payload.sender.login,
      deliveryId: 'delivery-1',
    } satisfies RerunJobPayload);
  });

  it('queues the re-run of each of our three checks under its own key, and a second click joins the queued one', async () => {
    for (const name of ['infra-review/plan', 'infra-review/approval', 'infra-review/apply', 'infra-review/apply']) {
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => (p.check_run.name = name))), async () => queue);
    }
    expect((await jobs()).map((job) => job.command).sort()).toEqual(['rerun:infra-review/apply', 'rerun:infra-review/approval', 'rerun:infra-review/plan']);
  });

  it('ignores other checks, other actions and runs without an app, queuing nothing', async () => {
    const outcomes = [
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => (p.check_run.name = 'ci/build'))), async () => queue),
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => (p.check_run.name = 'infra-review/plan-extra'))), async () => queue),
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => Object.assign(p, { action: 'completed' }))), async () => queue),
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => Object.assign(p, { action: 'requested_action' }))), async () => queue),
      await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => Object.assign(p.check_run, { app: null }))), async () => queue),
    ];
    // Runs that are not one of our checks are other apps' (GitHub sends every app's check runs to every app).
    expect(outcomes).toEqual(['other_app', 'other_app', 'ignored', 'ignored', 'other_app']);
    expect(await jobs()).toEqual([]);
  });

  it('keeps only PRs into this repository; a fork PR (none attached) is queued under PR 0 for the job to find', async () => {
    const foreign = await checkRunEvent((p) => {
      const other = { id: 999, url: 'https://api.github.com/repos/someone/fork', name: 'fork' };
      p.check_run.pull_requests = p.check_run.pull_requests.map((pr) => ({ ...pr, base: { ...pr.base, repo: other } }));
    });
    await handleCheckRunRerequested(context('check_run', foreign), async () => queue);
    const [job] = await jobs();
    expect(job).toMatchObject({ pr: 0 });
    expect((job?.payload as RerunJobPayload).pullRequests).toEqual([]);
  });

  it('queues the app id as sent: the job, which knows our id, decides (GitHub sends Re-run only to the run’s app)', async () => {
    await handleCheckRunRerequested(context('check_run', await checkRunEvent((p) => Object.assign(p.check_run.app ?? {}, { id: 31337 }))), async () => queue);
    expect(((await jobs())[0]?.payload as RerunJobPayload).appId).toBe(31337);
  });

  it('refuses a delivery without an installation', async () => {
    const payload = await checkRunEvent((p) => delete (p as { installation?: unknown }).installation);
    await expect(handleCheckRunRerequested(context('check_run', payload), async () => queue)).rejects.toThrow(/without an installation/);
    expect(await jobs()).toEqual([]);
  });

  it('queues a suite re-run for "Re-run all checks", and ignores requested and completed suites', async () => {
    const payload = await fixture<CheckSuiteEvent>('check_suite.rerequested.json');

    expect(await handleCheckSuiteRerequested(context('check_suite', payload), async () => queue)).toBe('queued');
    expect(await handleCheckSuiteRerequested(context('check_suite', { ...payload, action: 'requested' } as CheckSuiteEvent), async () => queue)).toBe('ignored');
    expect(await handleCheckSuiteRerequested(context('check_suite', { ...payload, action: 'completed' } as CheckSuiteEvent), async () => queue)).toBe('ignored');

    const [job, ...more] = await jobs();
    expect(more).toEqual([]);
    expect(job).toMatchObject({ kind: 'rerun', pr: 2, headSha: payload.check_suite.head_sha, command: 'rerun:suite' });
    expect(job?.payload).toMatchObject({ check: 'suite', appId: payload.check_suite.app.id, pullRequests: [2], owner: 'Codertocat', repo: 'Hello-World' });
  });
});
