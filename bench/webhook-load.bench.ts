import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { jobKey, type Job } from '../src/store/store.js';
import { STANDIN, project } from '../test/e2e/harness/e2e-helpers.js';
import { GitHubDouble } from '../test/e2e/harness/github-double.js';
import { DEFAULT_WEBHOOK_PATH, signPayload } from '../test/e2e/harness/sign-webhook.js';
import { RunningApp, generateAppKey } from '../test/e2e/harness/start-app.js';
import { numberFlag, stringFlag } from './bench-args.js';

/**
 * Webhook load: signed `pull_request` (opened, synchronize) and `issue_comment` (created) deliveries sent
 * to the built app at a fixed rate, open loop (each delivery leaves at its scheduled time, whatever the
 * earlier ones are doing), over a keep-alive agent with a bound on requests in flight. Reports response
 * times, 5xx and other non-2xx answers, and jobs lost: accepted deliveries whose job is not in the store.
 *
 *   node bench/webhook-load.js [--rate 200] [--seconds 30] [--in-flight 256] [--workers 2] [--prs 100] [--cpu-prof DIR]
 */

const RATE = numberFlag('rate', 200);
const SECONDS = numberFlag('seconds', 30);
const MAX_IN_FLIGHT = numberFlag('in-flight', 256, { integer: true });
const WORKERS = numberFlag('workers', 2, { integer: true });
const PRS = numberFlag('prs', 100, { integer: true });
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
    env: { IAC_BINARY: STANDIN, WORKER_CONCURRENCY: String(WORKERS), ...(CPU_PROF_DIR ? { NODE_OPTIONS: `--import=${fileURLToPath(new URL('./cpu-profile.js', import.meta.url))}`, BENCH_CPU_PROFILE_DIR: path.resolve(CPU_PROF_DIR) } : {}) },
  });
}, 120_000);

