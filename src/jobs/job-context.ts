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
   * The installation token for git; never stored or logged. Fetched through the client: the job's first
   * REST request fetches (and caches) it through the client's auth hook, on the configured host. Asked for
   * before any request, it makes one (`GET /rate_limit`, which costs no rate limit), because Octokit's own
   * `auth({ type: 'installation' })` would fetch an uncached token from api.github.com even with GHE_HOST
   * set (octokit/auth-app.js#640), so on GitHub Enterprise it would fail.
   */
  installationToken(): Promise<string>;
  /** The store id of the job this context runs (absent outside a job). */
  jobId?: number;
}

export async function createJobContext(services: JobServices, installationId: number, bindings: { jobId?: number } & Record<string, unknown>): Promise<JobContext> {
  const [octokit, app] = await Promise.all([services.octokitFor(installationId), services.appIdentity()]);
  // A request GitHub answered (any status) went through the auth hook: the token is cached by then. A
  // network failure carries no response (Octokit still gives it status 500): nothing is known of the token.
  let answered = false;
  octokit.hook.after('request', () => {
    answered = true;
  });
  octokit.hook.error('request', (error: unknown) => {
    if ((error as { response?: unknown }).response !== undefined) answered = true;
    throw error;
  });
  return {
    services,
    octokit,
    app,
    botLogin: botLogin(app),
    log: services.log.child(bindings),
    ...(bindings.jobId !== undefined ? { jobId: bindings.jobId } : {}),
    installationToken: async () => {
      if (!answered) {
        // The auth hook fetches the token from the configured host before sending; the answer itself does not
        // matter (GitHub Enterprise answers 404 when rate limiting is off). A network failure is thrown.
        await octokit.request('GET /rate_limit').catch((error: unknown) => {
          if (!answered) throw error;
        });
      }
      const auth = (await octokit.auth({ type: 'installation' })) as { token?: string };
      if (!auth.token) throw new Error('GitHub returned no installation token');
      return auth.token;
    },
  };
}
