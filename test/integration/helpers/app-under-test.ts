import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { createApp } from '../../../src/index.js';
import type { Runtime } from '../../../src/runtime/start-runtime.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { STANDIN, latestCheckRun } from '../../e2e/harness/e2e-helpers.js';
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
    stop: async () => {
      await started.stop();
      await double.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

