// Child process for the crash tests: opens the store from the built lib/, starts a worker whose 'apply'
// handler never finishes, enqueues one apply, prints "running <job id>" and waits to be killed (SIGKILL).
// Environment: HOLD_DATA_DIR, or HOLD_DATABASE_URL and HOLD_SCHEMA.
import { JobQueue } from '../../lib/jobs/job-queue.js';
import { openStore } from '../../lib/store/open-store.js';

const store = await openStore(
  process.env.HOLD_DATABASE_URL
    ? { databaseUrl: process.env.HOLD_DATABASE_URL, schema: process.env.HOLD_SCHEMA }
    : { dataDir: process.env.HOLD_DATA_DIR },
);
const queue = new JobQueue(store, { pollIntervalMs: 20, heartbeatMs: 50, leaseMs: 60_000 });
queue.register('apply', (job) => {
  process.stdout.write(`running ${job.id}\n`);
  return new Promise(() => undefined);
});
await queue.start();
await queue.enqueue({ kind: 'apply', repo: 'acme/infra', pr: 9, headSha: 'c0ffee' });
// keep the process alive: the queue's timers are unref'd
setInterval(() => undefined, 1_000);
