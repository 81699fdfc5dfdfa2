// Store benchmark (`npm run bench`, after `npm run build`): enqueue-to-start latency of the job queue
// (p50/p99, worker woken in-process) and lock acquire/release throughput, on SQLite and, when
// DATABASE_URL is set, on PostgreSQL (in a throwaway schema). Numbers are printed, not asserted.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { JobQueue } from '../lib/jobs/job-queue.js';
import { openStore } from '../lib/store/open-store.js';

const JOBS = Number(process.env.STORE_BENCH_JOBS ?? 300);
const LOCKS = Number(process.env.STORE_BENCH_LOCKS ?? 1000);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function enqueueToStart(store) {
  const queue = new JobQueue(store, { logger: quiet });
  // keyed by job key, known before enqueue: the job may start before enqueue returns
  const waiting = new Map();
  queue.register('bench', async (job) => {
    waiting.get(job.key)?.(performance.now());
  });
  await queue.start();
  const latencies = [];
  try {
    for (let i = 0; i < JOBS; i += 1) {
      const key = `bench-${i}`;
      const started = new Promise((resolve) => waiting.set(key, resolve));
      const t0 = performance.now();
      await queue.enqueue({ kind: 'bench', repo: 'bench/repo', pr: i, headSha: 'sha', key });
      latencies.push((await started) - t0);
      waiting.delete(key);
    }
  } finally {
    await queue.stop();
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function lockThroughput(store, parallel) {
  const per = Math.ceil(LOCKS / parallel);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, worker) => {
      for (let i = 0; i < per; i += 1) {
        const key = { repo: 'bench/repo', project: `p${worker}-${i % 10}`, workspace: 'default' };
        const result = await store.acquireLock({ ...key, pr: worker + 1, holder: 'bench' });
        if (!result.acquired) throw new Error('bench lock unexpectedly held');
        await store.releaseLock({ ...key, pr: worker + 1 });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return (per * parallel) / seconds;
}

async function benchEngine(name, open, cleanup) {
  const store = await open();
  try {
    const latency = await enqueueToStart(store);
    const serial = await lockThroughput(store, 1);
    const parallel = await lockThroughput(store, 8);
    console.log(
      `store ${name.padEnd(8)} enqueue-to-start p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms (${JOBS} jobs); ` +
        `lock acquire+release ${serial.toFixed(0)}/s serial, ${parallel.toFixed(0)}/s with 8 concurrent callers`,
    );
  } finally {
    await store.close();
    await cleanup();
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'ir-store-bench-'));
await benchEngine('sqlite', () => openStore({ dataDir }), () => rm(dataDir, { recursive: true, force: true }));

const databaseUrl = process.env.DATABASE_URL?.trim();
if (databaseUrl) {
  const schema = `ir_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  await benchEngine(
    'postgres',
    () => openStore({ databaseUrl, schema }),
    async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  );
} else {
  console.log('store postgres skipped: DATABASE_URL is not set');
}
