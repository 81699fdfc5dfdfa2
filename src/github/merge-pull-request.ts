import { hasHttpStatus } from './http-status.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface MergePullRequestInput {
  /** The head SHA that was reviewed and applied: GitHub refuses the merge if the head moved. */
  sha: string;
  method: MergeMethod;
  commitTitle?: string;
  commitMessage?: string;
}

export type MergeResult =
  | { merged: true; sha: string }
  /** `head-changed`: someone pushed after the SHA we checked (409). `not-mergeable`: conflicts, branch protection, ... (405). */
  | { merged: false; reason: 'head-changed' | 'not-mergeable'; message: string };

/**
 * Merge a PR at exactly `sha`. The two refusals a caller must handle (head moved, not
 * mergeable) are values; any other error propagates.
 */
export async function mergePullRequest(
  octokit: GitHubClient,
  repo: RepoRef,
  prNumber: number,
  input: MergePullRequestInput,
): Promise<MergeResult> {
  try {
    const { data } = await octokit.rest.pulls.merge({
      ...repo,
      pull_number: prNumber,
      sha: input.sha,
      merge_method: input.method,
      ...(input.commitTitle !== undefined ? { commit_title: input.commitTitle } : {}),
      ...(input.commitMessage !== undefined ? { commit_message: input.commitMessage } : {}),
    });
    if (!data.merged) return { merged: false, reason: 'not-mergeable', message: data.message };
    return { merged: true, sha: data.sha };
  } catch (error) {
    if (hasHttpStatus(error, 409)) return { merged: false, reason: 'head-changed', message: errorMessage(error) };
    if (hasHttpStatus(error, 405)) return { merged: false, reason: 'not-mergeable', message: errorMessage(error) };
    throw error;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
