import type { GitHubClient, RepoRef } from './repo-ref.js';

export interface CheckRunState {
  id: number;
  status: string;
  conclusion: string | null;
}

/** The latest check run of `name` on `sha` made by our app, or undefined. */
export async function getLatestCheckRun(octokit: GitHubClient, repo: RepoRef, sha: string, name: string, appId: number): Promise<CheckRunState | undefined> {
  const { data } = await octokit.rest.checks.listForRef({ ...repo, ref: sha, check_name: name, app_id: appId, filter: 'latest', per_page: 100 });
  const ours = data.check_runs.filter((run) => run.app?.id === appId && run.name === name && run.head_sha === sha).sort((a, b) => b.id - a.id);
  const latest = ours[0];
  return latest ? { id: latest.id, status: latest.status, conclusion: latest.conclusion ?? null } : undefined;
}

/** The commit a branch points at now. */
export async function getBranchSha(octokit: GitHubClient, repo: RepoRef, branch: string): Promise<string> {
  const { data } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
  return data.object.sha;
}
