import { hasHttpStatus } from './http-status.js';
import { withRedactedRequestBody } from './redact-request-body.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/** GitHub rejects an issue comment body longer than this. */
export const MAX_COMMENT_LENGTH = 65_536;

export const DEFAULT_PLAN_MARKER = 'infra-review:plan';

export interface EnsurePlanCommentOptions {
  /**
   * Our bot's login (`<app-slug>[bot]`, see `botLogin()`). Only comments by this author are
   * ours: anyone can paste the hidden marker into a comment of their own, and we must never
   * edit or delete it, nor treat it as the plan.
   */
  botLogin: string;
  /** Marker name; the first comment carries `<!-- marker -->`, continuations `<!-- marker:part-N -->`. */
  marker?: string;
  /**
   * Our plan comments as this job already listed them (`findPlanComments`, kept current by
   * `annotatePlanComment`): saves listing them again. Only for one job's own earlier listing.
   */
  existing?: PlanComments;
}

/** Our plan comments of a PR by part number (1 = main), oldest first within a part. */
export type PlanComments = Map<number, ExistingComment[]>;

export type CommentAction = 'created' | 'updated' | 'unchanged';

export interface EnsuredComment {
  id: number;
  url: string;
  /** 1 for the main comment, N for `part-N` continuations. */
  part: number;
  action: CommentAction;
}

export interface EnsurePlanCommentResult {
  /** In order: the main comment first, then continuations part-2, part-3, ... */
  comments: EnsuredComment[];
  /** Ids of our stale continuations (and duplicates) that were deleted. */
  deletedIds: number[];
}

export interface ExistingComment {
  id: number;
  body: string;
  html_url: string;
}

/** `<!-- marker -->` for part 1, `<!-- marker:part-N -->` for continuations. */
export function planCommentMarker(marker: string, part: number): string {
  return part === 1 ? `<!-- ${marker} -->` : `<!-- ${marker}:part-${part} -->`;
}

/**
 * One sticky plan comment per PR, plus continuation comments when the rendered plan needs
 * several bodies. Comments are created once and then edited in place, only when the body
 * differs; continuations beyond `bodies.length` are deleted so a stale part never lingers.
 * The hidden marker is added here; callers pass the visible bodies.
 */
export async function ensurePlanComment(
  octokit: GitHubClient,
  repo: RepoRef,
  prNumber: number,
  bodies: string[],
  options: EnsurePlanCommentOptions,
): Promise<EnsurePlanCommentResult> {
  const marker = options.marker ?? DEFAULT_PLAN_MARKER;
  if (bodies.length === 0) {
    throw new RangeError('ensurePlanComment needs at least one body');
  }
  const wanted = bodies.map((body, index) => `${planCommentMarker(marker, index + 1)}\n${body}`);
  wanted.forEach((body, index) => {
    if (body.length > MAX_COMMENT_LENGTH) {
      // The renderer splits at the limit; reaching here is a bug upstream, not user input.
      throw new RangeError(
        `plan comment part ${index + 1} is ${body.length} characters, over GitHub's ${MAX_COMMENT_LENGTH}`,
      );
    }
  });

  if (options.existing) {
    try {
      return await writePlanComments(octokit, repo, prNumber, wanted, options.existing);
    } catch (error) {
      // A comment of the earlier listing is gone (deleted by someone meanwhile): start over from a fresh listing.
      if (!hasHttpStatus(error, 404)) throw error;
    }
  }
  return writePlanComments(octokit, repo, prNumber, wanted, await findPlanComments(octokit, repo, prNumber, { botLogin: options.botLogin, marker }));
}

async function writePlanComments(
  octokit: GitHubClient,
  repo: RepoRef,
  prNumber: number,
  wanted: string[],
  byPart: PlanComments,
): Promise<EnsurePlanCommentResult> {
  const comments: EnsuredComment[] = [];
  for (const [index, body] of wanted.entries()) {
    const part = index + 1;
    const current = byPart.get(part)?.[0];
    if (!current) {
      const { data } = await withRedactedRequestBody(() =>
        octokit.rest.issues.createComment({ ...repo, issue_number: prNumber, body }),
      );
      comments.push({ id: data.id, url: data.html_url, part, action: 'created' });
    } else if (normaliseNewlines(current.body) !== normaliseNewlines(body)) {
      const { data } = await withRedactedRequestBody(() =>
        octokit.rest.issues.updateComment({ ...repo, comment_id: current.id, body }),
      );
      comments.push({ id: data.id, url: data.html_url, part, action: 'updated' });
    } else {
      comments.push({ id: current.id, url: current.html_url, part, action: 'unchanged' });
    }
  }

  // Parts past the new count, and duplicates of any part (two racing deliveries can each
  // create one), are ours and stale.
  const keep = new Set(comments.map((comment) => comment.id));
  const stale = [...byPart.values()].flat().filter((comment) => !keep.has(comment.id));
  const deletedIds: number[] = [];
  for (const comment of stale) {
    await octokit.rest.issues.deleteComment({ ...repo, comment_id: comment.id });
    deletedIds.push(comment.id);
  }
  return { comments, deletedIds };
}

/** Our plan comments of a PR by part number (1 = main), oldest first within a part. */
export async function findPlanComments(
  octokit: GitHubClient,
  repo: RepoRef,
  prNumber: number,
  options: { botLogin: string; marker?: string },
): Promise<PlanComments> {
  const login = options.botLogin;
  const marker = options.marker ?? DEFAULT_PLAN_MARKER;
  const all = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: prNumber,
    per_page: 100,
  });
  // The marker is recognised only where we put it, at the very start: plan text quoted further
  // down a body (resource names, error output) may contain the marker string itself.
  const markerPattern = new RegExp(`^<!-- ${escapeRegExp(marker)}(?::part-(\\d+))? -->`);
  const byPart: PlanComments = new Map();
  for (const comment of all) {
    // Logins are case-insensitive on GitHub; the type check keeps a user named like a bot out.
    if (comment.user?.type !== 'Bot' || comment.user.login.toLowerCase() !== login.toLowerCase()) continue;
    const body = comment.body ?? '';
    const match = markerPattern.exec(body.trimStart());
    if (!match) continue;
    const part = match[1] === undefined ? 1 : Number(match[1]);
    if (!Number.isSafeInteger(part) || part < 1) continue;
    const list = byPart.get(part) ?? [];
    // Oldest first (listComments is ascending): the oldest is the one people have linked to.
    list.push({ id: comment.id, body, html_url: comment.html_url });
    byPart.set(part, list);
  }
  return byPart;
}

function normaliseNewlines(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
