import type { ApplicationFunctionOptions, Context, Probot } from 'probot';
import type { Logger } from 'pino';
import { readSettings } from './runtime/read-settings.js';
import { Runtime } from './runtime/start-runtime.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { instrumentOctokit } from './observability/instrument-octokit.js';
import { createHealthRoutes } from './http/health-routes.js';
import { keepConnectionsAlive } from './http/keep-alive.js';
import { handlePullRequest } from './handlers/pull-request.js';
import { handlePullRequestReview } from './handlers/pull-request-review.js';
import { handleIssueComment } from './handlers/issue-comment.js';
import { handleCheckRunRerequested, handleCheckSuiteRerequested } from './handlers/check-rerequested.js';

export interface AppOptions {
  /** Injected by tests; the server uses the environment. */
  env?: Readonly<Record<string, string | undefined>>;
  metrics?: Metrics;
  /** Receives the runtime once created (tests wait on `whenReady()` and stop it). */
  onRuntime?: (runtime: Runtime) => void;
}

/** The Probot app function: wires handlers, HTTP routes and the runtime, nothing else. */
export function createApp(options: AppOptions = {}) {
  return async function app(probot: Probot, appOptions?: ApplicationFunctionOptions): Promise<void> {
    const log = probot.log as unknown as Logger;
    const settings = readSettings(options.env ?? process.env);
    const metrics = options.metrics ?? createMetrics();
    const runtime = new Runtime(probot, settings, metrics, log);
    options.onRuntime?.(runtime);
    runtime.start();

    const track =
      <E extends 'pull_request' | 'pull_request_review' | 'issue_comment' | 'check_run' | 'check_suite'>(event: E, handle: (context: Context<E>) => Promise<string>) =>
      async (context: Context<E>) => {
        instrumentOctokit(context.octokit, metrics);
        const handling = metrics.webhookHandling.startTimer({ event });
        try {
          const outcome = await handle(context);
          metrics.webhookDeliveries.inc({ event, outcome });
        } catch (error) {
          metrics.webhookDeliveries.inc({ event, outcome: 'failed' });
          throw error;
        } finally {
          handling();
        }
      };
    // A handler asks for the queue (which waits for the store at start-up, and fails while it is down) only
    // when it has a job to enqueue: what it ignores (conversation, our own check runs completing, other apps'
    // runs and suites) is answered at once, and never counted as failed because the store is unavailable.
    const queue = () => runtime.queueForDelivery();
    probot.on('pull_request', track('pull_request', async (context) => handlePullRequest(context, queue)));
    probot.on('pull_request_review', track('pull_request_review', async (context) => handlePullRequestReview(context, queue)));
    probot.on('issue_comment', track('issue_comment', async (context) => handleIssueComment(context, queue)));
    // The "Re-run" buttons GitHub shows on our check runs and suite (other apps' runs and suites: `other_app`).
    probot.on('check_run', track('check_run', async (context) => handleCheckRunRerequested(context, queue, settings.appId)));
    probot.on('check_suite', track('check_suite', async (context) => handleCheckSuiteRerequested(context, queue, settings.appId)));

    // Probot passes addHandler when a server runs the app; unit tests load the app without one.
    let serving = false;
    try {
      appOptions?.addHandler(createHealthRoutes({ registry: metrics.registry, probes: runtime.readinessProbes() }));
      serving = appOptions !== undefined;
    } catch (error) {
      log.debug({ err: error }, 'no HTTP server: health and metrics routes not mounted');
    }
    if (serving) {
      // Probot's server keeps Node's 5 s keep-alive: shorter than a load balancer's idle timeout (502s).
      keepConnectionsAlive(settings.httpKeepAliveMs, () => log.debug({ keepAliveMs: settings.httpKeepAliveMs }, 'HTTP keep-alive timeout set'));
      // Finish or hand back running jobs and close the database before the process ends.
      const shutdown = (signal: NodeJS.Signals) => {
        log.info({ signal }, 'stopping workers and closing the store');
        runtime.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'unclean shutdown');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    }
  };
}

export default createApp();