afterAll(async () => {
  // A CPU profile is written when the process exits normally: SIGTERM (the app exits 0), not SIGKILL.
  if (CPU_PROF_DIR) await app?.stop('SIGTERM', 30_000);
  await app?.dispose();
  await double?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * The deliveries, built and signed before the clock starts: PRS pull requests over REPOS repositories,
 * each opened and then pushed to as often as the rate needs (every push a real commit with its own head
 * SHA, so every `pull_request` delivery has its own job key), and comments on them by a writer.
 */
async function buildDeliveries(total: number): Promise<Delivery[]> {
  const prDeliveries = Math.ceil(total / PULL_REQUEST_EVERY);
  const prCount = Math.min(PRS, prDeliveries);
  const pushesPerPr = Math.ceil((prDeliveries - prCount) / prCount);
  const prs: { repo: string; number: number; statePath: string; events: { label: string; payload: unknown; head: string }[] }[] = [];
  for (let r = 0; r < REPOS; r++) {
    const repo = `load-${r}`;
    await double.createRepo(OWNER, repo, {
      'envs/prod/main.tf': project(path.join(scratch, `${repo}.tfstate`), 'v0'),
      '.github/INFRAOWNERS': '/envs/   @bob\n',
    });
  }
  double.setPermission('alice', 'write');
  for (let i = 0; i < prCount; i++) {
    const repo = `load-${i % REPOS}`;
    const statePath = path.join(scratch, `${repo}.tfstate`);
    const branch = `change-${i}`;
    await double.pushCommit(OWNER, repo, branch, { 'envs/prod/main.tf': project(statePath, `v${i}-0`) }, `PR ${i}`);
    const opened = await double.openPullRequest({ owner: OWNER, repo, head: branch, author: 'alice', title: `Change ${i}` });
    const events = [{ label: 'pull_request.opened', payload: opened as unknown, head: opened.pull_request.head.sha }];
    for (let k = 1; k <= pushesPerPr; k++) {
      await double.pushCommit(OWNER, repo, branch, { 'envs/prod/main.tf': project(statePath, `v${i}-${k}`) }, `PR ${i} push ${k}`);
      const pushed = await double.synchronizePullRequest({ owner: OWNER, repo, number: opened.pull_request.number });
      events.push({ label: 'pull_request.synchronize', payload: pushed, head: pushed.pull_request.head.sha });
    }
    prs.push({ repo, number: opened.pull_request.number, statePath, events });
  }

  const deliveries: Delivery[] = [];
  const nextEvent = new Array<number>(prs.length).fill(0);
  let prTurn = 0;
  let comments = 0;
  const sign = (name: Delivery['name'], label: string, payload: unknown, expect: Expectation): Delivery => {
    const body = JSON.stringify(payload);
    return { id: randomUUID(), name, label, body, signature: signPayload(SECRET, body), expect };
  };
  for (let slot = 0; slot < total; slot++) {
    if (slot % PULL_REQUEST_EVERY === 0) {
      // PRs in turn; each PR's events in order (opened first).
      const index = prTurn++ % prs.length;
      const pr = prs[index]!;
      const event = pr.events[nextEvent[index]!++];
      if (event) {
        deliveries.push(sign('pull_request', event.label, event.payload, { kind: 'plan', key: jobKey({ repo: `${OWNER}/${pr.repo}`, pr: pr.number, headSha: event.head, command: 'plan' }) }));
        continue;
      }
    }
    // A comment on a PR that was opened already.
    const opened = Math.max(1, Math.min(prs.length, Math.ceil(prTurn)));
    const pr = prs[comments % opened]!;
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

/** Sends every delivery at its scheduled time (open loop), at most MAX_IN_FLIGHT at once; resolves when all answered. */
async function sendOpenLoop(deliveries: Delivery[], url: URL): Promise<{ outcomes: Outcome[]; wallMs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const outcomes = new Array<Outcome>(deliveries.length);
  const intervalMs = 1000 / RATE;
  let inFlight = 0;
  let next = 0;
  let answered = 0;
  const start = performance.now() + 200;
  return new Promise((resolve) => {
    const send = (index: number) => {
      const delivery = deliveries[index]!;
      const sentAt = performance.now();
      const lagMs = sentAt - (start + index * intervalMs);
      inFlight++;
      const done = (status: number, error?: string) => {
        inFlight--;
        answered++;
        outcomes[index] = { status, ms: performance.now() - sentAt, lagMs, ...(error ? { error } : {}) };
        if (answered === deliveries.length) {
          agent.destroy();
          resolve({ outcomes, wallMs: performance.now() - start });
        } else {
          pump();
        }
      };
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(delivery.body),
            'user-agent': 'GitHub-Hookshot/bench',
            'x-github-event': delivery.name,
            'x-github-delivery': delivery.id,
            'x-github-hook-id': '1',
            'x-hub-signature-256': delivery.signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0));
          res.on('error', (error) => done(0, error.message));
        },
      );
      req.on('error', (error) => done(0, error.message));
      req.end(delivery.body);
    };
    // Sends what is due; re-arms a timer for the next scheduled delivery.
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      const now = performance.now();
      while (next < deliveries.length && inFlight < MAX_IN_FLIGHT && start + next * intervalMs <= now) send(next++);
      if (next < deliveries.length && inFlight < MAX_IN_FLIGHT && timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, Math.max(0, start + next * intervalMs - performance.now()));
      }
    };
    pump();
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** User + system CPU seconds of a process so far (Linux /proc). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
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

const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');

it('answers signed deliveries at a fixed rate within the latency target, with no 5xx and no job lost', async () => {
  const total = Math.round(RATE * SECONDS);
  const setupStarted = performance.now();
  const deliveries = await buildDeliveries(total);
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  await eventLoopLag();
  const cpuBefore = cpuSeconds(app.pid);
  const benchCpuBefore = process.cpuUsage();
  const loadBefore = os.loadavg()[0] ?? 0;

  const { outcomes, wallMs } = await sendOpenLoop(deliveries, new URL(DEFAULT_WEBHOOK_PATH, app.url));

  const cpuAfter = cpuSeconds(app.pid);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const loadAfter = os.loadavg()[0] ?? 0;
  const lag = await eventLoopLag();
  const times = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const lags = outcomes.map((o) => o.lagMs).sort((a, b) => a - b);
  const serverErrors = outcomes.filter((o) => o.status >= 500);
  const non2xx = outcomes.filter((o) => o.status < 200 || o.status >= 300);
  const byStatus = new Map<string, number>();
  for (const o of outcomes) byStatus.set(o.error ? `error (${o.error})` : String(o.status), (byStatus.get(o.error ? `error (${o.error})` : String(o.status)) ?? 0) + 1);

  // Jobs: every accepted delivery that must create a job has one with its key, created by that very delivery.
  const store = await openStore({ dataDir: app.dataDir });
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

  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  const mix = new Map<string, number>();
  for (const d of deliveries) mix.set(d.label, (mix.get(d.label) ?? 0) + 1);
  console.log(`\n${total} signed deliveries at ${RATE}/s for ${SECONDS} s (open loop, at most ${MAX_IN_FLIGHT} in flight, keep-alive), WORKER_CONCURRENCY=${WORKERS}, SQLite in a temp DATA_DIR`);
  console.log(`mix: ${[...mix].map(([label, n]) => `${n} ${label}`).join(', ')}; ${Math.min(PRS, Math.ceil(total / PULL_REQUEST_EVERY))} PRs in ${REPOS} repositories (setup ${setupSeconds.toFixed(1)} s)`);
  console.log(`node ${process.version}; ${os.cpus().length} CPUs; 1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadAfter.toFixed(1)} after; the app, the GitHub double (with git http-backend) and this sender share the machine`);
  console.log(`sent in ${(wallMs / 1000).toFixed(1)} s; schedule lag p50 ${fmt(percentile(lags, 50))}, p99 ${fmt(percentile(lags, 99))}, max ${fmt(lags.at(-1) ?? Number.NaN)}`);
  console.log(`response time: p50 ${fmt(p50)}, p90 ${fmt(percentile(times, 90))}, p99 ${fmt(p99)}, max ${fmt(times.at(-1) ?? Number.NaN)}`);
  console.log(`answers: ${[...byStatus].map(([status, n]) => `${n} x ${status}`).join(', ')}`);
  for (const label of [...mix.keys()].sort()) {
    const own = deliveries.map((d, i) => (d.label === label ? outcomes[i]! : undefined)).filter((o): o is Outcome => o !== undefined);
    const sorted = own.map((o) => o.ms).sort((a, b) => a - b);
    const odd = own.filter((o) => o.status !== 200).length;
    console.log(`  ${label}: p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? Number.NaN)}${odd ? `, ${odd} not 200` : ''}`);
  }
  if (cpuBefore !== undefined && cpuAfter !== undefined) console.log(`app CPU during the run: ${(cpuAfter - cpuBefore).toFixed(1)} s over ${(wallMs / 1000).toFixed(1)} s (${((100 * (cpuAfter - cpuBefore)) / (wallMs / 1000)).toFixed(0)}% of one core)`);
  console.log(`this process (sender and GitHub double) CPU during the run: ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s, not counting its git http-backend children`);
  if (lag) console.log(`app event-loop delay during the run: p99 ${fmt(lag.p99)}, max ${fmt(lag.max)}`);
  console.log(`jobs in the store after the run: ${[...statusCounts].sort().map(([status, n]) => `${n} ${status}`).join(', ')}`);
  console.log(`deliveries that must create a job: ${expected} accepted; lost ${lost}${lostExamples.length ? ` (e.g. ${lostExamples.join('; ')})` : ''}; keys with more than one job: ${duplicated}; command jobs no delivery asked for: ${unexpected.length}`);
  console.log('');
  console.log(`p99 response time ${fmt(p99)} (target < ${TARGET_P99_MS} ms) ${p99 < TARGET_P99_MS ? 'ok' : 'MISSED'}`);
  console.log(`5xx answers ${serverErrors.length} (target 0) ${serverErrors.length === 0 ? 'ok' : 'MISSED'}; non-2xx (incl. connection errors) ${non2xx.length}`);
  console.log(`jobs lost ${lost} (target 0) ${lost === 0 ? 'ok' : 'MISSED'}`);
}, 30 * 60_000);
