import type { Metrics } from './metrics.js';

/** The slice of Octokit's `hook` collection this needs (before-after-hook's `after` and `error`). */
interface RequestHooks {
  hook: {
    after(name: 'request', hook: (response: HookResponse, options: HookOptions) => void): void;
    error(name: 'request', hook: (error: unknown, options: HookOptions) => unknown): void;
  };
}

interface HookResponse {
  status: number;
  headers?: Record<string, unknown>;
}

interface HookOptions {
  method?: string;
}

const instrumented = new WeakSet<object>();

/**
 * Counts every request `octokit` makes in `infra_review_github_requests_total{method,status}` and keeps
 * `infra_review_github_rate_limit_remaining{resource}` at what GitHub last reported. Idempotent per client
 * instance: a client passed twice is counted once. A request that never got an answer (network error) has
 * status `network_error`. Returns the same client.
 */
export function instrumentOctokit<T extends object>(octokit: T, metrics: Pick<Metrics, 'githubRequests' | 'githubRateLimitRemaining'>): T {
  if (instrumented.has(octokit)) return octokit;
  const client = octokit as unknown as RequestHooks;
  if (typeof client.hook?.after !== 'function' || typeof client.hook.error !== 'function') return octokit;
  instrumented.add(octokit);

  client.hook.after('request', (response, options) => {
    record(metrics, options.method, String(response.status), response.headers);
  });
  client.hook.error('request', (error, options) => {
    const failed = error as { status?: unknown; response?: { headers?: Record<string, unknown> } };
    // Octokit reports a request that got no answer (connection refused, reset, timeout) as status 500
    // without a response: that is not GitHub answering 500.
    const answered = failed.response !== undefined && typeof failed.status === 'number';
    const status = answered ? String(failed.status) : 'network_error';
    record(metrics, options.method, status, failed.response?.headers);
    // An error hook that returns would turn the failure into a success: hand it on untouched.
    throw error;
  });
  return octokit;
}

function record(
  metrics: Pick<Metrics, 'githubRequests' | 'githubRateLimitRemaining'>,
  method: string | undefined,
  status: string,
  headers: Record<string, unknown> | undefined,
): void {
  metrics.githubRequests.inc({ method: (method ?? 'GET').toUpperCase(), status });
  const remaining = Number(headers?.['x-ratelimit-remaining']);
  if (headers?.['x-ratelimit-remaining'] !== undefined && Number.isFinite(remaining)) {
    const resource = headers['x-ratelimit-resource'];
    metrics.githubRateLimitRemaining.set({ resource: typeof resource === 'string' && resource !== '' ? resource : 'core' }, remaining);
  }
}
