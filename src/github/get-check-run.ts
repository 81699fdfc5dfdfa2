import type { GitHubClient, RepoRef } from './repo-ref.js';

/** The commit a branch points at now. */
export async function getBranchSha(octokit: GitHubClient, repo: RepoRef, branch: string): Promise<string> {
  const { data } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
  return data.object.sha;
}
