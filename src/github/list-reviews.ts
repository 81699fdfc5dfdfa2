import type { GitHubClient, RepoRef } from './repo-ref.js';

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface PrReview {
  id: number;
  /** Null when the reviewer's account has since been deleted ("ghost"). */
  login: string | null;
  state: ReviewState | string;
  /** The head SHA the review was given on; null for some very old reviews. */
  commitId: string | null;
  /** ISO 8601; absent on PENDING reviews. */
  submittedAt: string | null;
}

/** Every review of a PR, paginated, oldest first (GitHub's order). */
export async function listReviews(octokit: GitHubClient, repo: RepoRef, prNumber: number): Promise<PrReview[]> {
  const raw = await octokit.paginate(octokit.rest.pulls.listReviews, { ...repo, pull_number: prNumber, per_page: 100 });
  return raw.map((review) => ({
    id: review.id,
    login: review.user?.login ?? null,
    state: review.state,
    commitId: review.commit_id ?? null,
    submittedAt: review.submitted_at ?? null,
  }));
}
