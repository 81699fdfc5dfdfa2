/**
 * Approval evaluation (pure apart from the injected resolvers): is the INFRAOWNERS policy, or the
 * configured default, satisfied for the PR's current head? The approval check and `/apply` both call
 * this one function. Every doubtful case fails closed.
 *
 * Review semantics (as GitHub computes a reviewer's state): each reviewer's latest review among
 * APPROVED, CHANGES_REQUESTED and DISMISSED is the one that counts, ordered by submitted_at then id.
 * COMMENTED reviews neither grant nor withdraw anything, so a comment after an approval keeps the
 * approval; PENDING reviews are not submitted. A dismissed review leaves its author with no stance.
 * An approval counts when it is on the head SHA (any SHA with `carry_over`), not by the PR author, and
 * (as on GitHub) from a reviewer who has write access now: an INFRAOWNERS entry or a team membership can
 * outlive a downgrade to read access.
 * A change request blocks whatever commit it was given on, until it is dismissed or followed by an
 * approval from the same reviewer (GitHub keeps change requests across pushes).
 */
import { compareRisk, type RiskLevel } from '../plan/analysis.js';
import {
  TRUNCATED_FILES_REASON,
  type ApprovalEvaluation,
  type ApprovalRequirement,
  type ChangedFileInput,
  type EvaluateApprovalsInput,
  type RepositoryPermission,
  type ReviewInput,
} from './approval-evaluation.js';
import { lastMatchingRule } from './match-owners.js';
import type { Owner, PolicyRule, PolicySection } from './owners-policy.js';
import { parseOwnersPolicy } from './parse-owners-policy.js';
import { isPolicyFile, policyFileKind } from './policy-files.js';

const DECISIVE_STATES = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);
const WRITE_PERMISSIONS = new Set<RepositoryPermission>(['admin', 'maintain', 'write']);
const MAX_LISTED_FILES = 10;

interface ReviewerStance {
  login: string;
  state: string;
  commitId: string | null;
}

interface ReviewState {
  /** Logins whose approval is valid, in review order. */
  approvers: string[];
  /** Logins whose latest review requests changes (author excluded). */
  changeRequesters: string[];
}

export async function evaluateApprovals(input: EvaluateApprovalsInput): Promise<ApprovalEvaluation> {
  const notes: string[] = [];
  const reviews = summarizeReviews(input, notes);
  const membership = new TeamMembership(input.teamMembers);
  const writeAccess = new WriteAccess(input.permissionOf, notes);

  // A path may be listed once per project that uses it (a shared module): it is one file whose risk is
  // the highest of those projects.
  const fileRisks = riskOfFiles(input.changedFiles, input.projectRisks);
  const paths = [...fileRisks.keys()];
  for (const path of paths) {
    if (isPolicyFile(path)) {
      notes.push(`This PR changes ${path}: the change takes effect after merge; approvals follow the base branch's policy.`);
    }
  }

  // 1. No policy file: the configured default applies. It asks the same of every changed file, so files
  // beyond GitHub's listing limit change nothing: it is still evaluated.
  if (input.policyFile === null) {
    if (input.changedFilesTruncated) {
      notes.push('GitHub lists no more than 3,000 changed files of a PR and this PR reaches that limit; the default rule applies to every changed file alike, listed or not.');
    }
    const requirement = await evaluateDefault(input, paths, reviews, membership, writeAccess, notes);
    const requirements = requirement ? [requirement] : [];
    return {
      satisfied: requirements.every((r) => r.satisfied),
      source: { kind: 'default', path: null },
      headSha: input.headSha,
      errors: [],
      requirements,
      notes,
    };
  }

  // 2. Parse; an invalid policy fails closed.
  const source = { kind: policyFileKind(input.policyFile.path), path: input.policyFile.path };
  const { policy, errors } = parseOwnersPolicy(input.policyFile.content, input.policyFile.path);
  if (errors.length > 0) {
    notes.push(`${input.policyFile.path} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}): no approval can satisfy it until it is fixed.`);
    return { satisfied: false, source, headSha: input.headSha, errors, requirements: [], notes };
  }

  // 3. Each section on its own: a file takes the section's last matching rule.
  noteUnknownRisks(input, notes);
  const requirements: ApprovalRequirement[] = [];
  const ownedFiles = new Set<string>();
  for (const section of policy.sections) {
    const filesByRule = new Map<PolicyRule, string[]>();
    for (const path of paths) {
      if (section.minRisk !== null && compareRisk(fileRisks.get(path) ?? 'critical', section.minRisk) < 0) continue;
      const rule = lastMatchingRule(section, path);
      if (rule === null || rule.owners.length === 0) continue; // no owner in this section
      ownedFiles.add(path);
      const files = filesByRule.get(rule) ?? [];
      files.push(path);
      filesByRule.set(rule, files);
    }
    const rules = [...filesByRule.keys()].sort((a, b) => a.line - b.line);
    for (const rule of rules) {
      requirements.push(await evaluateRule(section, rule, filesByRule.get(rule) ?? [], input, reviews, membership, writeAccess, notes));
    }
  }

  const unowned = paths.filter((path) => !ownedFiles.has(path));
  if (unowned.length > 0) {
    notes.push(`${unowned.length} changed file${unowned.length === 1 ? ' has' : 's have'} no owner in ${input.policyFile.path}, so the policy requires no approval for ${unowned.length === 1 ? 'it' : 'them'}: ${listFiles(unowned)}.`);
  }

  // 4. Files beyond GitHub's listing limit are unknown: a rule or risk section owning one of them would be
  // missed, so the policy cannot be satisfied (fail closed). The requirements of the listed files are kept.
  if (input.changedFilesTruncated) {
    notes.push(`${TRUNCATED_FILES_REASON.charAt(0).toUpperCase()}${TRUNCATED_FILES_REASON.slice(1)}.`);
    return { satisfied: false, source, headSha: input.headSha, errors: [], unevaluable: TRUNCATED_FILES_REASON, requirements, notes };
  }

  return {
    satisfied: requirements.every((r) => r.satisfied),
    source,
    headSha: input.headSha,
    errors: [],
    requirements,
    notes,
  };
}

