import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { AUTOPLAN_REQUEST_BUDGET, describeRequest, runApiBudgetScenario, type CountedRequests } from '../test/e2e/harness/api-budget-scenario.js';
import { STANDIN } from '../test/e2e/harness/e2e-helpers.js';
import { GitHubDouble } from '../test/e2e/harness/github-double.js';
import { RunningApp, generateAppKey } from '../test/e2e/harness/start-app.js';

/**
 * API budget: the REST requests the built app makes for one single-project autoplan (of the opened PR,
 * then after a push), one approving review and one `/apply`, as the GitHub double recorded them (git
 * traffic, the installation token exchange and the once-per-process GET /app not counted). Prints each
 * list and total; an autoplan's target is at most 10.
 */

const SECRET = 'bench-api-budget-secret';
const APP_ID = 4250;
const key = generateAppKey();
let double: GitHubDouble;
let app: RunningApp;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'bench-api-budget-'));
  double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
  app = await RunningApp.start({ gheHost: double.host, appId: APP_ID, privateKey: key.privateKey, webhookSecret: SECRET, logLevel: 'warn', env: { IAC_BINARY: STANDIN } });
});

afterAll(async () => {
  await app?.dispose();
  await double?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function print(title: string, requests: CountedRequests): void {
  console.log(`\n${title}: ${requests.counted.length} REST requests`);
  requests.counted.forEach((request, index) => console.log(`  ${String(index + 1).padStart(2)}. ${describeRequest(request)}`));
  for (const request of requests.excluded) console.log(`   (not counted) ${describeRequest(request)}`);
}

it('counts the REST requests of an autoplan, a push, a review and /apply', async () => {
  const result = await runApiBudgetScenario({ double, app, webhookSecret: SECRET, stateDir: scratch });
  console.log('\nOne PR changing one project (envs/prod) of a repository with two projects and .github/INFRAOWNERS.');
  console.log('Counted: REST requests by the app; not counted: git fetches, the installation token exchange, GET /app (once per process).');
  print(`Autoplan (pull_request.opened; plan job ${result.jobs.autoplan.status}, ${result.autoplanOutcome ?? 'no result'})`, result.autoplan);
  if (!result.push || !result.review || !result.apply || !result.jobs.push || !result.jobs.review || !result.jobs.apply) throw new Error('the scenario stopped before /apply');
  print(`Autoplan after a push (pull_request.synchronize; plan job ${result.jobs.push.status}, ${result.pushOutcome ?? 'no result'})`, result.push);
  print(`Approving review (pull_request_review.submitted; approval job ${result.jobs.review.status})`, result.review);
  print(`/apply (issue_comment.created; command job ${result.jobs.apply.status}, answer: ${result.applyAnswer?.split('\n')[0]?.slice(0, 60) ?? ''})`, result.apply);
  const verdict = (count: number) => `${count} requests (target <= ${AUTOPLAN_REQUEST_BUDGET}) ${count <= AUTOPLAN_REQUEST_BUDGET ? 'ok' : 'MISSED'}`;
  console.log(`\nautoplan of an opened PR: ${verdict(result.autoplan.counted.length)}`);
  console.log(`autoplan after a push: ${verdict(result.push.counted.length)}`);
  console.log(`/apply: ${result.apply.counted.length} requests (no target)`);
  const failed = Object.entries(result.jobs).filter(([, job]) => job?.status !== 'succeeded');
  if (failed.length > 0 || result.autoplanOutcome !== 'published' || result.pushOutcome !== 'published') {
    const why = failed.map(([step, job]) => `${step}: ${job?.status ?? 'missing'}: ${job?.error ?? ''}`).join('; ');
    throw new Error(`the scenario did not run as intended, so the counts do not describe a normal autoplan and /apply (${why || `autoplan outcome ${result.autoplanOutcome}`})`);
  }
});
