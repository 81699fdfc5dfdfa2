import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { jobKey, type Job } from '../src/store/store.js';
import { STANDIN, project } from '../test/e2e/harness/e2e-helpers.js';
import { dropSchema } from '../test/store/engines.js';
import { GitHubDouble } from '../test/e2e/harness/github-double.js';
import { DEFAULT_WEBHOOK_PATH, signPayload } from '../test/e2e/harness/sign-webhook.js';
import { RunningApp, generateAppKey } from '../test/e2e/harness/start-app.js';
import { numberFlag, stringFlag } from './bench-args.js';

/**
 * Webhook load: signed `pull_request` (opened, synchronize) and `issue_comment` (created) deliveries sent
 * to the built app at a fixed rate, open loop (each delivery leaves at its scheduled time, whatever the
 * earlier ones are doing), over a keep-alive agent with a bound on requests in flight, from a worker thread
 * of its own (the GitHub double's work never delays a send or the timing of an answer). Reports response
 * times, 5xx and other non-2xx answers, and jobs lost: accepted deliveries whose job is not in the store.
 *
 *   node bench/webhook-load.js [--rate 200] [--seconds 30] [--warmup 3] [--in-flight 256] [--workers 2] [--prs 100] [--store sqlite|postgres] [--cpu-prof DIR]
 */

const RATE = numberFlag('rate', 200);
const SECONDS = numberFlag('seconds', 30);
/** Seconds at the same rate before the measured window: the app warms up (JIT, first templates, first token). */
const WARMUP = numberFlag('warmup', 3, { allowZero: true });
const MAX_IN_FLIGHT = numberFlag('in-flight', 256, { integer: true });
const WORKERS = numberFlag('workers', 2, { integer: true });
const PRS = numberFlag('prs', 100, { integer: true });
/**
 * `--store postgres`: the app's store is PostgreSQL (DATABASE_URL, in a throwaway schema dropped afterwards)
 * instead of SQLite in a temp DATA_DIR: the store for several replicas.
 */
const STORE = storeFlag();
const DATABASE_URL = process.env.DATABASE_URL?.trim() ?? '';
const SCHEMA = `ir_bench_load_${process.pid}_${randomBytes(4).toString('hex')}`;
/** `--cpu-prof DIR`: the app writes a V8 CPU profile of the whole run into DIR (open it in Chrome DevTools). */
const CPU_PROF_DIR = stringFlag('cpu-prof');
const REPOS = 5;
const OWNER = 'acme';
/** Every 4th delivery is a `pull_request` (opened, then synchronize); the rest are PR comments. */
const PULL_REQUEST_EVERY = 4;
/** Of the comments, every 5th is a command (`/plan` or `/help`, alternating); the others are conversation. */
const COMMAND_EVERY = 5;
const TARGET_P99_MS = 50;

const SECRET = 'bench-webhook-load-secret';
const APP_ID = 4251;
const key = generateAppKey();
let double: GitHubDouble;
let app: RunningApp;
let scratch: string;

/** What one delivery must leave in the store: a job with this key (the app's own key format), or nothing. */
type Expectation = { kind: 'plan' | 'command'; key: string } | { kind: 'none' };

interface Delivery {
  id: string;
  name: 'pull_request' | 'issue_comment';
  label: string;
  body: string;
  signature: string;
  expect: Expectation;
}

interface Outcome {
  status: number;
  /** From the moment the request was written to the full response. */
  ms: number;
  /** How late the request left compared with its schedule (generator or in-flight bound). */
  lagMs: number;
  /** The request opened a new connection (none idle in the keep-alive pool). */
  newConnection: boolean;
  error?: string;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'bench-load-'));
  double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
  app = await RunningApp.start({
    gheHost: double.host,
    appId: APP_ID,
    privateKey: key.privateKey,
    webhookSecret: SECRET,
    logLevel: 'info',
    env: {
      IAC_BINARY: STANDIN,
      WORKER_CONCURRENCY: String(WORKERS),
      ...(STORE === 'postgres' ? { DATABASE_URL, DATABASE_SCHEMA: SCHEMA } : {}),
      ...(CPU_PROF_DIR ? { NODE_OPTIONS: `--import=${fileURLToPath(new URL('./cpu-profile.js', import.meta.url))}`, BENCH_CPU_PROFILE_DIR: path.resolve(CPU_PROF_DIR) } : {}),
    },
  });
}, 120_000);

