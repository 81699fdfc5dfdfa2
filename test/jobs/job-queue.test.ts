import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobQueue, JobStoppedError } from '../../src/jobs/job-queue.js';
import type { InterruptedCause, JobQueueOptions } from '../../src/jobs/job-queue.js';
import type { Job, JobStatus, Store } from '../../src/store/store.js';
import { ENGINES } from '../store/engines.js';
import type { EngineHandle } from '../store/engines.js';

const repo = 'acme/infra';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const fast: JobQueueOptions = { pollIntervalMs: 20, heartbeatMs: 25, leaseMs: 400, shutdownGraceMs: 50, logger: quiet };

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitForStatus(store: Store, id: number, status: JobStatus): Promise<Job> {
  return waitFor(`job ${id} to be ${status}`, async () => {
    const job = await store.getJob(id);
    return job?.status === status ? job : undefined;
  });
}

/** A handler that blocks until released or aborted, recording what it saw. */
function gate() {
  const started: number[] = [];
  const aborted: { id: number; reason: unknown }[] = [];
  const releases = new Map<number, () => void>();
  let current = 0;
  let max = 0;
  const handler = (job: Job, signal: AbortSignal) =>
    new Promise<unknown>((resolve, reject) => {
      started.push(job.id);
      current += 1;
      max = Math.max(max, current);
      const done = () => {
        current -= 1;
      };
      releases.set(job.id, () => {
        done();
        resolve({ ran: job.id });
      });
      signal.addEventListener('abort', () => {
        aborted.push({ id: job.id, reason: signal.reason });
        done();
        reject(signal.reason);
      });
    });
  return {
    handler,
    started,
    aborted,
    get max() {
      return max;
    },
    release(id: number) {
      releases.get(id)?.();
    },
    releaseAll() {
      for (const release of releases.values()) release();
    },
  };
}

