import { DEFAULT_PLAN_MARKER, MAX_COMMENT_LENGTH, findPlanComments, planCommentMarker, type PlanComments } from './ensure-plan-comment.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/**
 * Put (or replace) a small block in the sticky plan comment without re-rendering it: the approval
 * status after a review, "this PR was closed" after a close. The block sits right below the hidden
 * marker, between `<!-- infra-review:NAME -->` and `<!-- /infra-review:NAME -->`. No plan comment: nothing to do.
 * With `comments` (this job's own listing) nothing is listed, and the listing is updated with the new body.
 */
export async function annotatePlanComment(
  octokit: GitHubClient,
  repo: RepoRef,
  prNumber: number,
  name: string,
  markdown: string,
  options: { botLogin: string; marker?: string; comments?: PlanComments },
): Promise<'updated' | 'unchanged' | 'no-comment'> {
  const marker = options.marker ?? DEFAULT_PLAN_MARKER;
  const comments = options.comments ?? (await findPlanComments(octokit, repo, prNumber, { botLogin: options.botLogin, marker }));
  const main = comments.get(1)?.[0];
  if (!main) return 'no-comment';
  const body = withBlock(main.body, planCommentMarker(marker, 1), name, markdown);
  if (body === main.body) return 'unchanged';
  await octokit.rest.issues.updateComment({ ...repo, comment_id: main.id, body });
  main.body = body;
  return 'updated';
}

/** Pure: the body with block `name` set to `markdown`, kept under GitHub's comment limit. */
export function withBlock(body: string, markerLine: string, name: string, markdown: string): string {
  const open = `<!-- infra-review:${name} -->`;
  const close = `<!-- /infra-review:${name} -->`;
  const start = body.indexOf(open);
  const end = start === -1 ? -1 : body.indexOf(close, start);
  const found = start !== -1 && end !== -1;
  const without = found ? body.slice(0, start) + body.slice(end + close.length) : body;
  const room = MAX_COMMENT_LENGTH - without.length - open.length - close.length - 4;
  if (room <= 0) return body;
  const text = markdown.length > room ? `${markdown.slice(0, Math.max(0, room - 1))}…` : markdown;
  // An existing block is replaced where it stands (the renderer may have placed it); a new one goes below the marker.
  if (found) return `${body.slice(0, start)}${open}\n${text}\n${close}${body.slice(end + close.length)}`;
  const block = `${open}\n${text}\n${close}\n`;
  const at = without.indexOf(markerLine);
  if (at === -1) return `${block}${without}`;
  const lineEnd = without.indexOf('\n', at);
  const insertAt = lineEnd === -1 ? without.length : lineEnd + 1;
  return `${without.slice(0, insertAt)}${lineEnd === -1 ? '\n' : ''}${block}${without.slice(insertAt)}`;
}
