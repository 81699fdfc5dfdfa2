import type { GitHubClient, RepoRef } from './repo-ref.js';

export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

/**
 * React to an issue/PR comment (how we acknowledge an accepted command).
 * Idempotent by GitHub's design: the same reaction twice answers 200 with the existing one.
 */
export async function addReaction(
  octokit: GitHubClient,
  repo: RepoRef,
  commentId: number,
  content: ReactionContent,
): Promise<{ id: number }> {
  const { data } = await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content });
  return { id: data.id };
}
