import type { PermissionLevel } from './repository-permission.js';
/**
 * Input and output of approval evaluation: what the approval check and `/apply` pass in and read back.
 */
import type { RiskLevel } from '../plan/analysis.js';
import type { ApprovalsConfig } from './approvals-config.js';
import type { PolicyError } from './owners-policy.js';
import type { PolicyFileKind } from './policy-files.js';

export interface ChangedFileInput {
  /** Repository-relative path. */
  path: string;
  /** The project the file belongs to; null when it belongs to none (risk sections never apply to it). */
  project: string | null;
}

/**
 * A pull request review, in either of two shapes: the REST `pulls.listReviews` item, or the flat
 * form of src/github/list-reviews.ts (`PrReview`). Both are accepted so neither caller maps fields.
 * `state`: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING. A null user/login is a
 * deleted ("ghost") account: its reviews never count.
 */
export type ReviewInput = RestReviewInput | FlatReviewInput;

export interface RestReviewInput {
  id: number;
  user: { login: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
}

export interface FlatReviewInput {
  id: number;
  login: string | null;
  state: string;
  commitId: string | null;
  submittedAt?: string | null;
}

export type RepositoryPermission = PermissionLevel;

/** Member logins of `@org/teamSlug` (slugs are case-insensitive on GitHub). */
export type TeamMembersResolver = (org: string, teamSlug: string) => Promise<string[]>;
/** A user's permission on the repository. */
export type PermissionResolver = (login: string) => Promise<RepositoryPermission>;

/** Why a policy cannot be evaluated when the changed-file list is cut at GitHub's limit (its "list files" API lists at most 3,000). */
export const TRUNCATED_FILES_REASON = 'this PR changes 3,000 files or more; GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR';

export interface EvaluateApprovalsInput {
  /** The first policy file found on the base branch (see policyFileCandidates), or null when there is none. */
  policyFile: { path: string; content: string } | null;
  changedFiles: ChangedFileInput[];
  /**
   * True when `changedFiles` is cut at GitHub's listing limit: files beyond it are unknown, so rules and
   * risk sections that would own them cannot be applied, and a policy file can never be satisfied.
   */
  changedFilesTruncated?: boolean;
  /** Plan risk per project. A project missing here is treated as `critical` (fail closed). */
  projectRisks: Readonly<Record<string, RiskLevel | undefined>>;
  reviews: ReviewInput[];
  /** Login of the PR author: their own reviews never count. */
  author: string;
  headSha: string;
  options: ApprovalsConfig;
  teamMembers: TeamMembersResolver;
  /** A reviewer's permission: an approval counts only from someone with write access; without a resolver no approval counts. */
  permissionOf?: PermissionResolver;
}

export type ApprovalSourceKind = PolicyFileKind | 'default';

export interface ApprovalRequirement {
  /** Section name as written; null for the unnamed section and for the default rule. */
  section: string | null;
  /** Set for `[risk:LEVEL]` sections. */
  minRisk: RiskLevel | null;
  /** Rule line in the policy file; null for the default rule. */
  line: number | null;
  /** Pattern as written; null for the default rule. */
  pattern: string | null;
  /** Owners as written (`@user`, `@org/team`, emails); for the default rule the configured list, or [] for "write access". */
  owners: string[];
  /** Changed files this rule owns (last matching rule of its section). */
  files: string[];
  needed: number;
  /** Logins whose approval counted, in review order. */
  approvedBy: string[];
  /** Owners who could still approve (`@user`, `@org/team`, or a description for the default rule); empty once satisfied. */
  stillNeededFrom: string[];
  /** Logins of owners whose latest review requests changes: the requirement is blocked until it is dismissed or replaced. */
  blockedBy: string[];
  /** Why the requirement cannot be met as written (email-only owners, too few possible approvers, unresolvable team...). */
  problems: string[];
  satisfied: boolean;
}

export interface ApprovalEvaluation {
  satisfied: boolean;
  /** Which rule set applied: the policy file (with its path) or the configured default. */
  source: { kind: ApprovalSourceKind; path: string | null };
  headSha: string;
  /** Policy errors (an invalid policy is never satisfied). */
  errors: PolicyError[];
  /** Set when the policy cannot be evaluated at all (the PR has more changed files than GitHub lists): never satisfied, and this says why. */
  unevaluable?: string;
  requirements: ApprovalRequirement[];
  /** Human-readable explanations: ignored reviews, email owners, the default that applied, unowned files. */
  notes: string[];
}

/** The icon of the status line, and (`blocked` counted as `pending`) the metrics label `infra_review_approval_evaluations_total{outcome}`. */
export type ApprovalOutcome = 'satisfied' | 'pending' | 'blocked' | 'invalid_policy' | 'unevaluable';

export function approvalOutcome(evaluation: ApprovalEvaluation): ApprovalOutcome {
  if (evaluation.errors.length > 0) return 'invalid_policy';
  if (evaluation.unevaluable !== undefined) return 'unevaluable';
  if (evaluation.satisfied) return 'satisfied';
  // blocked: approvals alone cannot fix it (a change request, or a rule that cannot be met as written)
  return evaluation.requirements.some((r) => !r.satisfied && (r.blockedBy.length > 0 || r.problems.length > 0)) ? 'blocked' : 'pending';
}

/** The `outcome` label of `infra_review_approval_evaluations_total`. */
export function approvalMetricOutcome(evaluation: ApprovalEvaluation): Exclude<ApprovalOutcome, 'blocked'> {
  const outcome = approvalOutcome(evaluation);
  return outcome === 'blocked' ? 'pending' : outcome;
}
