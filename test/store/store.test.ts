import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PlanFileError } from '../../src/store/store-errors.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Job, Store } from '../../src/store/store.js';
import { ENGINES } from './engines.js';
import type { EngineHandle } from './engines.js';

const repo = 'acme/infra';
const lockKey = { repo, project: 'prod', workspace: 'default' };
const summary = { add: 1, change: 2, destroy: 0, replace: 0, import: 0, move: 0, forget: 0, read: 0, no_op: 3 };

describe.each(ENGINES)('store on $name', (factory) => {
  let handle: EngineHandle;
  let store: Store;

  beforeEach(async () => {
    if (factory.skip) return;
    handle = await factory.setup();
    store = await handle.open();
  });
  afterEach(async () => {
    if (factory.skip) return;
    await handle.cleanup();
  });

  describe.skipIf(factory.skip)('plans', () => {
    it('records a plan, updates it, and finds the newest per project and head SHA', async () => {
      const first = await store.recordPlan({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'aaa', baseSha: 'base1' });
      expect(first).toMatchObject({ status: 'planning', planfile: null, summary: null, risk: null });
      const ref = await store.putPlanFile({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'aaa' }, Buffer.from('planfile-bytes'));
      const updated = await store.updatePlan(first.id, { status: 'planned', planfile: ref, summary, risk: 'high' });
      expect(updated).toMatchObject({ id: first.id, status: 'planned', planfile: ref, summary, risk: 'high', headSha: 'aaa', baseSha: 'base1' });
      const second = await store.recordPlan({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'bbb', baseSha: 'base1', status: 'planned' });
      await store.recordPlan({ repo, pr: 7, project: 'staging', workspace: 'default', headSha: 'bbb', baseSha: 'base1' });

      expect((await store.latestPlan({ repo, pr: 7, project: 'prod', workspace: 'default' }))?.id).toBe(second.id);
      expect((await store.latestPlan({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'aaa' }))?.id).toBe(first.id);
      expect(await store.latestPlan({ repo, pr: 8, project: 'prod', workspace: 'default' })).toBeUndefined();
      expect((await store.listPlans({ repo, pr: 7, headSha: 'bbb' })).map((p) => p.project).sort()).toEqual(['prod', 'staging']);
      expect((await store.getPlan(first.id))?.summary).toEqual(summary);
      await expect(store.updatePlan(999_999, { status: 'failed' })).rejects.toThrow(/plan 999999 not found/);
    });

    it('hands a planned plan to exactly one of several concurrent applies, and none other than a planned one', async () => {
      const plan = await store.recordPlan({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'aaa', baseSha: 'base1', status: 'planned' });
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimPlanForApply(plan.id)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.getPlan(plan.id))?.status).toBe('applying');
      expect(await store.claimPlanForApply(plan.id)).toBe(false);
      for (const status of ['planning', 'failed', 'applied', 'apply-failed', 'stale', 'superseded', 'discarded'] as const) {
        const other = await store.recordPlan({ repo, pr: 7, project: 'prod', workspace: 'default', headSha: 'aaa', baseSha: 'base1', status });
        expect(await store.claimPlanForApply(other.id), status).toBe(false);
        expect((await store.getPlan(other.id))?.status).toBe(status);
      }
      expect(await store.claimPlanForApply(999_999)).toBe(false);
    });
  });

  describe.skipIf(factory.skip)('plan files', () => {
    const owner = { repo, pr: 3, project: 'prod', workspace: 'default', headSha: 'abc123' };

    it('returns the bytes with their SHA-256', async () => {
      const data = Buffer.from([0, 1, 2, 3, 255, 254]);
      const ref = await store.putPlanFile(owner, data);
      expect(ref.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(ref.size).toBe(6);
      expect(await store.getPlanFile(ref)).toEqual(data);
    });

    it('refuses a plan file whose recorded hash does not match', async () => {
      const ref = await store.putPlanFile(owner, Buffer.from('original'));
      const otherHash = createHash('sha256').update('something else').digest('hex');
      await expect(store.getPlanFile({ location: ref.location, sha256: otherHash })).rejects.toMatchObject({ code: 'hash-mismatch' });
    });

    it('refuses a plan file whose bytes were altered after storing', async () => {
      const ref = await store.putPlanFile(owner, Buffer.from('original'));
      if (factory.engine === 'sqlite') {
        const file = path.join(handle.options.dataDir as string, ref.location.slice('file:'.length));
        await writeFile(file, 'tampered');
      } else {
        const client = new pg.Client({ connectionString: handle.options.databaseUrl });
        await client.connect();
        try {
          await client.query(`update "${handle.options.schema}".plan_files set data = $1 where id = $2`, [Buffer.from('tampered'), Number(ref.location.slice(3))]);
        } finally {
          await client.end();
        }
      }
      const error = await store.getPlanFile(ref).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlanFileError);
      expect(error).toMatchObject({ code: 'hash-mismatch' });
    });

    it('reports a missing plan file and a location that is not its own', async () => {
      const ref = await store.putPlanFile(owner, Buffer.from('x'));
      await expect(store.getPlanFile({ location: 'file:plans/../../etc/passwd', sha256: ref.sha256 })).rejects.toMatchObject({ code: 'bad-location' });
      const missing = factory.engine === 'sqlite' ? 'file:plans/acme/infra/3/prod/default/nope.tfplan' : 'db:987654';
      await expect(store.getPlanFile({ location: missing, sha256: ref.sha256 })).rejects.toMatchObject({ code: 'missing' });
    });

    it.skipIf(factory.engine !== 'sqlite')('writes plan files with mode 0600 under DATA_DIR/plans', async () => {
      const ref = await store.putPlanFile({ ...owner, project: '../../escape' }, Buffer.from('secret'));
      const file = path.resolve(handle.options.dataDir as string, ref.location.slice('file:'.length));
      expect(file.startsWith(path.resolve(handle.options.dataDir as string, 'plans') + path.sep)).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    });

    it('prunes old plans and their files but keeps plans in flight', async () => {
      const ref = await store.putPlanFile(owner, Buffer.from('old'));
      const done = await store.recordPlan({ ...owner, baseSha: 'b', status: 'planned', planfile: ref });
      const inFlightRef = await store.putPlanFile(owner, Buffer.from('in flight'));
      const inFlight = await store.recordPlan({ ...owner, baseSha: 'b', status: 'applying', planfile: inFlightRef });
      // A row an older release (before migration 2) left in processed_keys: nothing writes the table now.
      await (store as KyselyStore).db.insertInto('processed_keys').values({ key: 'delivery-1', created_at: Date.now() }).execute();

      const nothing = await store.pruneOlderThan(60_000);
      expect(nothing).toEqual({ plans: 0, planFiles: 0, jobs: 0, processedKeys: 0 });

      await new Promise((resolve) => setTimeout(resolve, 5));
      const pruned = await store.pruneOlderThan(0);
      expect(pruned).toMatchObject({ plans: 1, planFiles: 1, processedKeys: 1 });
      expect(await store.getPlan(done.id)).toBeUndefined();
      await expect(store.getPlanFile(ref)).rejects.toMatchObject({ code: 'missing' });
      expect(await store.getPlan(inFlight.id)).toBeDefined();
      expect((await store.getPlanFile(inFlightRef)).toString()).toBe('in flight');
      await expect(store.pruneOlderThan(-1)).rejects.toThrow(RangeError);
    });
  });

  describe.skipIf(factory.skip)('locks', () => {
    it('gives a free lock, re-grants it to the same PR, and tells another PR who holds it', async () => {
      const first = await store.acquireLock({ ...lockKey, pr: 1, holder: 'alice' });
      expect(first).toMatchObject({ acquired: true, lock: { ...lockKey, pr: 1, holder: 'alice' } });
      expect(await store.acquireLock({ ...lockKey, pr: 1, holder: 'bob' })).toMatchObject({ acquired: true, lock: { pr: 1, holder: 'alice' } });
      const denied = await store.acquireLock({ ...lockKey, pr: 2, holder: 'bob' });
      expect(denied).toMatchObject({ acquired: false, heldBy: { pr: 1, holder: 'alice' } });
      if (!denied.acquired) expect(denied.heldBy.since).toBeInstanceOf(Date);
      // another workspace or project is another lock
      expect((await store.acquireLock({ ...lockKey, workspace: 'other', pr: 2, holder: 'bob' })).acquired).toBe(true);
    });

    it('releases only for the holding PR unless forced', async () => {
      await store.acquireLock({ ...lockKey, pr: 1, holder: 'alice' });
      expect(await store.releaseLock({ ...lockKey, pr: 2 })).toBe(false);
      expect(await store.getLock(lockKey)).toMatchObject({ pr: 1 });
      expect(await store.releaseLock({ ...lockKey, pr: 1 })).toBe(true);
      expect(await store.getLock(lockKey)).toBeUndefined();
      expect((await store.acquireLock({ ...lockKey, pr: 2, holder: 'bob' })).acquired).toBe(true);
      expect(await store.releaseLock({ ...lockKey, force: true })).toBe(true);
      await expect(store.releaseLock({ ...lockKey })).rejects.toThrow(/holding pr/);
    });

    it('releases every lock of a PR and lists locks with filters', async () => {
      await store.acquireLock({ repo, project: 'a', workspace: 'default', pr: 1, holder: 'alice' });
      await store.acquireLock({ repo, project: 'b', workspace: 'default', pr: 1, holder: 'alice' });
      await store.acquireLock({ repo, project: 'c', workspace: 'default', pr: 2, holder: 'bob' });
      await store.acquireLock({ repo: 'acme/other', project: 'a', workspace: 'default', pr: 1, holder: 'carol' });
      expect((await store.listLocks()).length).toBe(4);
      expect((await store.listLocks({ repo })).map((l) => l.project)).toEqual(['a', 'b', 'c']);
      expect((await store.listLocks({ repo, pr: 1 })).map((l) => l.project)).toEqual(['a', 'b']);
      const released = await store.releaseLocksForPr(repo, 1);
      expect(released.map((l) => l.project)).toEqual(['a', 'b']);
      expect((await store.listLocks()).map((l) => `${l.repo}:${l.project}`)).toEqual(['acme/infra:c', 'acme/other:a']);
    });

    it('lets exactly one of two store instances win each of 50 concurrent races', async () => {
      const other = await handle.open();
      for (let round = 0; round < 50; round += 1) {
        const key = { repo, project: `p${round}`, workspace: 'default' };
        const attempts = [store, other, store, other].map((s, i) => s.acquireLock({ ...key, pr: 100 + i, holder: `user${i}` }));
        const results = await Promise.all(attempts);
        const winners = results.flatMap((r, i) => (r.acquired ? [i] : []));
        expect(winners).toHaveLength(1);
        const winner = 100 + (winners[0] as number);
        for (const r of results) if (!r.acquired) expect(r.heldBy.pr).toBe(winner);
        expect((await other.getLock(key))?.pr).toBe(winner);
      }
    });
  });

  describe.skipIf(factory.skip)('applies and rollbacks', () => {
    it('records start and finish, and finds what a rollback returns to', async () => {
      const base = { repo, project: 'prod', workspace: 'default', actor: 'alice' };
      const a1 = await store.recordApplyStart({ ...base, kind: 'apply', pr: 1, sha: 's1' });
      expect(a1).toMatchObject({ outcome: 'running', finishedAt: null, planId: null, rollbackOf: null });
      await store.recordApplyFinish(a1.id, { outcome: 'succeeded', outputDigest: 'd1' });
      const failed = await store.recordApplyStart({ ...base, kind: 'apply', pr: 2, sha: 's2' });
      await store.recordApplyFinish(failed.id, { outcome: 'failed' });
      const a3 = await store.recordApplyStart({ ...base, kind: 'apply', pr: 3, sha: 's3', planId: 42, jobId: 5 });
      const finished = await store.recordApplyFinish(a3.id, { outcome: 'succeeded', outputDigest: 'd3' });
      expect(finished).toMatchObject({ outcome: 'succeeded', outputDigest: 'd3', planId: 42, jobId: 5 });
      expect(finished.finishedAt).toBeInstanceOf(Date);

      expect((await store.lastSuccessfulApply(repo, 'prod', 'default'))?.sha).toBe('s3');
      expect((await store.lastSuccessfulApply(repo, 'prod', 'default', { beforeId: a3.id }))?.sha).toBe('s1');
      expect(await store.lastSuccessfulApply(repo, 'prod', 'default', { beforeId: a1.id })).toBeUndefined();
      expect(await store.lastSuccessfulApply(repo, 'staging', 'default')).toBeUndefined();

      const rollback = await store.recordApplyStart({ ...base, kind: 'rollback', pr: 3, sha: 's1', rollbackOf: a3.id, actor: 'bob' });
      await store.recordApplyFinish(rollback.id, { outcome: 'succeeded' });
      expect(await store.lastSuccessfulApply(repo, 'prod', 'default')).toMatchObject({ kind: 'rollback', sha: 's1', rollbackOf: a3.id, actor: 'bob' });
      expect((await store.listApplies({ repo, pr: 3 })).map((a) => a.kind)).toEqual(['rollback', 'apply']);
      expect((await store.listApplies({ repo })).length).toBe(4);
      await expect(store.recordApplyFinish(999_999, { outcome: 'failed' })).rejects.toThrow(/not found/);
    });

    it('keeps an apply the tool refused as stale, which is never a state to return to', async () => {
      const base = { repo, project: 'prod', workspace: 'default', actor: 'alice', kind: 'apply' as const };
      const good = await store.recordApplyStart({ ...base, pr: 1, sha: 's1' });
      await store.recordApplyFinish(good.id, { outcome: 'succeeded' });
      const stale = await store.recordApplyStart({ ...base, pr: 2, sha: 's2', planId: 7 });
      expect(await store.recordApplyFinish(stale.id, { outcome: 'stale', outputDigest: 'd' })).toMatchObject({ outcome: 'stale', planId: 7 });
      expect((await store.lastSuccessfulApply(repo, 'prod', 'default'))?.sha).toBe('s1');
      expect((await store.listApplies({ repo, pr: 2 })).map((a) => a.outcome)).toEqual(['stale']);
      const plan = await store.recordPlan({ repo, pr: 2, project: 'prod', workspace: 'default', headSha: 's2', baseSha: 's0', status: 'planned' });
      expect((await store.updatePlan(plan.id, { status: 'stale' })).status).toBe('stale');
    });
  });

  describe.skipIf(factory.skip)('audit and exactly-once', () => {
    it('keeps every command and decision with its reason, per PR, in order', async () => {
      await store.audit({ repo, pr: 1, actor: 'alice', action: 'command:/apply', project: 'prod', details: { commentId: 9 } });
      await store.audit({ repo, pr: 1, actor: 'infra-review', action: 'decision:apply-denied', project: 'prod', reason: 'missing approval from @acme/sre' });
      await store.audit({ repo, pr: 2, actor: 'bob', action: 'command:/plan' });
      await store.audit({ repo: 'acme/other', actor: 'carol', action: 'command:/plan' });
      const pr1 = await store.listAudit({ repo, pr: 1 });
      expect(pr1.map((e) => e.action)).toEqual(['command:/apply', 'decision:apply-denied']);
      expect(pr1[0]).toMatchObject({ actor: 'alice', details: { commentId: 9 }, reason: null, workspace: null });
      expect(pr1[1]).toMatchObject({ reason: 'missing approval from @acme/sre' });
      expect(pr1[0]?.at).toBeInstanceOf(Date);
      expect((await store.listAudit({ repo })).length).toBe(3);
      // A limit keeps the newest events (still listed oldest first).
      expect((await store.listAudit({ repo, limit: 1 })).map((e) => e.action)).toEqual(['command:/plan']);
      expect((await store.listAudit({ repo, limit: 2 })).map((e) => e.action)).toEqual(['decision:apply-denied', 'command:/plan']);
    });

    it('claims a key and enqueues its job together: exactly one job per key, even concurrently and after the job ended', async () => {
      const other = await handle.open();
      const job = (round: number) => ({ kind: 'command', repo, pr: round, headSha: '', key: `comment:${repo}:${round}`, payload: { round } });
      for (let round = 0; round < 10; round += 1) {
        const results = await Promise.all([store, other, store, other].map((s) => s.enqueueJobOnce(`comment:${repo}:${round}`, job(round))));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect(results.find((r) => r !== undefined)).toMatchObject({ created: true, job: { key: `comment:${repo}:${round}`, payload: { round } } });
        expect(await store.listJobs({ repo, pr: round })).toHaveLength(1);
      }
      const claimed = await store.claimJob('worker-1', ['command']);
      expect(claimed).toBeDefined();
      await store.finishJob(claimed!.id, 'worker-1', { status: 'succeeded' });
      // The job ended (its key is free in the jobs table) but the once-key still refuses a redelivery.
      expect(await store.enqueueJobOnce(`comment:${repo}:${claimed!.pr}`, job(claimed!.pr))).toBeUndefined();
      expect(await store.listJobs({ repo, pr: claimed!.pr })).toHaveLength(1);
    });

    it('leaves the key unclaimed when the job cannot be enqueued, so a redelivery still runs', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(store.enqueueJobOnce('comment:acme/infra:77', { kind: 'command', repo, pr: 77, headSha: '', payload: circular })).rejects.toThrow(/circular/i);
      expect(await store.listJobs({ repo, pr: 77 })).toEqual([]);
      const retried = await store.enqueueJobOnce('comment:acme/infra:77', { kind: 'command', repo, pr: 77, headSha: '', payload: { ok: true } });
      expect(retried).toMatchObject({ created: true, job: { payload: { ok: true } } });
    });
  });

  describe.skipIf(factory.skip)('job results', () => {
    /** A plan result of a PR at GitHub's listing limit: 3,000 changed files, each one a rename (two paths). */
    function planResultOf3000Files() {
      const files = Array.from({ length: 3000 }, (_, index) => {
        const dir = `services/team-${String(index % 40).padStart(2, '0')}/terraform/modules/component-${String(index).padStart(4, '0')}`;
        return [
          { path: `${dir}/main.tf`, project: `services/team-${String(index % 40).padStart(2, '0')}/terraform` },
          { path: `${dir}/old-name-of-the-file.tf`, project: `services/team-${String(index % 40).padStart(2, '0')}/terraform` },
        ];
      }).flat();
      const projects = Array.from({ length: 40 }, (_, index) => ({
        name: `services/team-${String(index).padStart(2, '0')}/terraform`,
        workspace: 'default',
        dir: `services/team-${String(index).padStart(2, '0')}/terraform`,
        workflow: 'default',
        varFiles: [],
        status: 'planned',
        risk: 'medium',
        hasChanges: true,
      }));
      return { outcome: 'published', headSha: 'a'.repeat(40), files, filesTruncated: true, projects };
    }

    async function finished(result: unknown, error?: string) {
      await store.enqueueJob({ kind: 'plan', repo, pr: 300, headSha: 'a'.repeat(40), payload: {} });
      const claimed = await store.claimJob('worker-1', ['plan']);
      await store.finishJob(claimed!.id, 'worker-1', { status: 'succeeded', result, ...(error !== undefined ? { error } : {}) });
      return claimed!.id;
    }

    it('keeps the whole plan result of a PR with 3,000 changed files (what /apply and approvals read back)', async () => {
      const result = planResultOf3000Files();
      expect(JSON.stringify(result).length).toBeGreaterThan(500_000);
      const id = await finished(result);
      expect((await store.getJob(id))?.result).toEqual(result);
      expect((await store.listJobs({ repo, pr: 300, status: 'succeeded' }))[0]?.result).toEqual(result);
    });

    it('still bounds error text and audit text, and marks a result beyond its (much larger) bound as truncated', async () => {
      const id = await finished({ small: true }, 'e'.repeat(100_000));
      expect((await store.getJob(id))?.error).toHaveLength(16_000);
      await store.audit({ repo, pr: 300, actor: 'alice', action: 'command:/apply', reason: 'r'.repeat(100_000), details: { text: 'd'.repeat(100_000) } });
      const [event] = await store.listAudit({ repo, pr: 300 });
      expect(event?.reason).toHaveLength(16_000);
      expect(event?.details).toMatchObject({ truncated: true });
      expect(JSON.stringify(event?.details).length).toBeLessThanOrEqual(16_000);
      const huge = await finished({ blob: 'x'.repeat(20_000_000) });
      const stored = (await store.getJob(huge))?.result as { truncated?: boolean; preview?: string };
      expect(stored).toMatchObject({ truncated: true, bytes: JSON.stringify({ blob: 'x'.repeat(20_000_000) }).length, limit: 4 * 1024 * 1024 });
      expect(stored.preview?.length).toBeLessThan(20_000);
    });

    it('bounds a result by the UTF-8 bytes of its JSON (4 MiB), and records how large a dropped one was', async () => {
      const limit = 4 * 1024 * 1024;
      // {"s":"…"} is 8 characters around the string: exactly at the bound it is kept whole.
      const atLimit = { s: 'x'.repeat(limit - 8) };
      expect((await store.getJob(await finished(atLimit)))?.result).toEqual(atLimit);
      // Two-byte characters: under the bound in characters, over it in bytes.
      const wide = { s: 'é'.repeat(limit / 2) };
      expect(JSON.stringify(wide).length).toBeLessThan(limit);
      const dropped = (await store.getJob(await finished(wide)))?.result;
      expect(dropped).toMatchObject({ truncated: true, bytes: limit + 8, limit });
    });
  });

  describe.skipIf(factory.skip)('plan results of a head', () => {
    const HEAD = 'h'.repeat(40);
    const OTHER = 'o'.repeat(40);
    let n = 0;

    /** A finished job; a `command` job given `plans` starts planning that head as a `/plan` does (startPlanCommand). */
    async function finished(input: { kind: string; pr?: number; repo?: string; headSha?: string; plans?: string; status?: 'succeeded' | 'failed'; result: unknown }) {
      n += 1;
      await store.enqueueJob({ kind: input.kind, repo: input.repo ?? repo, pr: input.pr ?? 1, headSha: input.headSha ?? '', command: `c${n}`, payload: { n } });
      const claimed = (await store.claimJob('worker-1', [input.kind]))!;
      if (input.plans !== undefined) await store.startPlanCommand({ jobId: claimed.id, repo: input.repo ?? repo, pr: input.pr ?? 1, headSha: input.plans });
      await store.finishJob(claimed.id, 'worker-1', { status: input.status ?? 'succeeded', result: input.result, error: 'e' });
      return claimed.id;
    }

    it("reads only the head's succeeded plan and command jobs, commands without a head, and only the fields readers use", async () => {
      const plan = (headSha: string) => ({ outcome: 'published', headSha, files: [{ path: 'x'.repeat(10_000), project: null }], projects: [] });
      const planHead = await finished({ kind: 'plan', headSha: HEAD, result: plan(HEAD) });
      const planOther = await finished({ kind: 'plan', headSha: OTHER, result: plan(OTHER) });
      const commandHead = await finished({ kind: 'command', plans: HEAD, result: { command: 'plan', outcome: 'succeeded', plan: plan(HEAD) } });
      const commandOther = await finished({ kind: 'command', plans: OTHER, result: { command: 'plan', outcome: 'succeeded', plan: plan(OTHER) } });
      // A command that never planned (or a /plan stored before heads were recorded): its head is only in its result.
      const headless = await finished({ kind: 'command', result: { command: 'plan', outcome: 'succeeded', plan: plan(OTHER) } });
      await finished({ kind: 'plan', headSha: HEAD, status: 'failed', result: plan(HEAD) });
      await finished({ kind: 'approval', headSha: HEAD, result: plan(HEAD) });
      await finished({ kind: 'plan', headSha: HEAD, pr: 2, result: plan(HEAD) });
      await finished({ kind: 'plan', headSha: HEAD, repo: 'acme/other', result: plan(HEAD) });

      const ofHead = await store.listPlanResults({ repo, pr: 1, headSha: HEAD });
      expect(ofHead).toEqual([
        { id: planHead, kind: 'plan', status: 'succeeded', headSha: HEAD, result: plan(HEAD) },
        { id: commandHead, kind: 'command', status: 'succeeded', headSha: HEAD, result: { command: 'plan', outcome: 'succeeded', plan: plan(HEAD) } },
        { id: headless, kind: 'command', status: 'succeeded', headSha: '', result: { command: 'plan', outcome: 'succeeded', plan: plan(OTHER) } },
      ]);
      expect((await store.listPlanResults({ repo, pr: 1 })).map((row) => row.id)).toEqual([planHead, planOther, commandHead, commandOther, headless]);
      expect(await store.listPlanResults({ repo, pr: 1, headSha: 'f'.repeat(40) })).toEqual([ofHead[2]]);
    });

    it('lists jobs without their payload and result when a reader needs neither', async () => {
      await finished({ kind: 'plan', headSha: HEAD, result: { big: 'x'.repeat(100_000) } });
      await finished({ kind: 'plan', headSha: OTHER, status: 'failed', result: { big: 'y' } });
      await finished({ kind: 'plan', headSha: HEAD, pr: 2, result: null });
      await store.enqueueJob({ kind: 'command', repo, pr: 1, headSha: '', command: 'queued', payload: { p: 1 } });
      const withoutData = (jobs: Job[]) => jobs.map(({ payload: _payload, result: _result, ...rest }) => rest);
      const summaries = await store.listJobSummaries({ repo, pr: 1 });
      expect(summaries).toHaveLength(3);
      expect(summaries).toEqual(withoutData(await store.listJobs({ repo, pr: 1 })));
      for (const summary of summaries) {
        expect(summary).not.toHaveProperty('payload');
        expect(summary).not.toHaveProperty('result');
      }
      expect(await store.listJobSummaries({ repo, pr: 1, status: ['failed', 'queued'] })).toEqual(withoutData(await store.listJobs({ repo, pr: 1, status: ['failed', 'queued'] })));
      expect((await store.listJobSummaries({ kind: 'plan', status: 'succeeded' })).map((job) => job.pr)).toEqual([1, 2]);
    });
  });

  describe.skipIf(factory.skip)('lifecycle', () => {
    it('answers ping while open and fails after close', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      const other = await handle.open();
      await other.close();
      await expect(other.ping()).rejects.toThrow();
      await other.close(); // closing twice is harmless
    });

    it('reopens an existing database without re-running migrations and keeps the data', async () => {
      await store.acquireLock({ ...lockKey, pr: 5, holder: 'dave' });
      const again = await handle.open();
      expect(await again.getLock(lockKey)).toMatchObject({ pr: 5, holder: 'dave' });
    });
  });
});
