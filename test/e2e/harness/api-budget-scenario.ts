import path from 'node:path';
import { openStore } from '../../../src/store/open-store.js';
import type { Job } from '../../../src/store/store.js';
import { project, waitFor } from './e2e-helpers.js';
import type { GitHubDouble, RecordedRequest } from './github-double.js';
import { deliver } from './sign-webhook.js';
import type { RunningApp } from './start-app.js';

/**
 * The REST requests the built app makes for one single-project autoplan, one approving review and one
 * `/apply`, read from what the GitHub double recorded. Shared by `npm run bench` (which prints them)
 * and the e2e suite (which holds the autoplan to its budget).
 */

/** At most this many REST requests for one single-project autoplan (installation token exchange excluded). */
export const AUTOPLAN_REQUEST_BUDGET = 10;

/** Requests that are not part of a job's budget: the installation token exchange (cached about an hour). */
const TOKEN_EXCHANGE = /^\/app\/installations\/\d+\/access_tokens$/;
/** `GET /app`: the app's own id and slug, fetched once per process and cached. */
const APP_IDENTITY = '/app';

export interface CountedRequests {
  /** The requests that count, oldest first. */
  counted: RecordedRequest[];
  /** Once-per-process or per-hour requests that fell in the window: shown, not counted. */
  excluded: RecordedRequest[];
}

/** REST requests recorded after `sinceSeq`, split into those that count and the token/identity ones; git traffic is left out. */
export function countAppRequests(double: GitHubDouble, sinceSeq: number): CountedRequests {
  const rest = double.requests({ kind: 'rest' }).filter((request) => request.seq > sinceSeq);
  const isExcluded = (request: RecordedRequest) =>
    (request.method === 'POST' && TOKEN_EXCHANGE.test(request.path)) || (request.method === 'GET' && request.path === APP_IDENTITY);
  return { counted: rest.filter((request) => !isExcluded(request)), excluded: rest.filter(isExcluded) };
}

/** `METHOD path -> status`, with the query when it matters to the reader (a ref, a filter). */
export function describeRequest(request: RecordedRequest): string {
  const query = Object.entries(request.query)
    .filter(([name]) => name !== 'per_page')
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return `${request.method} ${request.path}${query ? `?${query}` : ''} -> ${request.status}`;
}

/** The highest sequence number recorded so far (0 when nothing was): later requests have larger ones. */
export function lastSeq(double: GitHubDouble): number {
  return double.requests().at(-1)?.seq ?? 0;
}

export interface ApiBudgetResult {
  /** The autoplan of the opened PR (no plan comment exists yet). */
  autoplan: CountedRequests;
  /** Final status of each job, to show each step really did what it is counted for. */
  jobs: { autoplan: Job; push?: Job; review?: Job; apply?: Job };
  /** The plan job's result outcome (`published` when it planned and published). */
  autoplanOutcome: string | undefined;
  /** The autoplan after a push to the PR (`synchronize`): the plan comment exists and is annotated first. */
  push?: CountedRequests;
  pushOutcome?: string | undefined;
  /** Absent when the scenario stopped earlier. */
  review?: CountedRequests;
  apply?: CountedRequests;
  /** The answer to `/apply` (its last comment). */
  applyAnswer?: string;
}

export interface ApiBudgetScenarioOptions {
  double: GitHubDouble;
  /** The built app, started against `double` with the IaC stand-in and a SQLite DATA_DIR. */
  app: RunningApp;
  webhookSecret: string;
  /** Where the stand-in keeps the project's state (a fresh folder). */
  stateDir: string;
  owner?: string;
  repo?: string;
  /** Stop after the autoplan, after the autoplan of a push, or go on through the review and `/apply`. Default 'apply'. */
  through?: 'autoplan' | 'push' | 'apply';
}

