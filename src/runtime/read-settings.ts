import path from 'node:path';

/**
 * Server settings from the environment (never from a repository): where state lives, which IaC binary
 * runs, how many jobs run at once. Probot itself reads APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET,
 * GHE_HOST, GHE_PROTOCOL, LOG_LEVEL, PORT and HOST.
 */
export interface RuntimeSettings {
  /** DATA_DIR: SQLite database, plan files, workspaces and the provider plugin cache. Default ./data. */
  dataDir: string;
  /** DATABASE_URL: PostgreSQL for several replicas; unset = SQLite under dataDir. */
  databaseUrl?: string;
  /** WORKER_CONCURRENCY: jobs run at once by this process. Default 2. */
  workerConcurrency: number;
  /** IAC_PASS_ENV: server variables passed to IaC steps (names or PREFIX*), e.g. `AWS_*,GOOGLE_*`. Masked in all output. */
  passEnv: string[];
  /** PLAN_RETENTION_DAYS: plans older than this are pruned. Default 30. */
  planRetentionDays: number;
  /** SHUTDOWN_GRACE_SECONDS: on SIGTERM, how long running jobs may finish before they are stopped and marked interrupted. Default 25. */
  shutdownGraceMs: number;
  /** HTTP_KEEP_ALIVE_SECONDS: how long the server keeps an idle client connection open; above the load balancer's idle timeout. Default 65. */
  httpKeepAliveMs: number;
  /**
   * APP_ID (read by Probot for its credentials): our GitHub App's id, when it is a number. Lets webhook
   * handlers tell other apps' check runs and suites apart without a request. Unset: told apart by name only.
   */
  appId?: number;
  /** The environment the IaC steps and git start from (the runner reads IAC_BINARY and PATH from it). */
  baseEnv: Readonly<Record<string, string | undefined>>;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function readSettings(env: Readonly<Record<string, string | undefined>> = process.env): RuntimeSettings {
  const problems: string[] = [];
  const positiveInt = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      problems.push(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const settings: RuntimeSettings = {
    dataDir: path.resolve(env.DATA_DIR?.trim() || 'data'),
    workerConcurrency: positiveInt('WORKER_CONCURRENCY', 2, 64),
    passEnv: (env.IAC_PASS_ENV ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    planRetentionDays: positiveInt('PLAN_RETENTION_DAYS', 30, 3650),
    shutdownGraceMs: positiveInt('SHUTDOWN_GRACE_SECONDS', 25, 3600) * 1000,
    httpKeepAliveMs: positiveInt('HTTP_KEEP_ALIVE_SECONDS', 65, 3600) * 1000,
    baseEnv: env,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(/^\d+$/.test(env.APP_ID?.trim() ?? '') ? { appId: Number(env.APP_ID?.trim()) } : {}),
  };
  for (const name of settings.passEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) problems.push(`IAC_PASS_ENV: ${JSON.stringify(name)} is not a variable name or PREFIX*`);
  }
  if (problems.length > 0) throw new SettingsError(`invalid settings:\n- ${problems.join('\n- ')}`);
  return settings;
}
