import type { RiskLevel } from '../plan/analysis.js';
import type { InfraReviewConfig } from '../config/config-schema.js';
import { evaluateApprovals } from '../policy/evaluate-approvals.js';
import type { ApprovalEvaluation, ChangedFileInput } from '../policy/approval-evaluation.js';
import { policyFileCandidates } from '../policy/policy-files.js';
import type { GitHubClient, RepoRef } from '../github/repo-ref.js';
import { readFirstFile } from '../github/read-repo-file.js';
import { listReviews } from '../github/list-reviews.js';
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
  /** The policy file as the caller already read it from the base branch (null: none there); read via the API when absent. */
  policyFile?: { path: string; content: string } | null;
}

/**
 * The one approval evaluation of a PR, used by the approval check, the plan comment and `/apply`:
 * the policy file from the base branch, every review, team members and permissions from GitHub.
 */
export async function evaluatePrApprovals(octokit: GitHubClient, repo: RepoRef, input: PrApprovalInput): Promise<ApprovalEvaluation> {
  const [policyFile, reviews] = await Promise.all([
    input.policyFile !== undefined ? input.policyFile : readFirstFile(octokit, repo, policyFileCandidates(input.config.approvals), input.baseRef),
    listReviews(octokit, repo, input.pr),
  ]);
  return evaluateApprovals({
    policyFile,
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
