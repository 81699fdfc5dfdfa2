import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Metrics } from '../observability/metrics.js';
import type { RuntimeSettings } from '../runtime/read-settings.js';
import type { AppIdentity, GitHubClient } from '../github/repo-ref.js';
import { botLogin } from '../github/repo-ref.js';

/** Long-lived services every job uses; one set per process. */
export interface JobServices {
  store: Store;
  metrics: Metrics;
  settings: RuntimeSettings;
  /** Our app's id and slug (`GET /app`, fetched once). */
  appIdentity(): Promise<AppIdentity>;
  /** An installation-authenticated client. */
  octokitFor(installationId: number): Promise<GitHubClient>;
  log: Logger;
}

/** What one job run gets: the services, a client for its installation, a logger bound to the job. */
export interface JobContext {
  services: JobServices;
  octokit: GitHubClient;
  log: Logger;
  app: AppIdentity;
  /** `<slug>[bot]`: the author of our comments. */
  botLogin: string;
  /**
   * The installation token for git; never stored or logged. Call it after the job's first REST request:
   * that request fetches (and caches) the token through the client's auth hook. A token not cached yet
   * would be fetched by the auth strategy's own request, which Probot leaves at api.github.com even with
   * GHE_HOST set (octokit/auth-app.js#640), so on GitHub Enterprise it would fail.
   */
  installationToken(): Promise<string>;
  /** The store id of the job this context runs (absent outside a job). */
  jobId?: number;
}

export async function createJobContext(services: JobServices, installationId: number, bindings: { jobId?: number } & Record<string, unknown>): Promise<JobContext> {
  const [octokit, app] = await Promise.all([services.octokitFor(installationId), services.appIdentity()]);
  return {
    services,
    octokit,
    app,
    botLogin: botLogin(app),
    log: services.log.child(bindings),
    ...(bindings.jobId !== undefined ? { jobId: bindings.jobId } : {}),
    installationToken: async () => {
      const auth = (await octokit.auth({ type: 'installation' })) as { token?: string };
      if (!auth.token) throw new Error('GitHub returned no installation token');
      return auth.token;
    },
  };
}
