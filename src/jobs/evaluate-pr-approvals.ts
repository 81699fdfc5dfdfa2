import type { RiskLevel } from '../plan/analysis.js';
import type { InfraReviewConfig } from '../config/config-schema.js';
import { evaluateApprovals } from '../policy/evaluate-approvals.js';
import type { ApprovalEvaluation, ChangedFileInput } from '../policy/approval-evaluation.js';
import type { GitHubClient, RepoRef } from '../github/repo-ref.js';
import { listReviews, type PrReview } from '../github/list-reviews.js';
import { createTeamResolver } from '../github/resolve-team-members.js';
import { getCollaboratorPermission } from '../github/get-permission.js';

export interface PrApprovalInput {
  pr: number;
  baseRef: string;
  headSha: string;
  author: string;
  config: InfraReviewConfig;
  changedFiles: ChangedFileInput[];
  /** True when GitHub's listing of the PR's files was cut at its 3,000-file limit: a policy file then fails closed. */
  changedFilesTruncated?: boolean;
  projectRisks: Readonly<Record<string, RiskLevel | undefined>>;
  /** The policy file as the caller read it from the base commit (readTrustedFiles; null: none there). */
  policyFile: { path: string; content: string } | null;
  /** The PR's reviews when the caller listed them already. */
  reviews?: PrReview[];
}

/**
 * The one approval evaluation of a PR, used by the approval check, the plan comment and `/apply`:
 * the policy file the caller read from the base commit, every review, team members and permissions from GitHub.
 */
export async function evaluatePrApprovals(octokit: GitHubClient, repo: RepoRef, input: PrApprovalInput): Promise<ApprovalEvaluation> {
  const reviews = input.reviews ?? (await listReviews(octokit, repo, input.pr));
  return evaluateApprovals({
    policyFile: input.policyFile,
    changedFiles: input.changedFiles,
    changedFilesTruncated: input.changedFilesTruncated === true,
    projectRisks: input.projectRisks,
    reviews,
    author: input.author,
    headSha: input.headSha,
    options: input.config.approvals,
    teamMembers: createTeamResolver(octokit),
    permissionOf: (login) => getCollaboratorPermission(octokit, repo, login),
  });
}