afterAll(async () => {
  // A CPU profile is written when the process exits normally: SIGTERM (the app exits 0), not SIGKILL.
  if (CPU_PROF_DIR) await app?.stop('SIGTERM', 30_000);
  await app?.dispose();
  await double?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (STORE === 'postgres') await dropSchema(DATABASE_URL, SCHEMA);
});

function storeFlag(): 'sqlite' | 'postgres' {
  const store = stringFlag('store') ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new Error(`--store needs sqlite or postgres, got ${JSON.stringify(store)}`);
  if (store === 'postgres' && !process.env.DATABASE_URL?.trim()) throw new Error('--store postgres needs DATABASE_URL (postgres://...) in the environment');
  return store;
}

/**
 * The deliveries, built and signed before the clock starts. Every PULL_REQUEST_EVERY-th slot is a
 * `pull_request`: PRS pull requests over REPOS repositories are opened at even intervals over the run,
 * and between the openings the PRs already open are pushed to in turn (every push a real commit with its
 * own head SHA, so every `pull_request` delivery has its own job key). The other slots are comments by a
 * writer on PRs already open.
 */
async function buildDeliveries(total: number): Promise<Delivery[]> {
  // 1. Which PR event each pull_request slot carries: PR i opens at slot i * openEvery, pushes fill the rest.
  const prSlots = Math.ceil(total / PULL_REQUEST_EVERY);
  const prCount = Math.min(PRS, prSlots);
  const openEvery = Math.max(1, Math.floor(prSlots / prCount));
  const schedule: { pr: number; event: number }[] = [];
  const pushes = new Array<number>(prCount).fill(0);
  let opened = 0;
  let turn = 0;
  for (let k = 0; k < prSlots; k++) {
    if (opened < prCount && (k % openEvery === 0 || opened === 0)) {
      schedule.push({ pr: opened++, event: 0 });
    } else {
      const pr = turn++ % opened;
      schedule.push({ pr, event: ++pushes[pr]! });
    }
  }

  // 2. The repositories, PRs and commits, built repository by repository in parallel (git work per repository stays in order).
  const prs: { repo: string; number: number; events: { label: string; payload: unknown; head: string }[] }[] = new Array(prCount);
  double.setPermission('alice', 'write');
  await Promise.all(
    Array.from({ length: REPOS }, async (_, r) => {
      const repo = `load-${r}`;
      const statePath = path.join(scratch, `${repo}.tfstate`);
      await double.createRepo(OWNER, repo, { 'envs/prod/main.tf': project(statePath, 'v0'), '.github/INFRAOWNERS': '/envs/   @bob\n' });
      for (let i = r; i < prCount; i += REPOS) {
        const branch = `change-${i}`;
        await double.pushCommit(OWNER, repo, branch, { 'envs/prod/main.tf': project(statePath, `v${i}-0`) }, `PR ${i}`);
        const open = await double.openPullRequest({ owner: OWNER, repo, head: branch, author: 'alice', title: `Change ${i}` });
        const events = [{ label: 'pull_request.opened', payload: open as unknown, head: open.pull_request.head.sha }];
        for (let k = 1; k <= pushes[i]!; k++) {
          await double.pushCommit(OWNER, repo, branch, { 'envs/prod/main.tf': project(statePath, `v${i}-${k}`) }, `PR ${i} push ${k}`);
          const pushed = await double.synchronizePullRequest({ owner: OWNER, repo, number: open.pull_request.number });
          events.push({ label: 'pull_request.synchronize', payload: pushed, head: pushed.pull_request.head.sha });
        }
        prs[i] = { repo, number: open.pull_request.number, events };
      }
    }),
  );

  // 3. The deliveries in slot order, signed.
  const sign = (name: Delivery['name'], label: string, payload: unknown, expect: Expectation): Delivery => {
    const body = JSON.stringify(payload);
    return { id: randomUUID(), name, label, body, signature: signPayload(SECRET, body), expect };
  };
  const deliveries: Delivery[] = [];
  let openSoFar = 0;
  let comments = 0;
  for (let slot = 0; slot < total; slot++) {
    if (slot % PULL_REQUEST_EVERY === 0) {
      const { pr: index, event: ordinal } = schedule[slot / PULL_REQUEST_EVERY]!;
      const pr = prs[index]!;
      const event = pr.events[ordinal]!;
      openSoFar = Math.max(openSoFar, index + 1);
      deliveries.push(sign('pull_request', event.label, event.payload, { kind: 'plan', key: jobKey({ repo: `${OWNER}/${pr.repo}`, pr: pr.number, headSha: event.head, command: 'plan' }) }));
      continue;
    }
    const pr = prs[comments % Math.max(1, openSoFar)]!;
    const n = comments++;
    const command = n % COMMAND_EVERY === 0;
    const body = command ? (n % (2 * COMMAND_EVERY) === 0 ? '/plan' : '/help') : `Looks good to me (${n}).`;
    const payload = await double.addComment({ owner: OWNER, repo: pr.repo, number: pr.number, user: 'alice', body });
    deliveries.push(
      sign('issue_comment', command ? `issue_comment ${body}` : 'issue_comment (conversation)', payload, command ? { kind: 'command', key: `comment:${OWNER}/${pr.repo}:${payload.comment.id}` } : { kind: 'none' }),
    );
  }
  return deliveries;
}

