import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { INTERRUPTED_ERRORS, type Job } from '../../src/store/store.js';
import { ENGINES } from './engines.js';
import type { EngineHandle } from './engines.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(REPO_ROOT, 'test/store/hold-job.mjs');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Start the child, wait until its apply job runs, and return the job id and a SIGKILL that resolves on exit. */
async function startHolder(env: NodeJS.ProcessEnv): Promise<{ jobId: number; kill: () => Promise<void> }> {
  if (!existsSync(path.join(REPO_ROOT, 'lib/jobs/job-queue.js'))) throw new Error('lib/ is missing: run `npm run build` first (npm test does)');
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const jobId = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child never ran its job; stderr: ${stderr}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /running (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child exited (${code}) before running its job; stderr: ${stderr}`));
    });
  });
  return {
    jobId,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe.each(ENGINES)('crash recovery on $name', (factory) => {
  let handle: EngineHandle | undefined;
  afterEach(async () => {
    await handle?.cleanup();
    handle = undefined;
  });

  it.skipIf(factory.skip)('marks the running job of a SIGKILLed process interrupted and reports it', async () => {
    handle = await factory.setup();
    const env =
      factory.engine === 'sqlite'
        ? { HOLD_DATA_DIR: handle.options.dataDir }
        : { HOLD_DATABASE_URL: handle.options.databaseUrl, HOLD_SCHEMA: handle.options.schema };
    const holder = await startHolder(env);
    const store = await handle.open();
    expect(await store.getJob(holder.jobId)).toMatchObject({ status: 'running', kind: 'apply' });

    // While the holder is alive and heartbeating, a new worker leaves its job alone.
    const early = new JobQueue(store, { leaseMs: 5_000, heartbeatMs: 50, logger: quiet });
    expect(await early.recoverInterrupted()).toEqual([]);

    await holder.kill();
    const reported: Job[] = [];
    // SQLite: the owner's pid is gone on this host, so even a long lease does not delay recovery.
    // PostgreSQL: replicas may live on other hosts; the job is abandoned when its lease runs out.
    const leaseMs = factory.engine === 'sqlite' ? 60_000 : 500;
    const queue = new JobQueue(store, { leaseMs, heartbeatMs: 50, pollIntervalMs: 20, logger: quiet, onInterrupted: (jobs) => void reported.push(...jobs) });
    const ran: number[] = [];
    queue.register('apply', async (job) => void ran.push(job.id));
    await queue.start();
    try {
      const deadline = Date.now() + 10_000;
      while (reported.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(reported.map((j) => [j.id, j.status, j.kind])).toEqual([[holder.jobId, 'interrupted', 'apply']]);
      // The store records why: on SQLite the owner process is known to be gone; on PostgreSQL only its lease ran out.
      const why = factory.engine === 'sqlite' ? INTERRUPTED_ERRORS.processEnded : INTERRUPTED_ERRORS.leaseExpired;
      expect(reported[0]?.error).toBe(why);
      expect((await store.getJob(holder.jobId))?.error).toBe(why);
      // the interrupted apply is not run again
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran).toEqual([]);
      expect((await store.getJob(holder.jobId))?.status).toBe('interrupted');
    } finally {
      await queue.stop();
    }
  });
});