interface NormalizedReview {
  id: number;
  login: string;
  state: string;
  commitId: string | null;
  time: number;
}

function normalizeReview(review: ReviewInput): NormalizedReview | null {
  const login = 'user' in review ? (review.user?.login ?? null) : review.login;
  if (login === null || login === '') return null;
  const commitId = 'user' in review ? review.commit_id : review.commitId;
  const submittedAt = 'user' in review ? review.submitted_at : review.submittedAt;
  return { id: review.id, login, state: review.state.toUpperCase(), commitId: commitId ?? null, time: timestamp(submittedAt) };
}

/** Each reviewer's deciding review, then which of them count as approvals or block. */
function summarizeReviews(input: EvaluateApprovalsInput, notes: string[]): ReviewState {
  const author = input.author.toLowerCase();
  const ordered = input.reviews
    .map(normalizeReview)
    .filter((r): r is NormalizedReview => r !== null && DECISIVE_STATES.has(r.state))
    .sort((a, b) => (a.time !== b.time ? (a.time < b.time ? -1 : 1) : a.id - b.id));
  const latest = new Map<string, ReviewerStance>();
  for (const review of ordered) {
    latest.set(review.login.toLowerCase(), { login: review.login, state: review.state, commitId: review.commitId });
  }

  const approvers: string[] = [];
  const changeRequesters: string[] = [];
  for (const [key, stance] of latest) {
    if (key === author) {
      if (stance.state !== 'DISMISSED') notes.push(`The review of ${stance.login} does not count: it is the PR author's own.`);
      continue;
    }
    if (stance.state === 'CHANGES_REQUESTED') {
      changeRequesters.push(stance.login);
    } else if (stance.state === 'APPROVED') {
      if (stance.commitId === input.headSha || input.options.carry_over) {
        approvers.push(stance.login);
      } else {
        notes.push(`The approval of ${stance.login} was given on an earlier commit (${(stance.commitId ?? 'unknown').slice(0, 7)}) and does not count for ${input.headSha.slice(0, 7)}: approvals are not carried over.`);
      }
    }
  }
  return { approvers, changeRequesters };
}

