import type { PlanAnalysis, PlanSummary, RiskLevel } from '../plan/analysis.js';

/** One project of a plan run, as the plan comment and the plan check show it. */
export interface ProjectPlanResult {
  name: string;
  dir: string;
  workspace: string;
  status: 'planned' | 'failed' | 'skipped';
  /** Present when status is `planned`. */
  analysis?: PlanAnalysis;
  /** Present when status is `failed`: what went wrong, and the tool's output (shown in a fence). */
  error?: { message: string; output?: string };
  /** Why the project was not planned (e.g. "no changed files", "superseded by a newer push"). */
  skippedReason?: string;
  /**
   * Instead of `analysis`, for a `planned` project this run did not plan again (a `/plan -p` of another
   * project): its plan of the same commit from an earlier run is still valid, but only its summary and risk
   * are kept, so it is shown without resource details. Null when the store no longer has them.
   */
  plannedEarlier?: { summary: PlanSummary | null; risk: RiskLevel | null; hasChanges: boolean };
}

/** What has been applied so far from this PR, per project. */
export interface ProjectApplyInfo {
  project: string;
  status: 'applied' | 'failed' | 'in-progress';
  /** GitHub login of who ran `/apply`. */
  by?: string;
  /** Commit the applied plan was made from. */
  sha?: string;
  /** ISO 8601 time. */
  at?: string;
}

export interface PlanCommentInput {
  /** `owner/name`, shown in the header when given. */
  repo?: string;
  pr?: number;
  /** Commit the plan was made from; empty when unknown (the CLI). */
  headSha: string;
  projects: ProjectPlanResult[];
  /**
   * One line (markdown) on the state of approvals, from the policy evaluation, e.g.
   * "**Approval:** 1 of 2 required approvals (missing: @acme/sre)". Trusted: built by our own code.
   */
  approvalStatus?: string;
  /** Trusted markdown paragraphs from our own code, e.g. "This PR changes `.github/INFRAOWNERS`: ...". */
  notices?: string[];
  /** The `infra-review/plan` check run: where the full details live when a comment cannot hold them. */
  checkRunUrl?: string;
  applied?: ProjectApplyInfo[];
}

export interface RenderLimits {
  /** Largest body in characters (GitHub: 65,536 for comments, 65,535 for check run summary and text). */
  maxLength?: number;
  /** Most comment bodies for one plan; the rest of the details is dropped with a pointer to the check run. */
  maxBodies?: number;
  /**
   * `false` leaves the hidden marker lines out of the bodies, for a publisher that adds them itself
   * (`ensurePlanComment` in src/github prefixes `<!-- infra-review:plan[:part-N] -->` and a newline);
   * the room they take is still reserved, so marker + body stays within `maxLength`. Default `true`.
   */
  withMarkers?: boolean;
  /**
   * Return only the first this many bodies (default: all). Part numbers and notes are those of the
   * whole comment; the later bodies are measured, never built. The CLI prints body 1 only.
   */
  keepBodies?: number;
}
