import type { GitHubClient, RepoRef } from './repo-ref.js';
import { toPullRequestState, type PullRequestState } from './get-pull-request.js';

/** Open PRs scanned at most (10 pages of 100, newest updated first) before giving up. */
export const MAX_OPEN_PULLS_SCANNED = 1000;

export interface PullRequestsForHead {
  /** Open PRs of `repo` whose head is `sha` (usually one; a branch may target two bases). */
  pulls: PullRequestState[];
  /** True when the scan stopped at `MAX_OPEN_PULLS_SCANNED` open PRs: a match may exist beyond. */
  truncated: boolean;
}

/**
 * The open PRs of `repo` whose head commit is `sha`, from the list of open PRs (newest updated first).
 * For a fork PR GitHub leaves a check run's `pull_requests` empty, and "list pull requests associated
 * with a commit" returns nothing either (the commit lives in the fork), so the open PRs are searched.
 */
export async function findOpenPullRequestsForHead(octokit: GitHubClient, repo: RepoRef, sha: string): Promise<PullRequestsForHead> {
  const maxPages = Math.ceil(MAX_OPEN_PULLS_SCANNED / 100);
  let pages = 0;
  let truncated = false;
  const pulls = await octokit.paginate(
    octokit.rest.pulls.list,
    { ...repo, state: 'open', sort: 'updated', direction: 'desc', per_page: 100 },
    (response, done) => {
      pages += 1;
      if (pages >= maxPages && /rel="next"/.test(response.headers.link ?? '')) {
        truncated = true;
        done();
      }
      return response.data.filter((pull) => pull.head.sha === sha && pull.state === 'open').map(toPullRequestState);
    },
  );
  return { pulls, truncated };
}
