/**
 * Turns a workflow's `env` entries (`{name, value}` or `{name, from_env}`) into the step environment.
 * Values taken from the server's environment are usually credentials, so they are all treated as secrets.
 */

/** The normalised env entry of `.github/infra-review.yml` (see src/config). */
export type WorkflowEnvEntry = { name: string; value: string } | { name: string; from_env: string };

export interface ResolvedWorkflowEnv {
  /** Literal values from the config. */
  env: Record<string, string>;
  /** Values passed through from the server's environment: given to the steps and masked in output. */
  secretEnv: Record<string, string>;
  /** `from_env` names the server does not have set: the caller reports them (the step would misbehave). */
  missing: string[];
}

export function resolveWorkflowEnv(
  entries: readonly WorkflowEnvEntry[],
  serverEnv: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedWorkflowEnv {
  const result: ResolvedWorkflowEnv = { env: {}, secretEnv: {}, missing: [] };
  for (const entry of entries) {
    if ('value' in entry) {
      result.env[entry.name] = entry.value;
      continue;
    }
    const value = serverEnv[entry.from_env];
    if (value === undefined) result.missing.push(entry.from_env);
    else result.secretEnv[entry.name] = value;
  }
  return result;
}
