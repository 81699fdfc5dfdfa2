import { withRedactedRequestBody } from './redact-request-body.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/** GitHub rejects deployment status descriptions longer than this. */
export const MAX_DEPLOYMENT_DESCRIPTION = 140;

export interface CreateDeploymentInput {
  /** The commit SHA being applied (a SHA, not a branch: the deployment records exactly what ran). */
  ref: string;
  environment: string;
  description: string;
  /** Stored on the deployment as JSON; never put secrets here, it is readable by anyone with repo read. */
  payload: Record<string, unknown>;
  transientEnvironment?: boolean;
}

export interface CreatedDeployment {
  id: number;
  url: string;
}

/**
 * Record an apply as a GitHub deployment.
 *
 * `auto_merge: false`: GitHub would otherwise try to merge the default branch into `ref`
 * first, and we deploy exactly the reviewed SHA.
 * `required_contexts: []`: by default GitHub refuses a deployment until every status check
 * on `ref` passes, and `infra-review/apply` is one of ours that stays pending until the
 * apply finishes: our own check must not block our own deployment (deadlock). The approval
 * gate is enforced by us before we get here.
 */
export async function createDeployment(
  octokit: GitHubClient,
  repo: RepoRef,
  input: CreateDeploymentInput,
): Promise<CreatedDeployment> {
  const response = await withRedactedRequestBody(() =>
    octokit.rest.repos.createDeployment({
      ...repo,
      ref: input.ref,
      environment: input.environment,
      description: input.description,
      payload: input.payload,
      auto_merge: false,
      required_contexts: [],
      ...(input.transientEnvironment !== undefined ? { transient_environment: input.transientEnvironment } : {}),
    }),
  );
  const data = response.data;
  // 202 ("merged branch") only happens with auto_merge, which we turn off.
  if (!('id' in data)) {
    throw new Error(`GitHub did not create the deployment: ${data.message ?? `HTTP ${response.status}`}`);
  }
  return { id: data.id, url: data.url };
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface DeploymentStatusInput {
  state: DeploymentState;
  /** Cut to 140 characters (GitHub's limit) with an ellipsis. */
  description: string;
  logUrl?: string;
  environmentUrl?: string;
}

export async function setDeploymentStatus(
  octokit: GitHubClient,
  repo: RepoRef,
  deploymentId: number,
  input: DeploymentStatusInput,
): Promise<{ id: number }> {
  const { data } = await octokit.rest.repos.createDeploymentStatus({
    ...repo,
    deployment_id: deploymentId,
    state: input.state,
    description: truncateDescription(input.description),
    ...(input.logUrl ? { log_url: input.logUrl } : {}),
    ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
  });
  return { id: data.id };
}

function truncateDescription(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_DEPLOYMENT_DESCRIPTION
    ? text
    : `${chars.slice(0, MAX_DEPLOYMENT_DESCRIPTION - 1).join('')}…`;
}
