/**
 * Where the approval policy lives in the repository (read from the base branch by the caller).
 * The first candidate that exists wins.
 */

export const INFRAOWNERS_PATHS = ['.github/INFRAOWNERS', 'INFRAOWNERS', 'docs/INFRAOWNERS'] as const;
export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

export type PolicyFileKind = 'infraowners' | 'codeowners';

/** Candidate paths in lookup order: INFRAOWNERS first, then CODEOWNERS when `use_codeowners` is set. */
export function policyFileCandidates(options: { use_codeowners?: boolean } = {}): string[] {
  return options.use_codeowners ? [...INFRAOWNERS_PATHS, ...CODEOWNERS_PATHS] : [...INFRAOWNERS_PATHS];
}

export function policyFileKind(path: string): PolicyFileKind {
  return (CODEOWNERS_PATHS as readonly string[]).includes(path) ? 'codeowners' : 'infraowners';
}

/** True when a changed file is one of the policy files: its change takes effect only after merge. */
export function isPolicyFile(path: string): boolean {
  return (INFRAOWNERS_PATHS as readonly string[]).includes(path) || (CODEOWNERS_PATHS as readonly string[]).includes(path);
}
