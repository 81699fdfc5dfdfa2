import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Runtime } from '../../src/runtime/start-runtime.js';
import { generateAppKey } from '../e2e/harness/start-app.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

/** `check_run` deliveries as GitHub sends them to every app subscribed to check runs: `completed` of the run `name`. */
async function checkRunCompleted(name: string, appId: number) {
  const payload = JSON.parse(await readFile(path.join(FIXTURES, 'check_run.rerequested.json'), 'utf8')) as {
    action: string;
    check_run: { name: string; app: { id: number } };
  };
  payload.action = 'completed';
  payload.check_run.name = name;
  payload.check_run.app.id = appId;
  return payload;
}

/** What the tests below change in a fixture (`comment` only exists in issue_comment fixtures). */
interface EditableFixture {
  action: string;
  comment: { body: string; user: { type: string } };
  check_suite: { app: { id: number } };
}

/** A fixture delivery (test/fixtures/events/NAME.json) with `edit` applied. */
async function fixture(name: string, edit: (payload: EditableFixture) => void): Promise<never> {
  const payload = JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as EditableFixture;
  edit(payload);
  return payload as never;
}

function deliveryLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('infra_review_webhook_deliveries_total{'))
    .sort();
}

/** infra_review_webhook_deliveries_total through the app as Probot runs it (no HTTP server, no GitHub call). */
describe('infra_review_webhook_deliveries_total', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function load(env: Record<string, string>) {
    const metrics = createMetrics({ defaultMetrics: false });
    let runtime: Runtime | undefined;
    const probot = new Probot({
      appId: 1,
      privateKey: generateAppKey().privateKey,
      logLevel: 'fatal',
      Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    });
    await probot.load(createApp({ env: { IAC_BINARY: 'terraform', ...env }, metrics, onRuntime: (r) => (runtime = r) }));
    cleanups.push(async () => runtime?.stop());
    return { probot, metrics, runtime: runtime! };
  }

  it("counts another app's check runs (GitHub sends them to every app) as other_app, apart from what the app ignores of its own", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-deliveries-metric-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { probot, metrics, runtime } = await load({ DATA_DIR: dataDir, DATABASE_URL: '' });
    await runtime.whenReady();

    await probot.receive({ id: 'd1', name: 'check_run', payload: (await checkRunCompleted('ci/build', 15368)) as never });
    await probot.receive({ id: 'd2', name: 'check_run', payload: (await checkRunCompleted('ci/test', 15368)) as never });
    // Our own check run completing: a delivery about us that the app ignores (only Re-run matters).
    await probot.receive({ id: 'd3', name: 'check_run', payload: (await checkRunCompleted('infra-review/plan', 1)) as never });

    expect(deliveryLines(await metrics.registry.metrics())).toEqual([
      'infra_review_webhook_deliveries_total{event="check_run",outcome="ignored"} 1',
      'infra_review_webhook_deliveries_total{event="check_run",outcome="other_app"} 2',
    ]);
  });

  it("answers another app's check run without waiting for the store, so a store outage does not count it as failed", async () => {
    const { probot, metrics } = await load({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    await probot.receive({ id: 'd1', name: 'check_run', payload: (await checkRunCompleted('ci/build', 15368)) as never });

    // A delivery that needs the store waits up to 5 s for it, then fails: it would count as failed.
    expect(deliveryLines(await metrics.registry.metrics())).toEqual(['infra_review_webhook_deliveries_total{event="check_run",outcome="other_app"} 1']);
  });

  it("with APP_ID, tells other apps' check suites and same-named check runs apart by app id, without the store", async () => {
    const { probot, metrics } = await load({ APP_ID: '1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    const suite = (appId: number, action: string) => fixture('check_suite.rerequested', (p) => ((p.action = action), (p.check_suite.app.id = appId)));
    await probot.receive({ id: 's1', name: 'check_suite', payload: await suite(15368, 'completed') } as never);
    await probot.receive({ id: 's2', name: 'check_suite', payload: await suite(15368, 'requested') } as never);
    await probot.receive({ id: 's3', name: 'check_suite', payload: await suite(1, 'completed') } as never);
    // Another app naming its run like ours, even a Re-run of it: not ours, never queued.
    const lookalike = await checkRunCompleted('infra-review/apply', 31337);
    lookalike.action = 'rerequested';
    await probot.receive({ id: 'r1', name: 'check_run', payload: lookalike as never });
    await probot.receive({ id: 'r2', name: 'check_run', payload: (await checkRunCompleted('infra-review/apply', 1)) as never });

    expect(deliveryLines(await metrics.registry.metrics())).toEqual([
      'infra_review_webhook_deliveries_total{event="check_run",outcome="ignored"} 1',
      'infra_review_webhook_deliveries_total{event="check_run",outcome="other_app"} 1',
      'infra_review_webhook_deliveries_total{event="check_suite",outcome="ignored"} 1',
      'infra_review_webhook_deliveries_total{event="check_suite",outcome="other_app"} 2',
    ]);
  });

  it('answers every delivery it ignores without waiting for the store; only one with work to queue fails while the store is down', async () => {
    const { probot, metrics } = await load({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    const ignored = [
      // Our own check run completing (every check write of ours sends one) and a suite completing.
      { id: 'i1', name: 'check_run', payload: (await checkRunCompleted('infra-review/plan', 1)) as never },
      { id: 'i2', name: 'check_suite', payload: await fixture('check_suite.rerequested', (p) => (p.action = 'completed')) },
      // Conversation, an edited command, a bot's command.
      { id: 'i3', name: 'issue_comment', payload: await fixture('issue_comment.created', (p) => (p.comment.body = 'Looks good to me')) },
      { id: 'i4', name: 'issue_comment', payload: await fixture('issue_comment.created', (p) => ((p.action = 'edited'), (p.comment.body = '/apply'))) },
      { id: 'i5', name: 'issue_comment', payload: await fixture('issue_comment.created', (p) => ((p.comment.body = '/apply'), (p.comment.user.type = 'Bot'))) },
      // A label.
      { id: 'i6', name: 'pull_request', payload: await fixture('pull_request.opened', (p) => (p.action = 'labeled')) },
    ] as const;
    for (const delivery of ignored) await probot.receive(delivery as never);
    expect(deliveryLines(await metrics.registry.metrics())).toEqual([
      'infra_review_webhook_deliveries_total{event="check_run",outcome="ignored"} 1',
      'infra_review_webhook_deliveries_total{event="check_suite",outcome="ignored"} 1',
      'infra_review_webhook_deliveries_total{event="issue_comment",outcome="ignored"} 3',
      'infra_review_webhook_deliveries_total{event="pull_request",outcome="ignored"} 1',
    ]);

    // A command has work to queue: it waits for the store (up to 5 s), then fails so that GitHub can redeliver it.
    await expect(probot.receive({ id: 'c1', name: 'issue_comment', payload: await fixture('issue_comment.created', (p) => (p.comment.body = '/apply')) } as never)).rejects.toThrow();
    expect(deliveryLines(await metrics.registry.metrics())).toContain('infra_review_webhook_deliveries_total{event="issue_comment",outcome="failed"} 1');
  });
});