/**
 * A repository with two projects (`envs/prod`, `envs/staging`) and `.github/INFRAOWNERS` naming @bob; a PR
 * by alice changing `envs/prod` only. Delivers `pull_request.opened` and waits for the plan job, then a push
 * (`synchronize`) and its plan job, then bob's approving review and its approval job, then bob's `/apply`
 * and its command job; counts each step's requests.
 */
export async function runApiBudgetScenario(options: ApiBudgetScenarioOptions): Promise<ApiBudgetResult> {
  const { double, app } = options;
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'budget';
  const fullName = `${owner}/${repo}`;
  const prodState = path.join(options.stateDir, `${repo}-prod.tfstate`);
  const stagingState = path.join(options.stateDir, `${repo}-staging.tfstate`);
  const send = async (name: string, payload: unknown) => {
    const result = await deliver(app.url, { name, payload, secret: options.webhookSecret });
    if (result.status >= 300) throw new Error(`the app answered ${result.status} to ${name}: ${result.body}`);
  };

  await double.createRepo(owner, repo, {
    'envs/prod/main.tf': project(prodState, 'v1'),
    'envs/staging/main.tf': project(stagingState, 'v1'),
    '.github/INFRAOWNERS': '/envs/   @bob\n',
    'README.md': 'infra\n',
  });
  await double.pushCommit(owner, repo, 'change', { 'envs/prod/main.tf': project(prodState, 'v2') }, 'Change prod');
  double.setPermission('bob', 'write');
  const opened = await double.openPullRequest({ owner, repo, head: 'change', author: 'alice', title: 'Change prod' });
  const pr = opened.pull_request.number;

  const store = await openStore({ dataDir: app.dataDir });
  try {
    /** Delivers, waits for the one job the delivery creates to finish, and counts what was requested meanwhile. */
    const step = async (name: string, payload: unknown, kind: string): Promise<{ requests: CountedRequests; job: Job }> => {
      const since = lastSeq(double);
      const before = new Set((await store.listJobs({ repo: fullName, pr })).map((job) => job.id));
      await send(name, payload);
      const job = await waitFor(
        `the ${kind} job of ${fullName}#${pr} to finish`,
        async () => (await store.listJobs({ repo: fullName, pr, kind })).find((candidate) => !before.has(candidate.id) && isFinished(candidate)),
        60_000,
      );
      return { requests: countAppRequests(double, since), job };
    };

    const autoplan = await step('pull_request', opened, 'plan');
    const autoplanOutcome = (autoplan.job.result as { outcome?: string } | null)?.outcome;
    if (options.through === 'autoplan') return { autoplan: autoplan.requests, jobs: { autoplan: autoplan.job }, autoplanOutcome };
    await double.pushCommit(owner, repo, 'change', { 'envs/prod/main.tf': project(prodState, 'v3') }, 'Change prod again');
    const push = await step('pull_request', await double.synchronizePullRequest({ owner, repo, number: pr }), 'plan');
    const pushOutcome = (push.job.result as { outcome?: string } | null)?.outcome;
    if (options.through === 'push') return { autoplan: autoplan.requests, push: push.requests, jobs: { autoplan: autoplan.job, push: push.job }, autoplanOutcome, pushOutcome };
    const review = await step('pull_request_review', await double.addReview({ owner, repo, number: pr, user: 'bob', state: 'APPROVED' }), 'approval');
    const apply = await step('issue_comment', await double.addComment({ owner, repo, number: pr, user: 'bob', body: '/apply' }), 'command');
    return {
      autoplan: autoplan.requests,
      push: push.requests,
      review: review.requests,
      apply: apply.requests,
      jobs: { autoplan: autoplan.job, push: push.job, review: review.job, apply: apply.job },
      autoplanOutcome,
      pushOutcome,
      applyAnswer: double.issueComments({ owner, repo, number: pr }).at(-1)?.body ?? '',
    };
  } finally {
    await store.close();
  }
}

function isFinished(job: Job): boolean {
  return job.status !== 'queued' && job.status !== 'running';
}
