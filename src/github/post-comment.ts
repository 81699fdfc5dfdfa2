import { withRedactedRequestBody } from './redact-request-body.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

export interface PostedComment {
  id: number;
  url: string;
}

/** A new comment on a PR or issue: how commands answer (each answer is its own comment). */
export async function postComment(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<PostedComment> {
  const { data } = await withRedactedRequestBody(() =>
    octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body }),
  );
  return { id: data.id, url: data.html_url };
}