describe.each(ENGINES)('job queue on $name', (factory) => {
  let handle: EngineHandle;
  let store: Store;
  const queues: JobQueue[] = [];

  function queue(on: Store, options: JobQueueOptions = {}): JobQueue {
    const created = new JobQueue(on, { ...fast, ...options });
    queues.push(created);
    return created;
  }

  beforeEach(async () => {
    if (factory.skip) return;
    handle = await factory.setup();
    store = await handle.open();
  });
  afterEach(async () => {
    if (factory.skip) return;
    for (const q of queues.splice(0)) await q.stop();
    await handle.cleanup();
  });

  describe.skipIf(factory.skip)('running jobs', () => {
    it('returns from enqueue before the job runs, then runs it and stores its result', async () => {
      const q = queue(store);
      const g = gate();
      q.register('plan', g.handler);
      await q.start();
      const { job, created } = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1', payload: { projects: ['prod'] } });
      expect(created).toBe(true);
      expect(job.status).toBe('queued');
      expect(job.key).toBe('acme/infra#1@a1:plan');
      await waitFor('the handler to start', () => g.started.includes(job.id));
      expect((await store.getJob(job.id))?.status).toBe('running');
      g.release(job.id);
      const done = await waitForStatus(store, job.id, 'succeeded');
      expect(done).toMatchObject({ result: { ran: job.id }, payload: { projects: ['prod'] }, attempts: 1, owner: q.owner });
    });

    it('records a failing handler as failed with its message', async () => {
      const q = queue(store);
      q.register('apply', async () => {
        throw new Error('tofu exited with status 1');
      });
      await q.start();
      const { job } = await q.enqueue({ kind: 'apply', repo, pr: 1, headSha: 'a1' });
      expect(await waitForStatus(store, job.id, 'failed')).toMatchObject({ error: 'tofu exited with status 1' });
    });

    it('never runs more jobs at once than its concurrency', async () => {
      const q = queue(store, { concurrency: 2 });
      const g = gate();
      q.register('plan', g.handler);
      await q.start();
      const ids: number[] = [];
      for (let pr = 1; pr <= 5; pr += 1) ids.push((await q.enqueue({ kind: 'plan', repo, pr, headSha: 'x' })).job.id);
      await waitFor('two jobs to start', () => g.started.length === 2);
      // more polls happen while the two are blocked; none may start a third
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(g.started).toHaveLength(2);
      expect(await store.listJobs({ status: 'queued' })).toHaveLength(3);
      while (g.started.length < 5 || (await store.listJobs({ status: 'running' })).length > 0) {
        g.releaseAll();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const id of ids) await waitForStatus(store, id, 'succeeded');
      expect(g.max).toBe(2);
    });

    it('does not duplicate a job whose key is queued or running, but runs it again once finished', async () => {
      const q = queue(store);
      const g = gate();
      q.register('plan', g.handler);
      const first = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' });
      const again = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' });
      expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
      await q.start();
      await waitFor('the job to start', () => g.started.includes(first.job.id));
      expect((await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' })).created).toBe(false);
      // another command on the same SHA is another job
      expect((await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1', command: '/plan -p prod' })).created).toBe(true);
      g.release(first.job.id);
      await waitForStatus(store, first.job.id, 'succeeded');
      expect((await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' })).created).toBe(true);
    });

    it('tells its observer when jobs start and end, and counts queued and running jobs per kind', async () => {
      const events: string[] = [];
      const q = queue(store, {
        observer: {
          started: (job) => events.push(`started ${job.id}`),
          finished: (job, status, ms) => events.push(`finished ${job.id} ${status} ${ms >= 0}`),
        },
      });
      const g = gate();
      q.register('plan', g.handler);
      q.register('apply', async () => {
        throw new Error('no');
      });
      await q.enqueue({ kind: 'apply', repo, pr: 9, headSha: 'x' });
      const plan = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' });
      await q.enqueue({ kind: 'plan', repo, pr: 2, headSha: 'a1' });
      await q.enqueue({ kind: 'rollback', repo, pr: 3, headSha: 'a1' });
      expect(await q.counts()).toEqual({ queued: { apply: 1, plan: 2, rollback: 1 }, running: {} });
      expect(q.isStarted).toBe(false);
      await q.start();
      expect(q.isStarted).toBe(true);
      await waitFor('both plans to start', () => g.started.length === 2);
      const counts = await q.counts();
      expect(counts.running).toEqual({ plan: 2 });
      expect(counts.queued).toEqual({ rollback: 1 });
      g.release(plan.job.id);
      await waitForStatus(store, plan.job.id, 'succeeded');
      const apply = (await store.listJobs({ kind: 'apply' }))[0] as Job;
      expect(events).toContain(`started ${apply.id}`);
      expect(events).toContain(`finished ${apply.id} failed true`);
      expect(events).toContain(`finished ${plan.job.id} succeeded true`);
      expect(events.indexOf(`started ${plan.job.id}`)).toBeLessThan(events.indexOf(`finished ${plan.job.id} succeeded true`));
    });

    it('claims only kinds it has handlers for', async () => {
      const q = queue(store);
      q.register('plan', async () => 'ok');
      await q.start();
      const apply = await q.enqueue({ kind: 'apply', repo, pr: 1, headSha: 'a1' });
      const plan = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' });
      await waitForStatus(store, plan.job.id, 'succeeded');
      expect((await store.getJob(apply.job.id))?.status).toBe('queued');
    });
  });

  describe.skipIf(factory.skip)('superseding', () => {
    it('supersedes queued plan jobs of the PR when a newer head SHA is planned', async () => {
      const q = queue(store);
      const old = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'old' });
      const otherPr = await q.enqueue({ kind: 'plan', repo, pr: 2, headSha: 'old' });
      const apply = await q.enqueue({ kind: 'apply', repo, pr: 1, headSha: 'old' });
      const fresh = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'new' });
      expect(await store.getJob(old.job.id)).toMatchObject({ status: 'superseded', cancelReason: 'superseded by new' });
      expect((await store.getJob(otherPr.job.id))?.status).toBe('queued');
      expect((await store.getJob(apply.job.id))?.status).toBe('queued');
      expect((await store.getJob(fresh.job.id))?.status).toBe('queued');
    });

    it('enqueues a plan and supersedes the PR\'s other heads in one store call, reporting running ones to cancel', async () => {
      const running = await store.enqueueJob({ kind: 'plan', repo, pr: 1, headSha: 'a' });
      expect((await store.claimJob('worker-1', ['plan']))?.id).toBe(running.job.id);
      const queued = await store.enqueueJob({ kind: 'plan', repo, pr: 1, headSha: 'b' });

      const fresh = await store.enqueuePlanJob({ kind: 'plan', repo, pr: 1, headSha: 'c' });
      const again = await store.enqueuePlanJob({ kind: 'plan', repo, pr: 1, headSha: 'c' });

      expect(fresh).toMatchObject({ created: true, job: { headSha: 'c', status: 'queued' } });
      expect(fresh.superseded.map((job) => job.id)).toEqual([queued.job.id]);
      expect(fresh.cancelRequested.map((job) => [job.id, job.cancelReason])).toEqual([[running.job.id, 'superseded by c']]);
      // The same head again: the queued job is returned, nothing more is superseded or cancelled.
      expect(again).toMatchObject({ created: false, job: { id: fresh.job.id }, superseded: [], cancelRequested: [] });
      expect(await store.getJob(running.job.id)).toMatchObject({ status: 'running', cancelReason: 'superseded by c' });
    });

    it('supersedes a running `/plan` command like a plan job once it has started planning a head, and never other commands', async () => {
      const older = await store.enqueueJob({ kind: 'plan', repo, pr: 1, headSha: 'h0' });
      const otherPr = await store.enqueueJob({ kind: 'plan', repo, pr: 2, headSha: 'h0' });
      const command = (id: string) => store.enqueueJob({ kind: 'command', repo, pr: 1, headSha: '', command: `comment:${id}` });
      const planning = await command('1');
      const applying = await command('2');
      const waiting = await command('3');
      expect((await store.claimJob('worker-1', ['command']))?.id).toBe(planning.job.id);
      expect((await store.claimJob('worker-1', ['command']))?.id).toBe(applying.job.id);

      // The command learns the head (h1) and takes it: plan jobs of other heads queued before it are superseded.
      const start = await store.startPlanCommand({ jobId: planning.job.id, repo, pr: 1, headSha: 'h1' });
      expect(start.outdatedBy).toBeUndefined();
      expect(start.cancelRequested).toEqual([]);
      expect(start.superseded.map((job) => job.id)).toEqual([older.job.id]);
      expect(await store.getJob(planning.job.id)).toMatchObject({ status: 'running', headSha: 'h1', cancelReason: null });
      expect((await store.getJob(otherPr.job.id))?.status).toBe('queued');

      // A push of h2: the running /plan of h1 is asked to stop; the running /apply and the queued command are not.
      const pushed = await store.enqueuePlanJob({ kind: 'plan', repo, pr: 1, headSha: 'h2' });
      expect(pushed.cancelRequested.map((job) => [job.id, job.cancelReason])).toEqual([[planning.job.id, 'superseded by h2']]);
      expect((await store.heartbeatJobs('worker-1', [planning.job.id, applying.job.id])).map((beat) => beat.stop?.reason ?? null)).toEqual(['cancel-requested', null]);
      expect(await store.getJob(waiting.job.id)).toMatchObject({ status: 'queued', cancelReason: null });
    });

    it('tells a `/plan` command that starts after a newer push that its head is outdated, and supersedes nothing newer', async () => {
      const planning = await store.enqueueJob({ kind: 'command', repo, pr: 1, headSha: '', command: 'comment:1' });
      expect((await store.claimJob('worker-1', ['command']))?.id).toBe(planning.job.id);
      // The comment's job was queued before the push of h2; GitHub still named h1 as the head when it ran.
      const pushed = await store.enqueuePlanJob({ kind: 'plan', repo, pr: 1, headSha: 'h2' });
      const start = await store.startPlanCommand({ jobId: planning.job.id, repo, pr: 1, headSha: 'h1' });
      expect(start).toMatchObject({ outdatedBy: 'h2', superseded: [], cancelRequested: [] });
      expect(await store.getJob(pushed.job.id)).toMatchObject({ status: 'queued', cancelReason: null });
      // The same head as the newest plan job is not outdated.
      const again = await store.enqueueJob({ kind: 'command', repo, pr: 1, headSha: '', command: 'comment:2' });
      expect((await store.claimJob('worker-1', ['command']))?.id).toBe(again.job.id);
      expect((await store.startPlanCommand({ jobId: again.job.id, repo, pr: 1, headSha: 'h2' })).outdatedBy).toBeUndefined();
    });

    it('aborts a running plan job in this process at once', async () => {
      const q = queue(store, { heartbeatMs: 5_000, leaseMs: 60_000 });
      const g = gate();
      q.register('plan', g.handler);
      await q.start();
      const old = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'old' });
      await waitFor('the old plan to start', () => g.started.includes(old.job.id));
      const fresh = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'new' });
      await waitFor('the old plan to be aborted', () => g.aborted.length === 1);
      expect(g.aborted[0]?.reason).toBeInstanceOf(JobStoppedError);
      expect(g.aborted[0]?.reason).toMatchObject({ reason: 'superseded', message: 'superseded by new' });
      expect(await waitForStatus(store, old.job.id, 'superseded')).toMatchObject({ error: 'superseded by new' });
      await waitFor('the new plan to start', () => g.started.includes(fresh.job.id));
    });

    it('aborts a running plan job in another replica on its next heartbeat', async () => {
      const other = await handle.open();
      const worker = queue(store);
      const g = gate();
      worker.register('plan', g.handler);
      await worker.start();
      const web = queue(other); // enqueues only: no handlers, claims nothing
      await web.start();
      const old = await web.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'old' });
      await waitFor('the worker to start the old plan', () => g.started.includes(old.job.id));
      const fresh = await web.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'new' });
      await waitFor('the worker to notice', () => g.aborted.some((a) => a.id === old.job.id));
      await waitForStatus(store, old.job.id, 'superseded');
      await waitFor('the new plan to start', () => g.started.includes(fresh.job.id));
    });
  });

  describe.skipIf(factory.skip)('several replicas', () => {
    it('runs each of many jobs exactly once across two replicas', async () => {
      const other = await handle.open();
      const runs = new Map<number, number>();
      const handler = async (job: Job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 1));
      };
      const a = queue(store, { concurrency: 3 }).register('plan', handler);
      const b = queue(other, { concurrency: 3 }).register('plan', handler);
      const ids: number[] = [];
      for (let pr = 1; pr <= 40; pr += 1) ids.push((await (pr % 2 ? a : b).enqueue({ kind: 'plan', repo, pr, headSha: 's' })).job.id);
      await Promise.all([a.start(), b.start()]);
      await waitFor('all jobs to finish', async () => (await store.listJobs({ status: 'succeeded' })).length === ids.length);
      expect([...runs.keys()].sort((x, y) => x - y)).toEqual(ids);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      const owners = new Set((await store.listJobs()).map((j) => j.owner));
      expect([...owners].every((o) => o === a.owner || o === b.owner)).toBe(true);
    });

    it('hands a queued job to exactly one of two store instances racing to claim it, 50 times', async () => {
      const other = await handle.open();
      for (let round = 0; round < 50; round += 1) {
        const { job } = await store.enqueueJob({ kind: 'race', repo, pr: round, headSha: 's' });
        const claims = await Promise.all([store.claimJob('w1', ['race']), other.claimJob('w2', ['race']), store.claimJob('w3', ['race']), other.claimJob('w4', ['race'])]);
        const winners = claims.filter((c) => c !== undefined);
        expect(winners).toHaveLength(1);
        expect(winners[0]?.id).toBe(job.id);
        expect((await store.getJob(job.id))?.owner).toBe(winners[0]?.owner);
      }
    });
  });

  describe.skipIf(factory.skip)('interrupted jobs', () => {
    it('marks a job whose owner stopped heartbeating interrupted, reports it once and never re-runs it', async () => {
      const { job } = await store.enqueueJob({ kind: 'apply', repo, pr: 1, headSha: 'a1' });
      // a worker on another host claimed it and then went silent
      await store.claimJob('elsewhere:4242:deadbeef', ['apply']);
      const apply = await store.recordApplyStart({ kind: 'apply', repo, pr: 1, project: 'prod', workspace: 'default', sha: 'a1', actor: 'alice', jobId: job.id });
      const reported: Job[] = [];
      const causes: InterruptedCause[] = [];
      const ran: number[] = [];
      const q = queue(store, { leaseMs: 1_000, heartbeatMs: 50, onInterrupted: (jobs, cause) => void (reported.push(...jobs), causes.push(cause)) });
      q.register('apply', async (j) => void ran.push(j.id));
      await q.start(); // the heartbeat is still fresh: nothing yet
      expect(reported).toEqual([]);
      await waitFor('the lease to expire and the sweep to report it', () => reported.length > 0);
      expect(reported.map((j) => [j.id, j.status])).toEqual([[job.id, 'interrupted']]);
      // Abandoned: this queue cannot tell a crash, a restart and a worker cut off from the store apart.
      expect(causes).toEqual(['abandoned']);
      expect(await store.getApply(apply.id)).toMatchObject({ outcome: 'interrupted' });
      expect(await q.recoverInterrupted()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran).toEqual([]);
      expect((await store.getJob(job.id))?.status).toBe('interrupted');
    });

    it('closes an abandoned job that was already superseded as superseded, without reporting it', async () => {
      const { job } = await store.enqueueJob({ kind: 'plan', repo, pr: 1, headSha: 'old' });
      await store.claimJob('elsewhere:4242:deadbeef', ['plan']);
      const abandonedApply = await store.enqueueJob({ kind: 'apply', repo, pr: 2, headSha: 'x' });
      await store.claimJob('elsewhere:4242:deadbeef', ['apply']);
      expect((await store.supersedePlanJobs({ repo, pr: 1, headSha: 'new' })).cancelRequested.map((j) => j.id)).toEqual([job.id]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const reported = await store.recoverInterruptedJobs({ leaseMs: 0 });
      expect(reported.map((j) => j.id)).toEqual([abandonedApply.job.id]);
      expect(await store.getJob(job.id)).toMatchObject({ status: 'superseded', error: 'superseded by new' });
    });

    it('stops a job another replica declared abandoned', async () => {
      const q = queue(store, { heartbeatMs: 100 });
      const g = gate();
      q.register('plan', g.handler);
      await q.start();
      const { job } = await q.enqueue({ kind: 'plan', repo, pr: 1, headSha: 'a1' });
      await waitFor('the job to start', () => g.started.includes(job.id));
      // another replica with a very short lease sweeps while this one is (for it) silent
      const other = await handle.open();
      // (retried: a sweep landing in the same millisecond as a heartbeat finds the job fresh)
      const swept = await waitFor('the sweep to take the job', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const jobs = await other.recoverInterruptedJobs({ leaseMs: 0 });
        return jobs.length > 0 ? jobs : undefined;
      });
      expect(swept.map((j) => j.id)).toEqual([job.id]);
      await waitFor('the handler to be told', () => g.aborted.length === 1);
      expect(g.aborted[0]?.reason).toMatchObject({ reason: 'lost' });
      expect((await store.getJob(job.id))?.status).toBe('interrupted');
    });

    it('on stop, aborts jobs still running after the grace period and reports them interrupted', async () => {
      const reported: Job[] = [];
      const causes: InterruptedCause[] = [];
      const q = queue(store, { shutdownGraceMs: 0 });
      q.onInterrupted((jobs, cause) => void (reported.push(...jobs), causes.push(cause)));
      const g = gate();
      q.register('apply', g.handler);
      await q.start();
      const { job } = await q.enqueue({ kind: 'apply', repo, pr: 1, headSha: 'a1' });
      await waitFor('the job to start', () => g.started.includes(job.id));
      await q.stop();
      expect(g.aborted[0]?.reason).toMatchObject({ reason: 'shutdown' });
      expect((await store.getJob(job.id))?.status).toBe('interrupted');
      expect(reported.map((j) => j.id)).toEqual([job.id]);
      expect(causes).toEqual(['shutdown']);
    });
  });

  it('rejects nonsensical settings', () => {
    const fake = {} as Store;
    expect(() => new JobQueue(fake, { concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new JobQueue(fake, { heartbeatMs: 1_000, leaseMs: 1_500 })).toThrow(/twice/);
    expect(() => new JobQueue(fake).register('plan', async () => 1).register('plan', async () => 2)).toThrow(/already registered/);
  });
});
