import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTOPLAN_REQUEST_BUDGET, describeRequest, runApiBudgetScenario } from './harness/api-budget-scenario.js';
import { STANDIN } from './harness/e2e-helpers.js';
import { GitHubDouble } from './harness/github-double.js';
import { RunningApp, generateAppKey, isAppBuilt } from './harness/start-app.js';

/**
 * The API budget of an autoplan, held in `npm test`: a request count is deterministic, so it is asserted
 * here (the bench prints the full lists). The review and `/apply` have no count to meet, but, like the
 * autoplan, read config and INFRAOWNERS from the base commit over git, never through the contents API.
 */

const SECRET = 'e2e-api-budget-secret';
const APP_ID = 4245;

describe.skipIf(!isAppBuilt() || !existsSync(STANDIN))('API budget of the built app', { timeout: 60_000 }, () => {
  const key = generateAppKey();
  let double: GitHubDouble;
  let app: RunningApp;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'e2e-budget-'));
    double = await GitHubDouble.start({ appId: APP_ID, appPublicKey: key.publicKey });
    app = await RunningApp.start({ gheHost: double.host, appId: APP_ID, privateKey: key.privateKey, webhookSecret: SECRET, logLevel: 'warn', env: { IAC_BINARY: STANDIN } });
  });

  afterAll(async () => {
    await app?.dispose();
    await double?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it(`plans and publishes a single-project PR, opened and then pushed to, in at most ${AUTOPLAN_REQUEST_BUDGET} REST requests each; the review and /apply read no file through the contents API`, async () => {
    const result = await runApiBudgetScenario({ double, app, webhookSecret: SECRET, stateDir: scratch, through: 'apply' });
    const opened = result.autoplan.counted.map(describeRequest);
    const pushed = (result.push?.counted ?? []).map(describeRequest);

    // Both really planned and published: a count of a failed job would prove nothing.
    expect(result.jobs.autoplan.status, result.jobs.autoplan.error ?? '').toBe('succeeded');
    expect(result.jobs.push?.status, result.jobs.push?.error ?? '').toBe('succeeded');
    expect([result.autoplanOutcome, result.pushOutcome]).toEqual(['published', 'published']);
    expect(opened.length, opened.join('\n')).toBeLessThanOrEqual(AUTOPLAN_REQUEST_BUDGET);
    expect(pushed.length, pushed.join('\n')).toBeLessThanOrEqual(AUTOPLAN_REQUEST_BUDGET);
    // Config and INFRAOWNERS come from the base commit the job fetches, not from the contents API.
    expect([...opened, ...pushed].filter((line) => line.includes('/contents/'))).toEqual([]);
    // The push's plan marked the existing comment as outdated while it planned (one listing served both writes).
    expect(pushed.filter((line) => line.startsWith('GET /repos/acme/budget/issues/1/comments'))).toHaveLength(1);
    expect(pushed.filter((line) => line.startsWith('PATCH /repos/acme/budget/issues/comments/'))).toHaveLength(2);
    // Each of the three checks and the sticky comment was written.
    const head = result.jobs.push?.headSha ?? '';
    expect(double.checkRunsFor('acme', 'budget', head).map((run) => run.name).sort()).toEqual(['infra-review/apply', 'infra-review/approval', 'infra-review/plan']);
    expect(double.issueComments({ owner: 'acme', repo: 'budget', number: 1 }).filter((c) => c.body?.startsWith('<!-- infra-review:plan -->'))).toHaveLength(1);
    expect(double.unknownRequests()).toEqual([]);

    // The approval job and `/apply` really ran (applied: the approval from INFRAOWNERS on the base counted) ...
    expect(result.jobs.review?.status, result.jobs.review?.error ?? '').toBe('succeeded');
    expect(result.jobs.apply?.status, result.jobs.apply?.error ?? '').toBe('succeeded');
    expect(result.applyAnswer).toContain('applied');
    // ... and read config and policy from the base commit over git, as the autoplan does.
    const later = [...(result.review?.counted ?? []), ...(result.apply?.counted ?? [])].map(describeRequest);
    expect(later.filter((line) => line.includes('/contents/'))).toEqual([]);
    // `/apply` takes the base's tip for `undiverged` from that git fetch (no GET git/ref), and leaves the approval
    // check the review just published as it is (it shows this evaluation already): its one check write is the apply check.
    const applied = (result.apply?.counted ?? []).map(describeRequest);
    expect(applied.filter((line) => line.includes('/git/ref'))).toEqual([]);
    expect(applied.filter((line) => line.startsWith('PATCH /repos/acme/budget/check-runs/') || line.startsWith('POST /repos/acme/budget/check-runs'))).toHaveLength(1);
    expect(double.checkRunsFor('acme', 'budget', head).find((run) => run.name === 'infra-review/approval')?.conclusion).toBe('success');
  });
});
