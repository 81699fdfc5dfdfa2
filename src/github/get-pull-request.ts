import type { GitHubClient, RepoRef } from './repo-ref.js';

export interface PullRequestState {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  baseRef: string;
  baseSha: string;
  /** The repository's default branch (absent when GitHub did not say). */
  defaultBranch?: string;
  author: string;
  /** The head lives in another repository (a fork). */
  fromFork: boolean;
  draft: boolean;
}

/** The PR as it is now (a comment event carries no head SHA, and a webhook's copy may be stale). */
export async function getPullRequest(octokit: GitHubClient, repo: RepoRef, prNumber: number): Promise<PullRequestState> {
  const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: prNumber });
  return toPullRequestState(data);
}

/** The fields of a REST pull request (full, or as listed) that infra-review acts on. */
interface PullRequestData {
  number: number;
  state: string;
  merged?: boolean | null;
  merged_at: string | null;
  draft?: boolean;
  user: { login: string } | null;
  head: { sha: string; repo: { full_name: string } | null };
  base: { ref: string; sha: string; repo: { full_name: string; default_branch?: string } };
}

export function toPullRequestState(data: PullRequestData): PullRequestState {
  return {
    number: data.number,
    state: data.state === 'open' ? 'open' : 'closed',
    // A listed PR has no `merged` flag; `merged_at` says the same.
    merged: data.merged === true || (data.merged === undefined && data.merged_at !== null),
    headSha: data.head.sha,
    baseRef: data.base.ref,
    baseSha: data.base.sha,
    ...(data.base.repo.default_branch ? { defaultBranch: data.base.repo.default_branch } : {}),
    author: data.user?.login ?? '',
    fromFork: (data.head.repo?.full_name ?? '') !== data.base.repo.full_name,
    draft: data.draft === true,
  };
}
