/**
 * The INFRAOWNERS model: what the parser produces and what matching, evaluation and the CLI consume.
 */
import type { RiskLevel } from '../plan/analysis.js';

export type Owner =
  | { kind: 'user'; login: string; text: string }
  | { kind: 'team'; org: string; slug: string; text: string }
  /** Accepted for CODEOWNERS compatibility; can never approve (no reliable mapping to an account). */
  | { kind: 'email'; email: string; text: string };

export interface PolicyRule {
  /** 1-based line in the policy file. */
  line: number;
  /** The pattern as written (escapes kept), for display. */
  pattern: string;
  /** Compiled once per policy; tested against repository-relative paths without a leading slash. */
  matcher: RegExp;
  /** Every path the rule matches starts with this ('' when the pattern is not anchored at a literal). */
  literalPrefix: string;
  /** Empty means "no owner": a file whose last matching rule has no owners needs no approval in that section. */
  owners: Owner[];
}

export interface PolicySection {
  /** null for the unnamed section (rules before any header); otherwise the name as first written, e.g. `Production`, `risk:high`. */
  name: string | null;
  /** Line of the (first) header; null for the unnamed section. */
  line: number | null;
  /** Distinct approvals each matched rule of this section needs. */
  count: number;
  /** Set for `[risk:LEVEL]` sections: they apply only to files of projects whose plan risk is at or above it. */
  minRisk: RiskLevel | null;
  /** In file order: the last matching rule wins. */
  rules: PolicyRule[];
}

export interface PolicyError {
  /** The policy file path as given to the parser. */
  file: string;
  line: number;
  message: string;
}

export interface OwnersPolicy {
  file: string;
  /** In file order; the unnamed section, when present, is first. Same-named headers are merged into one section. */
  sections: PolicySection[];
}

export interface PolicyParseResult {
  policy: OwnersPolicy;
  /** Every problem, in line order. A policy with errors must not be used to grant anything. */
  errors: PolicyError[];
}

/** `FILE:LINE: message`, the form the CLI and check summaries print. */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.line}: ${error.message}`;
}
