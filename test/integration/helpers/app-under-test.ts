import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { createApp } from '../../../src/index.js';
import type { Runtime } from '../../../src/runtime/start-runtime.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { STANDIN, latestCheckRun, waitFor } from '../../e2e/harness/e2e-helpers.js';
import type { JobKind, JobSummary } from '../../../src/store/store.js';
import { GitHubDouble } from '../../e2e/harness/github-double.js';
import { generateAppKey } from '../../e2e/harness/start-app.js';

/**
 * The real app in-process (Probot with `baseUrl` at the GitHub double, the IaC stand-in as IAC_BINARY,
 * its own DATA_DIR and SQLite store), shared by the integration tests so each one only writes its scenario.
 */

// One implementation for both suites: the in-process tests and the built-server (e2e) tests.
export { STANDIN, waitFor } from '../../e2e/harness/e2e-helpers.js';

const APP_ID = 4242;

export interface AppUnderTest {
  double: GitHubDouble;
  probot: Probot;
  runtime: Runtime;
  dataDir: string;
  /** Delivers a webhook to the app, as GitHub would (each call its own delivery id). */
  receive(name: string, payload: unknown): Promise<void>;
  /** The newest check run named `name` on `headSha` of `owner/repo`. */
  check(owner: string, repo: string, headSha: string, name: string): ReturnType<GitHubDouble['checkRunsFor']>[number] | undefined;
  /**
   * The PR's jobs of `kind`, once there is one and none is queued or running. A job publishes its checks and
   * comments before it records its own end, so a test that reads job status after seeing a check waits here.
   */
  endedJobs(owner: string, repo: string, pr: number, kind: JobKind): Promise<JobSummary[]>;
  stop(): Promise<void>;
}

export async function startAppUnderTest(options: { env?: Record<string, string>; log?: Logger } = {}): Promise<AppUnderTest> {
  const key = generateAppKey();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-integration-data-'));
  const double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
  let runtime: Runtime | undefined;
  const probot = new Probot({
    appId: APP_ID,
    privateKey: key.privateKey,
    baseUrl: double.apiUrl,
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    ...(options.log ? { log: options.log } : { logLevel: 'warn' as const }),
  });
  await probot.load(
    createApp({
      env: { ...process.env, DATA_DIR: dataDir, IAC_BINARY: STANDIN, DATABASE_URL: '', ...options.env },
      metrics: createMetrics({ defaultMetrics: false }),
      onRuntime: (created) => (runtime = created),
    }),
  );
  if (!runtime) throw new Error('the app did not start its runtime');
  await runtime.whenReady();
  const started = runtime;
  let deliveries = 0;
  return {
    double,
    probot,
    runtime: started,
    dataDir,
    receive: async (name, payload) => {
      deliveries += 1;
      await probot.receive({ id: `delivery-${deliveries}`, name, payload } as Parameters<Probot['receive']>[0]);
    },
    check: (owner, repo, headSha, name) => latestCheckRun(double, { owner, repo }, headSha, name),
    endedJobs: (owner, repo, pr, kind) =>
      waitFor(`the ${kind} jobs of ${owner}/${repo}#${pr} to end`, async () => {
        const jobs = await started.store.listJobSummaries({ repo: `${owner}/${repo}`, pr, kind });
        return jobs.length > 0 && jobs.every((job) => job.status !== 'queued' && job.status !== 'running') ? jobs : undefined;
      }),
    stop: async () => {
      await started.stop();
      await double.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

