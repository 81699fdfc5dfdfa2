/**
 * The analysis contract: what plan analysis produces and what rendering, policy and the CLI consume.
 * Field names here are shared by several modules; change them everywhere at once.
 */

export const RISK_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Normalised form of a resource change's `actions` array. */
export type ChangeAction =
  | 'no-op'
  | 'create'
  | 'read'
  | 'update'
  | 'delete'
  | 'replace' // ["delete","create"]: destroy then create
  | 'replace-create-first' // ["create","delete"]: create_before_destroy
  | 'forget'
  | 'create-forget' // ["create","forget"]
  | 'unknown'; // an action list this version does not know: shown, never a crash

export interface PlanSummary {
  /** Exactly Terraform's "Plan: X to add" (a replacement counts here and in destroy). */
  add: number;
  change: number;
  destroy: number;
  replace: number;
  import: number;
  move: number;
  forget: number;
  read: number;
  no_op: number;
}

export interface ResourceChangeAnalysis {
  address: string;
  previousAddress?: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  providerName?: string;
  /** The raw `actions` array from the plan. */
  actions: string[];
  action: ChangeAction;
  actionReason?: string;
  importing: boolean;
  deposed?: string;
  /** Terraform's wording, e.g. "# aws_instance.web must be replaced". */
  header: string;
  /** Terraform-style attribute diff, one line each, markers in column 0; sensitive values already masked. */
  diff: string;
  risk: RiskLevel;
  reasons: string[];
}

export interface OutputChangeAnalysis {
  name: string;
  action: ChangeAction;
  sensitive: boolean;
  /** Diff lines for this output, sensitive values masked. */
  diff: string;
}

/**
 * `C` is what the analysis kept of each change: the change itself everywhere but in `render --format
 * json`, which keeps only each change's JSON text (analyze-plan.ts, `keepChange`).
 */
export interface PlanAnalysis<C = ResourceChangeAnalysis> {
  formatVersion: string;
  terraformVersion?: string;
  summary: PlanSummary;
  risk: { level: RiskLevel; reasons: string[] };
  /** Every resource change except no-ops (a no-op that moves or imports an object is kept, as Terraform shows it) and deleted data sources. */
  changes: C[];
  /** Changes made outside Terraform (resource_drift). */
  drift: ResourceChangeAnalysis[];
  outputs: OutputChangeAnalysis[];
  errored: boolean;
  applyable?: boolean;
  complete?: boolean;
  /** Human-readable notes about deferred changes, failed checks, and fields this version does not know. */
  notes: string[];
}

export function compareRisk(a: RiskLevel, b: RiskLevel): number {
  return RISK_LEVELS.indexOf(a) - RISK_LEVELS.indexOf(b);
}

export function maxRisk(levels: Iterable<RiskLevel>): RiskLevel {
  let best: RiskLevel = 'none';
  for (const level of levels) if (compareRisk(level, best) > 0) best = level;
  return best;
}