function timestamp(value: string | null | undefined): number {
  const t = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

function riskOfFiles(files: ChangedFileInput[], projectRisks: EvaluateApprovalsInput['projectRisks']): Map<string, RiskLevel> {
  const risks = new Map<string, RiskLevel>();
  for (const file of files) {
    const risk: RiskLevel = file.project === null ? 'none' : (projectRisks[file.project] ?? 'critical');
    const known = risks.get(file.path);
    if (known === undefined || compareRisk(risk, known) > 0) risks.set(file.path, risk);
  }
  return risks;
}

function noteUnknownRisks(input: EvaluateApprovalsInput, notes: string[]): void {
  const unknown = new Set<string>();
  for (const file of input.changedFiles) {
    if (file.project !== null && input.projectRisks[file.project] === undefined) unknown.add(file.project);
  }
  for (const project of unknown) {
    notes.push(`Project ${project} has no plan risk: its files are treated as critical risk, so every risk section applies to them.`);
  }
}

async function evaluateRule(
  section: PolicySection,
  rule: PolicyRule,
  files: string[],
  input: EvaluateApprovalsInput,
  reviews: ReviewState,
  membership: TeamMembership,
  writeAccess: WriteAccess,
  notes: string[],
): Promise<ApprovalRequirement> {
  const author = input.author.toLowerCase();
  const where = `${section.name === null ? '' : `[${section.name}] `}line ${rule.line} (${rule.pattern})`;
  const problems: string[] = [];

  const emails = rule.owners.filter((o) => o.kind === 'email');
  if (emails.length > 0) {
    notes.push(`Rule ${where}: email owners (${emails.map((o) => o.text).join(', ')}) cannot approve: an email has no reliable mapping to a GitHub account.`);
  }
  const approving = rule.owners.filter((o) => o.kind !== 'email');
  if (approving.length === 0) {
    problems.push('only email owners, who cannot approve: this rule can never be satisfied; name @users or @org/teams');
  } else if (approving.every((o) => o.kind === 'user')) {
    const possible = approving.filter((o) => o.kind === 'user' && o.login.toLowerCase() !== author).length;
    if (possible < section.count) {
      problems.push(`needs ${section.count} approval${section.count === 1 ? '' : 's'} but only ${possible} owner${possible === 1 ? '' : 's'} other than the PR author can approve`);
    }
  }

  const isOwner = async (login: string): Promise<boolean> => {
    const key = login.toLowerCase();
    for (const owner of approving) {
      if (owner.kind === 'user' && owner.login.toLowerCase() === key) return true;
    }
    for (const owner of approving) {
      if (owner.kind === 'team' && (await membership.has(owner, key, problems))) return true;
    }
    return false;
  };

  const approvedBy: string[] = [];
  for (const login of reviews.approvers) if ((await isOwner(login)) && (await writeAccess.has(login, problems))) approvedBy.push(login);
  // A change request blocks whatever the reviewer's access now (fail closed).
  const blockedBy: string[] = [];
  for (const login of reviews.changeRequesters) if (await isOwner(login)) blockedBy.push(login);
  // Resolve every team even when nobody from it reviewed, so an unresolvable team is reported.
  for (const owner of approving) if (owner.kind === 'team') await membership.members(owner, problems);

  const satisfied = approvedBy.length >= section.count && blockedBy.length === 0 && problems.length === 0;
  const approvedKeys = new Set(approvedBy.map((l) => l.toLowerCase()));
  const stillNeededFrom = satisfied
    ? []
    : approving
        .filter((o) => !(o.kind === 'user' && (approvedKeys.has(o.login.toLowerCase()) || o.login.toLowerCase() === author)))
        .map((o) => o.text);

  return {
    section: section.name,
    minRisk: section.minRisk,
    line: rule.line,
    pattern: rule.pattern,
    owners: rule.owners.map((o) => o.text),
    files,
    needed: section.count,
    approvedBy,
    stillNeededFrom,
    blockedBy,
    problems: dedupe(problems),
    satisfied,
  };
}

async function evaluateDefault(
  input: EvaluateApprovalsInput,
  paths: string[],
  reviews: ReviewState,
  membership: TeamMembership,
  writeAccess: WriteAccess,
  notes: string[],
): Promise<ApprovalRequirement | null> {
  const { count, from } = input.options.default;
  const describe = from === 'write' ? 'any collaborator with write access other than the author' : from.join(', ');
  if (paths.length === 0) {
    notes.push('No policy file and no changed files: nothing requires approval.');
    return null;
  }
  notes.push(`No policy file (${input.options.use_codeowners ? 'INFRAOWNERS or CODEOWNERS' : 'INFRAOWNERS'}) on the base branch: the default rule applies, ${count} approval${count === 1 ? '' : 's'} from ${describe}.`);

  const problems: string[] = [];
  let isEligible: (login: string) => Promise<boolean>;
  if (from === 'write') {
    if (!input.permissionOf) problems.push('cannot check write access: no permission resolver was given');
    const botNoted = new Set<string>();
    isEligible = async (login) => {
      const key = login.toLowerCase();
      // An app's bot account can hold write access, but an automated approval is not a human review.
      if (key.endsWith('[bot]')) {
        if (!botNoted.has(key)) notes.push(`The review of ${login} does not count: bot accounts cannot approve infrastructure changes.`);
        botNoted.add(key);
        return false;
      }
      return writeAccess.canWrite(login, problems);
    };
  } else {
    const owners = from.map((text) => toApproverOwner(text));
    isEligible = async (login) => {
      const key = login.toLowerCase();
      for (const owner of owners) {
        if (owner.kind === 'user' && owner.login.toLowerCase() === key) return true;
        if (owner.kind === 'team' && (await membership.has(owner, key, problems))) return true;
      }
      return false;
    };
  }

  const approvedBy: string[] = [];
  for (const login of reviews.approvers) {
    // `from: write` checked the access itself; a listed user or team member needs it too.
    if ((await isEligible(login)) && (from === 'write' || (await writeAccess.has(login, problems)))) approvedBy.push(login);
  }
  const blockedBy: string[] = [];
  for (const login of reviews.changeRequesters) if (await isEligible(login)) blockedBy.push(login);

  const satisfied = approvedBy.length >= count && blockedBy.length === 0 && problems.length === 0;
  const approvedKeys = new Set(approvedBy.map((l) => l.toLowerCase()));
  const author = input.author.toLowerCase();
  const stillNeededFrom = satisfied
    ? []
    : from === 'write'
      ? [describe]
      : from.filter((text) => {
          const login = text.slice(1).toLowerCase();
          return text.includes('/') || (!approvedKeys.has(login) && login !== author);
        });
  return {
    section: null,
    minRisk: null,
    line: null,
    pattern: null,
    owners: from === 'write' ? [] : [...from],
    files: paths,
    needed: count,
    approvedBy,
    stillNeededFrom,
    blockedBy,
    problems: dedupe(problems),
    satisfied,
  };
}

function toApproverOwner(text: string): Owner {
  const slash = text.indexOf('/');
  return slash === -1
    ? { kind: 'user', login: text.slice(1), text }
    : { kind: 'team', org: text.slice(1, slash), slug: text.slice(slash + 1), text };
}

/**
 * Reviewers' write access to the repository now (write, maintain or admin), each permission read once per
 * evaluation (the default rule's `from: write` and owners' approvals share the reads). An unreadable
 * permission, or no resolver, is a problem of the requirement (fail closed).
 */
class WriteAccess {
  private readonly cache = new Map<string, Promise<RepositoryPermission | Error>>();
  private readonly noted = new Set<string>();

  constructor(
    private readonly permissionOf: EvaluateApprovalsInput['permissionOf'],
    private readonly notes: string[],
  ) {}

  /** Whether `login` has write access or above. */
  async canWrite(login: string, problems: string[]): Promise<boolean> {
    const permission = await this.permission(login);
    if (permission instanceof Error) {
      problems.push(permission.message);
      return false;
    }
    return WRITE_PERMISSIONS.has(permission);
  }

  /** `canWrite` for an approving owner; one without it is named in the notes, once. */
  async has(login: string, problems: string[]): Promise<boolean> {
    if (await this.canWrite(login, problems)) return true;
    const permission = await this.permission(login);
    const key = login.toLowerCase();
    if (!(permission instanceof Error) && !this.noted.has(key)) {
      this.noted.add(key);
      this.notes.push(`The approval of ${login} does not count: ${login} has ${permission === 'none' ? 'no' : permission} access to the repository; an owner needs write access or above to approve.`);
    }
    return false;
  }

  private permission(login: string): Promise<RepositoryPermission | Error> {
    const resolve = this.permissionOf;
    if (!resolve) return Promise.resolve(new Error('cannot check write access: no permission resolver was given'));
    const key = login.toLowerCase();
    let pending = this.cache.get(key);
    if (!pending) {
      pending = resolve(login).then(
        (permission) => permission,
        (error: unknown) => new Error(`could not read the permission of ${login}: ${errorMessage(error)}`),
      );
      this.cache.set(key, pending);
    }
    return pending;
  }
}

/** Team members, resolved once per evaluation; slugs and logins compared case-insensitively. */
class TeamMembership {
  private readonly cache = new Map<string, Promise<Set<string> | Error>>();

  constructor(private readonly resolve: (org: string, teamSlug: string) => Promise<string[]>) {}

  async members(team: Owner & { kind: 'team' }, problems: string[]): Promise<Set<string>> {
    const key = `${team.org.toLowerCase()}/${team.slug.toLowerCase()}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.resolve(team.org, team.slug.toLowerCase()).then(
        (logins) => new Set(logins.map((l) => l.toLowerCase())),
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      this.cache.set(key, pending);
    }
    const result = await pending;
    if (result instanceof Error) {
      // Fail closed: a team we cannot read approves nothing, and the requirement says why.
      problems.push(`could not read the members of ${team.text}: ${errorMessage(result)}`);
      return new Set();
    }
    return result;
  }

  async has(team: Owner & { kind: 'team' }, loginKey: string, problems: string[]): Promise<boolean> {
    return (await this.members(team, problems)).has(loginKey);
  }
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.slice(0, 200) ?? '';
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

function listFiles(files: string[]): string {
  const shown = files.slice(0, MAX_LISTED_FILES).join(', ');
  return files.length > MAX_LISTED_FILES ? `${shown} and ${files.length - MAX_LISTED_FILES} more` : shown;
}
