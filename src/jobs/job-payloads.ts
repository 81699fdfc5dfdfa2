import type { ParseResult } from '../commands/parse-command.js';
import type { CheckName } from '../github/ensure-check-run.js';

/**
 * What a webhook handler stores in a job: everything the worker needs to act without the webhook,
 * and nothing secret (jobs are stored). The installation token is fetched again by the worker.
 */

/** The pull request as the webhook described it when the job was queued. */
export interface PullRequestRef {
  installationId: number;
  owner: string;
  repo: string;
  pr: number;
  headSha: string;
  /** Name of the base branch; config and policy are read from it, never from the head. */
  baseRef: string;
  baseSha: string;
  /** `repository.clone_url` of the base repository (fork heads are fetched from it by SHA). */
  cloneUrl: string;
  author: string;
  /** The head lives in another repository (a fork). */
  fromFork: boolean;
  draft: boolean;
  /** The webhook delivery that caused the job (X-GitHub-Delivery), for the logs. */
  deliveryId?: string;
}

export interface PlanJobPayload extends PullRequestRef {
  trigger: 'autoplan' | 'command';
  /** `/plan -p ...`: only these projects; empty = every affected project. */
  projects: string[];
  /** The command comment to answer, for `/plan`. */
  commentId?: number;
  actor?: string;
}

export interface ApprovalJobPayload extends PullRequestRef {
  trigger: 'review' | 'pull_request' | 'rerun';
}

/**
 * "Re-run" on one of our check runs, or "Re-run all checks" on our check suite. The event names the
 * commit, not always the PR (fork PRs have none attached): the job resolves the PR.
 */
export interface RerunJobPayload {
  installationId: number;
  owner: string;
  repo: string;
  /** `repository.clone_url` of the base repository. */
  cloneUrl: string;
  /** The re-run check run's name, or `suite` for "Re-run all checks". */
  check: CheckName | 'suite';
  headSha: string;
  /** `app.id` of the check run or suite; the job acts only when it is ours (fail closed). */
  appId: number | null;
  /** PRs of this repository GitHub attached to the check run or suite; empty for fork PRs. */
  pullRequests: number[];
  /** Who clicked "Re-run". */
  actor: string;
  deliveryId?: string;
}

/** A slash command from a PR comment; the worker loads the PR itself (the comment event has no head SHA). */
export interface CommentCommandPayload {
  installationId: number;
  owner: string;
  repo: string;
  pr: number;
  cloneUrl: string;
  commentId: number;
  actor: string;
  parsed: ParseResult;
  deliveryId?: string;
}

export function repoFullName(ref: Pick<PullRequestRef, 'owner' | 'repo'>): string {
  return `${ref.owner}/${ref.repo}`;
}
