/**
 * Which rule of each section owns a path: the last matching rule wins, as in CODEOWNERS.
 * The app's evaluation and the `owners` CLI both go through here.
 */
import { normalizePath } from './compile-pattern.js';
import type { OwnersPolicy, PolicyRule, PolicySection } from './owners-policy.js';

export interface SectionMatch {
  section: PolicySection;
  /** null when no rule of this section matches the path. */
  rule: PolicyRule | null;
}

export function lastMatchingRule(section: PolicySection, path: string): PolicyRule | null {
  const normalized = normalizePath(path);
  for (let i = section.rules.length - 1; i >= 0; i--) {
    const rule = section.rules[i] as PolicyRule;
    // startsWith first: most rules of a large policy are anchored and fail on their prefix (performance).
    if (normalized.startsWith(rule.literalPrefix) && rule.matcher.test(normalized)) return rule;
  }
  return null;
}

/** One entry per section of the policy, in file order. */
export function matchOwners(policy: OwnersPolicy, path: string): SectionMatch[] {
  return policy.sections.map((section) => ({ section, rule: lastMatchingRule(section, path) }));
}