/** Sends every delivery at its scheduled time (open loop), from a worker thread (see send-open-loop.js). */
function sendOpenLoop(deliveries: Delivery[], url: URL, startAt: number): Promise<{ outcomes: Outcome[]; wallMs: number }> {
  const worker = new Worker(new URL('./send-open-loop.js', import.meta.url), {
    workerData: { url: url.href, rate: RATE, maxInFlight: MAX_IN_FLIGHT, startAt, deliveries: deliveries.map(({ id, name, body, signature }) => ({ id, name, body, signature })) },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: { outcomes: Outcome[]; wallMs: number }) => {
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the sender exited (${code}) before every delivery was answered`)));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** User + system CPU seconds of a process so far, and of its children that ended (git, IaC steps; Linux /proc). */
function cpuSeconds(pid: number | undefined): { own: number; children: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = (index: number) => Number(fields[index]) / 100;
    return { own: ticks(11) + ticks(12), children: ticks(13) + ticks(14) };
  } catch {
    return undefined;
  }
}

/** Event-loop delay of the app as its /metrics reports it (reset at each scrape by prom-client). */
async function eventLoopLag(): Promise<{ p99: number; max: number } | undefined> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^infra_review_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1]);
  const p99 = value('p99');
  return Number.isFinite(p99) ? { p99: p99 * 1000, max: value('max') * 1000 } : undefined;
}

/** The app's own handler-time histogram (all events): cumulative counts per bucket bound, in ms. */
async function handlingBuckets(): Promise<Map<number, number>> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(/^infra_review_webhook_handling_seconds_bucket\{le="([^"]+)",[^}]*\} (\S+)$/gm)) {
    const bound = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]) * 1000;
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]));
  }
  return buckets;
}

/** The bucket bound under which `percent` of the window's observations fall (before and after: cumulative counts). */
function bucketPercentile(before: Map<number, number>, after: Map<number, number>, percent: number): { bound: number; count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = (bound: number) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
  const count = delta(Number.POSITIVE_INFINITY);
  const bound = bounds.find((candidate) => delta(candidate) >= (count * percent) / 100) ?? Number.NaN;
  return { bound, count };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');

it('answers signed deliveries at a fixed rate within the latency target, with no 5xx and no job lost', async () => {
  const total = Math.round(RATE * (WARMUP + SECONDS));
  const warm = Math.round(RATE * WARMUP);
  const setupStarted = performance.now();
  const deliveries = await buildDeliveries(total);
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  // The measured window starts after the warm-up: CPU, load and the event-loop histogram are read then.
  const startAt = Date.now() + 500;
  let atWindow: { cpu: ReturnType<typeof cpuSeconds>; bench: NodeJS.CpuUsage; load: number } | undefined;
  let handlingAtWindow: Map<number, number> | undefined;
  const windowTimer = setTimeout(() => {
    void eventLoopLag().finally(() => (atWindow = { cpu: cpuSeconds(app.pid), bench: process.cpuUsage(), load: os.loadavg()[0] ?? 0 }));
    void handlingBuckets().then((buckets) => (handlingAtWindow = buckets));
  }, startAt + WARMUP * 1000 - Date.now());
  const { outcomes, wallMs } = await sendOpenLoop(deliveries, new URL(DEFAULT_WEBHOOK_PATH, app.url), startAt);
  clearTimeout(windowTimer);
  const cpuAfter = cpuSeconds(app.pid);
  const benchCpuAfter = process.cpuUsage();
  const loadAfter = os.loadavg()[0] ?? 0;
  const lag = await eventLoopLag();
  const handlingAfter = await handlingBuckets();
  const windowSeconds = wallMs / 1000 - WARMUP;

  const sorted = (list: Outcome[], pick: (o: Outcome) => number) => list.map(pick).sort((a, b) => a - b);
  const summary = (list: Outcome[]) => {
    const times = sorted(list, (o) => o.ms);
    return `p50 ${fmt(percentile(times, 50))}, p90 ${fmt(percentile(times, 90))}, p99 ${fmt(percentile(times, 99))}, max ${fmt(times.at(-1) ?? Number.NaN)}`;
  };
  const measured = outcomes.slice(warm);
  const p99 = percentile(sorted(measured, (o) => o.ms), 99);
  const lags = sorted(outcomes, (o) => o.lagMs);
  const serverErrors = outcomes.filter((o) => o.status >= 500);
  const non2xx = outcomes.filter((o) => o.status < 200 || o.status >= 300);
  const byStatus = new Map<string, number>();
  for (const o of outcomes) {
    const label = o.error ? `error (${o.error})` : String(o.status);
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }

  // Jobs: every accepted delivery that must create a job has one with its key, created by that very delivery.
  const store = await openStore(STORE === 'postgres' ? { databaseUrl: DATABASE_URL, schema: SCHEMA } : { dataDir: app.dataDir });
  let jobs: Job[];
  try {
    jobs = (await Promise.all(Array.from({ length: REPOS }, (_, r) => store.listJobs({ repo: `${OWNER}/load-${r}` })))).flat();
  } finally {
    await store.close();
  }
  const byKey = new Map<string, Job[]>();
  for (const job of jobs) byKey.set(job.key, [...(byKey.get(job.key) ?? []), job]);
  let expected = 0;
  let lost = 0;
  let duplicated = 0;
  const lostExamples: string[] = [];
  deliveries.forEach((delivery, index) => {
    const status = outcomes[index]!.status;
    if (delivery.expect.kind === 'none' || status < 200 || status >= 300) return;
    expected++;
    const found = byKey.get(delivery.expect.key) ?? [];
    if (found.length > 1) duplicated++;
    if (!found.some((job) => job.kind === delivery.expect.kind && (job.payload as { deliveryId?: string } | null)?.deliveryId === delivery.id)) {
      lost++;
      if (lostExamples.length < 5) lostExamples.push(`${delivery.label} ${delivery.id} (${delivery.expect.key})`);
    }
  });
  const commandIds = new Set(deliveries.filter((d) => d.expect.kind === 'command').map((d) => d.id));
  const unexpected = jobs.filter((job) => job.kind === 'command' && !commandIds.has((job.payload as { deliveryId?: string } | null)?.deliveryId ?? ''));
  const statusCounts = new Map<string, number>();
  for (const job of jobs) statusCounts.set(`${job.kind}:${job.status}`, (statusCounts.get(`${job.kind}:${job.status}`) ?? 0) + 1);

  const mix = new Map<string, number>();
  for (const d of deliveries) mix.set(d.label, (mix.get(d.label) ?? 0) + 1);
  console.log(`\n${total} signed deliveries at ${RATE}/s: ${WARMUP} s of warm-up, then ${SECONDS} s measured (open loop, at most ${MAX_IN_FLIGHT} in flight, keep-alive), WORKER_CONCURRENCY=${WORKERS}, ${STORE === 'postgres' ? `PostgreSQL (schema ${SCHEMA})` : 'SQLite in a temp DATA_DIR'}`);
  console.log(`mix: ${[...mix].map(([label, n]) => `${n} ${label}`).join(', ')}; ${Math.min(PRS, Math.ceil(total / PULL_REQUEST_EVERY))} PRs in ${REPOS} repositories (setup ${setupSeconds.toFixed(1)} s)`);
  console.log(`node ${process.version}; ${os.cpus().length} CPUs; 1-minute load average ${(atWindow?.load ?? Number.NaN).toFixed(1)} as the window began, ${loadAfter.toFixed(1)} at its end; the app, the GitHub double (with git http-backend) and the sender share the machine`);
  console.log(`sent in ${(wallMs / 1000).toFixed(1)} s; schedule lag p50 ${fmt(percentile(lags, 50))}, p99 ${fmt(percentile(lags, 99))}, max ${fmt(lags.at(-1) ?? Number.NaN)}`);
  if (warm > 0) console.log(`response time, warm-up (${warm} deliveries): ${summary(outcomes.slice(0, warm))}`);
  console.log(`response time, measured (${measured.length} deliveries): ${summary(measured)}`);
  for (const label of [...mix.keys()].sort()) {
    const own = measured.filter((_, i) => deliveries[warm + i]!.label === label);
    const odd = own.filter((o) => o.status !== 200).length;
    console.log(`  ${label}: ${summary(own)}${odd ? `, ${odd} not 200` : ''}`);
  }
  const fresh = measured.filter((o) => o.newConnection);
  if (fresh.length > 0) console.log(`  on a new connection (${fresh.length}): ${summary(fresh)}; on a kept-alive one: ${summary(measured.filter((o) => !o.newConnection))}`);
  console.log(`answers (all): ${[...byStatus].map(([status, n]) => `${n} x ${status}`).join(', ')}`);
  if (atWindow?.cpu && cpuAfter) {
    const own = cpuAfter.own - atWindow.cpu.own;
    console.log(`app CPU in the measured window: ${own.toFixed(1)} s over ${windowSeconds.toFixed(1)} s (${((100 * own) / windowSeconds).toFixed(0)}% of one core; ${((1000 * own) / measured.length).toFixed(2)} ms a delivery, jobs included); its finished child processes (git, IaC steps): ${(cpuAfter.children - atWindow.cpu.children).toFixed(1)} s`);
  }
  if (atWindow) {
    const bench = (benchCpuAfter.user - atWindow.bench.user + benchCpuAfter.system - atWindow.bench.system) / 1e6;
    console.log(`this process (the sender's thread and the GitHub double) CPU in the window: ${bench.toFixed(1)} s, not counting its git http-backend children`);
  }
  if (lag) console.log(`app event-loop delay in the measured window: p99 ${fmt(lag.p99)}, max ${fmt(lag.max)}`);
  if (handlingAtWindow) {
    // From the app's side: the rest of a response time is Probot (body, signature), the HTTP transfer and
    // this machine's scheduling of the sender, which shares its 2 cores with the app.
    const handled = bucketPercentile(handlingAtWindow, handlingAfter, 99);
    const median = bucketPercentile(handlingAtWindow, handlingAfter, 50);
    console.log(`app's own handler time in the window (infra_review_webhook_handling_seconds, ${handled.count} deliveries): p50 <= ${fmt(median.bound)}, p99 <= ${fmt(handled.bound)} (histogram bucket bounds)`);
  }
  console.log(`jobs in the store after the run: ${[...statusCounts].sort().map(([status, n]) => `${n} ${status}`).join(', ')}`);
  console.log(`deliveries that must create a job: ${expected} accepted; lost ${lost}${lostExamples.length ? ` (e.g. ${lostExamples.join('; ')})` : ''}; keys with more than one job: ${duplicated}; command jobs no delivery asked for: ${unexpected.length}`);
  console.log('');
  console.log(`p99 response time (measured window) ${fmt(p99)} (target < ${TARGET_P99_MS} ms) ${p99 < TARGET_P99_MS ? 'ok' : 'MISSED'}`);
  console.log(`5xx answers ${serverErrors.length} (target 0) ${serverErrors.length === 0 ? 'ok' : 'MISSED'}; non-2xx (incl. connection errors) ${non2xx.length}`);
  console.log(`jobs lost ${lost} (target 0) ${lost === 0 ? 'ok' : 'MISSED'}`);
}, 30 * 60_000);
