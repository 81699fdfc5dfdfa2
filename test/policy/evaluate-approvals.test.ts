import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EvaluateApprovalsInput, RepositoryPermission, ReviewInput } from '../../src/policy/approval-evaluation.js';
import { approvalsConfigSchema, type ApprovalsConfigInput } from '../../src/policy/approvals-config.js';
import { evaluateApprovals } from '../../src/policy/evaluate-approvals.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

const TEAMS: Record<string, string[]> = {
  'acme/sre': ['Sam', 'sue'],
  'acme/security': ['sec1', 'sec2'],
  'acme/platform': ['pat'],
};

let nextId = 1;
function review(login: string | null, state: string, options: { sha?: string; at?: string; id?: number } = {}): ReviewInput {
  const id = options.id ?? nextId++;
  return {
    id,
    user: login === null ? null : { login },
    state,
    commit_id: options.sha ?? HEAD,
    submitted_at: options.at ?? `2026-01-01T00:00:${String(id % 60).padStart(2, '0')}Z`,
  };
}

function input(overrides: Partial<EvaluateApprovalsInput> & { policy?: string | null; config?: ApprovalsConfigInput } = {}): EvaluateApprovalsInput {
  const { policy, config, ...rest } = overrides;
  return {
    policyFile: policy === null ? null : { path: '.github/INFRAOWNERS', content: policy ?? '*.tf @acme/sre\n' },
    changedFiles: [{ path: 'envs/prod/main.tf', project: 'prod' }],
    projectRisks: { prod: 'low' },
    reviews: [],
    author: 'author',
    headSha: HEAD,
    options: approvalsConfigSchema.parse(config ?? {}),
    teamMembers: async (org, slug) => {
      const members = TEAMS[`${org.toLowerCase()}/${slug}`];
      if (!members) throw new Error(`Not Found: team ${org}/${slug}`);
      return members;
    },
    // Every reviewer has write access unless a test says otherwise.
    permissionOf: async () => 'write',
    ...rest,
  };
}

describe('evaluateApprovals: reviews', () => {
  it('is satisfied by one approval on the head SHA from a member of the owning team (logins case-insensitive)', async () => {
    const result = await evaluateApprovals(input({ reviews: [review('sam', 'APPROVED')] }));
    expect(result.satisfied).toBe(true);
    expect(result.source).toEqual({ kind: 'infraowners', path: '.github/INFRAOWNERS' });
    expect(result.requirements).toMatchObject([{ section: null, line: 1, pattern: '*.tf', needed: 1, approvedBy: ['sam'], stillNeededFrom: [], satisfied: true }]);
  });

  it('is not satisfied without approvals and says who can still approve', async () => {
    const result = await evaluateApprovals(input({ reviews: [review('outsider', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]).toMatchObject({ approvedBy: [], stillNeededFrom: ['@acme/sre'], blockedBy: [] });
  });

  it('ignores the PR author approving their own PR', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf @author @bob\n', reviews: [review('Author', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.approvedBy).toEqual([]);
    expect(result.requirements[0]!.stillNeededFrom).toEqual(['@bob']);
    expect(result.notes.join('\n')).toMatch(/Author does not count: it is the PR author's own/);
  });

  it("ignores an approval given on an earlier commit unless carry_over is on", async () => {
    const reviews = [review('sam', 'APPROVED', { sha: OLD })];
    const strict = await evaluateApprovals(input({ reviews }));
    expect(strict.satisfied).toBe(false);
    expect(strict.notes.join('\n')).toMatch(/sam was given on an earlier commit \(bbbbbbb\)/);
    const carried = await evaluateApprovals(input({ reviews, config: { carry_over: true } }));
    expect(carried.satisfied).toBe(true);
  });

  it("counts only the reviewer's latest decisive review (by submitted_at, then id)", async () => {
    const approvedThenChanges = [
      review('sam', 'APPROVED', { at: '2026-01-01T10:00:00Z' }),
      review('sam', 'CHANGES_REQUESTED', { at: '2026-01-01T11:00:00Z' }),
    ];
    const blocked = await evaluateApprovals(input({ reviews: approvedThenChanges }));
    expect(blocked.satisfied).toBe(false);
    expect(blocked.requirements[0]!.blockedBy).toEqual(['sam']);

    // same order given reversed in the array: submitted_at decides, not array order
    const changesThenApproved = [
      review('sam', 'APPROVED', { at: '2026-01-01T12:00:00Z' }),
      review('sam', 'CHANGES_REQUESTED', { at: '2026-01-01T11:00:00Z' }),
    ];
    expect((await evaluateApprovals(input({ reviews: changesThenApproved }))).satisfied).toBe(true);

    // equal timestamps: the higher id is later
    const tie = [review('sam', 'CHANGES_REQUESTED', { at: '2026-01-01T11:00:00Z', id: 900 }), review('sam', 'APPROVED', { at: '2026-01-01T11:00:00Z', id: 901 })];
    expect((await evaluateApprovals(input({ reviews: tie }))).satisfied).toBe(true);
  });

  it('keeps an approval when the same reviewer later only comments', async () => {
    const reviews = [review('sam', 'APPROVED', { at: '2026-01-01T10:00:00Z' }), review('sam', 'COMMENTED', { at: '2026-01-01T11:00:00Z' })];
    expect((await evaluateApprovals(input({ reviews }))).satisfied).toBe(true);
  });

  it('drops an approval that was dismissed, and ignores pending and ghost-user reviews', async () => {
    const reviews = [
      review('sam', 'APPROVED', { at: '2026-01-01T10:00:00Z' }),
      review('sam', 'DISMISSED', { at: '2026-01-01T11:00:00Z' }),
      review('sue', 'PENDING'),
      review(null, 'APPROVED'),
    ];
    const result = await evaluateApprovals(input({ reviews }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.approvedBy).toEqual([]);
  });

  it('lets a change request from an owner block even with enough approvals, until it is dismissed', async () => {
    const blocked = await evaluateApprovals(
      input({ policy: '*.tf @acme/sre @bob\n', reviews: [review('bob', 'APPROVED'), review('sue', 'CHANGES_REQUESTED', { sha: OLD })] }),
    );
    expect(blocked.satisfied).toBe(false);
    expect(blocked.requirements[0]).toMatchObject({ approvedBy: ['bob'], blockedBy: ['sue'] });

    const dismissed = await evaluateApprovals(
      input({
        policy: '*.tf @acme/sre @bob\n',
        reviews: [review('bob', 'APPROVED'), review('sue', 'CHANGES_REQUESTED', { at: '2026-01-01T10:00:00Z' }), review('sue', 'DISMISSED', { at: '2026-01-01T10:05:00Z' })],
      }),
    );
    expect(dismissed.satisfied).toBe(true);
  });

  it('ignores a change request from someone who owns nothing matched', async () => {
    const result = await evaluateApprovals(input({ reviews: [review('sam', 'APPROVED'), review('outsider', 'CHANGES_REQUESTED')] }));
    expect(result.satisfied).toBe(true);
  });
});

describe('evaluateApprovals: owners and counts', () => {
  it('resolves teams with case-insensitive slugs and caches each team once', async () => {
    const calls: string[] = [];
    const result = await evaluateApprovals(
      input({
        policy: '*.tf @ACME/SRE\n/envs/ @acme/Sre\n[B]\n*.tf @Acme/sre\n',
        reviews: [review('SUE', 'APPROVED')],
        teamMembers: async (org, slug) => {
          calls.push(`${org}/${slug}`);
          return TEAMS[`${org.toLowerCase()}/${slug.toLowerCase()}`] ?? [];
        },
      }),
    );
    expect(result.satisfied).toBe(true);
    expect(result.requirements.map((r) => r.approvedBy)).toEqual([['SUE'], ['SUE']]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.split('/')[1]).toBe('sre');
  });

  it('needs N distinct approvals per matched rule from a [Section][N]', async () => {
    const policy = '[Production][2]\n/envs/prod/ @acme/sre @alice\n';
    const one = await evaluateApprovals(input({ policy, reviews: [review('sam', 'APPROVED'), review('sam', 'APPROVED')] }));
    expect(one.satisfied).toBe(false);
    expect(one.requirements[0]).toMatchObject({ section: 'Production', needed: 2, approvedBy: ['sam'], stillNeededFrom: ['@acme/sre', '@alice'] });
    const two = await evaluateApprovals(input({ policy, reviews: [review('sam', 'APPROVED'), review('alice', 'APPROVED')] }));
    expect(two.satisfied).toBe(true);
    expect(two.requirements[0]!.approvedBy).toEqual(['sam', 'alice']);
  });

  it('counts each distinct matched rule separately, and the same approval can serve several rules', async () => {
    const policy = '*.tf @acme/platform\n/envs/ @acme/sre\n/modules/ @acme/sre @pat\n';
    const files = [
      { path: 'envs/prod/main.tf', project: 'prod' },
      { path: 'modules/vpc/main.tf', project: 'prod' },
      { path: 'other/x.tf', project: null },
    ];
    const partial = await evaluateApprovals(input({ policy, changedFiles: files, reviews: [review('sam', 'APPROVED')] }));
    expect(partial.requirements.map((r) => [r.line, r.files, r.satisfied])).toEqual([
      [1, ['other/x.tf'], false],
      [2, ['envs/prod/main.tf'], true],
      [3, ['modules/vpc/main.tf'], true],
    ]);
    expect(partial.satisfied).toBe(false);
    const full = await evaluateApprovals(input({ policy, changedFiles: files, reviews: [review('sam', 'APPROVED'), review('pat', 'APPROVED')] }));
    expect(full.satisfied).toBe(true);
  });

  it('evaluates each section on its own: every section with a matching rule must be met', async () => {
    const policy = '*.tf @acme/platform\n[Security]\n*.tf @acme/security\n';
    const onlyPlatform = await evaluateApprovals(input({ policy, reviews: [review('pat', 'APPROVED')] }));
    expect(onlyPlatform.requirements.map((r) => [r.section, r.satisfied])).toEqual([
      [null, true],
      ['Security', false],
    ]);
    expect(onlyPlatform.satisfied).toBe(false);
  });

  it('needs no approval for a file whose last matching rule has no owners, and says so', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf @acme/sre\n/envs/prod/main.tf\n' }));
    expect(result.satisfied).toBe(true);
    expect(result.requirements).toEqual([]);
    expect(result.notes.join('\n')).toMatch(/1 changed file has no owner in \.github\/INFRAOWNERS.*envs\/prod\/main\.tf/);
  });

  it('can never satisfy a rule whose only owners are emails (fail closed), and notes that emails cannot approve', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf ops@example.com\n', reviews: [review('sam', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.problems.join('\n')).toMatch(/only email owners/);
    expect(result.notes.join('\n')).toMatch(/email owners \(ops@example\.com\) cannot approve/);
  });

  it('lets the non-email owners of a mixed rule approve', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf ops@example.com @bob\n', reviews: [review('bob', 'APPROVED')] }));
    expect(result.satisfied).toBe(true);
    expect(result.notes.join('\n')).toMatch(/cannot approve/);
  });

  it('reports a rule that needs more approvals than its user owners (minus the author) can give', async () => {
    const result = await evaluateApprovals(input({ policy: '[Two][2]\n*.tf @author @bob\n', reviews: [review('bob', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.problems).toEqual(['needs 2 approvals but only 1 owner other than the PR author can approve']);
  });

  it('fails closed when a team cannot be resolved', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf @acme/ghosts @bob\n', reviews: [review('bob', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.problems.join('\n')).toMatch(/could not read the members of @acme\/ghosts: Not Found/);
  });
});

describe('evaluateApprovals: owners need write access to approve', () => {
  // As on GitHub, where a code owner without write access cannot approve: an INFRAOWNERS entry or a
  // team membership outlives a downgrade to read (or an outside collaborator's removal from a public
  // repository, where anyone may submit a review), and such an approval must not unlock /apply.
  const levels: Record<string, RepositoryPermission> = { bob: 'read', sam: 'triage', sue: 'write', carol: 'maintain' };
  const permissionOf = async (login: string): Promise<RepositoryPermission> => levels[login.toLowerCase()] ?? 'none';

  it('does not count an approval from a named owner or a team member without write access, and says why', async () => {
    const reviews = [review('bob', 'APPROVED'), review('Sam', 'APPROVED')];
    const result = await evaluateApprovals(input({ policy: '*.tf @bob @acme/sre\n', permissionOf, reviews }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]).toMatchObject({ approvedBy: [], stillNeededFrom: ['@bob', '@acme/sre'] });
    expect(result.notes.join('\n')).toMatch(/approval of bob does not count: bob has read access to the repository; an owner needs write access or above to approve/);
    expect(result.notes.join('\n')).toMatch(/approval of Sam does not count: Sam has triage access/);

    const writers = await evaluateApprovals(input({ policy: '[Two][2]\n*.tf @carol @acme/sre\n', permissionOf, reviews: [review('carol', 'APPROVED'), review('sue', 'APPROVED')] }));
    expect(writers.satisfied).toBe(true);
    expect(writers.requirements[0]!.approvedBy).toEqual(['carol', 'sue']);
  });

  it('fails closed when the permission of an approving owner cannot be read, or there is no resolver', async () => {
    const failing = async (login: string): Promise<RepositoryPermission> => {
      throw new Error(`HTTP 502 reading ${login}`);
    };
    const broken = await evaluateApprovals(input({ permissionOf: failing, reviews: [review('sue', 'APPROVED')] }));
    expect(broken.satisfied).toBe(false);
    expect(broken.requirements[0]!.problems).toEqual(['could not read the permission of sue: HTTP 502 reading sue']);
    const none = await evaluateApprovals(input({ permissionOf: undefined, reviews: [review('sue', 'APPROVED')] }));
    expect(none.satisfied).toBe(false);
    expect(none.requirements[0]!.problems).toEqual(['cannot check write access: no permission resolver was given']);
  });

  it('applies to a configured default list of users and teams too', async () => {
    const config = { default: { from: ['@acme/sre', '@bob'] } };
    const readers = await evaluateApprovals(input({ policy: null, config, permissionOf, reviews: [review('bob', 'APPROVED'), review('sam', 'APPROVED')] }));
    expect(readers.satisfied).toBe(false);
    expect(readers.requirements[0]!.approvedBy).toEqual([]);
    const writer = await evaluateApprovals(input({ policy: null, config, permissionOf, reviews: [review('sue', 'APPROVED')] }));
    expect(writer.satisfied).toBe(true);
  });
});

describe('evaluateApprovals: risk sections', () => {
  const policy = '*.tf @acme/platform\n[risk:high]\n* @acme/sre\n[risk:critical][2]\n* @acme/sre @acme/security\n';

  it('does not apply a risk section to projects below its level', async () => {
    const result = await evaluateApprovals(input({ policy, projectRisks: { prod: 'medium' }, reviews: [review('pat', 'APPROVED')] }));
    expect(result.requirements.map((r) => r.section)).toEqual([null]);
    expect(result.satisfied).toBe(true);
  });

  it('applies every risk section at or below the plan risk', async () => {
    const high = await evaluateApprovals(input({ policy, projectRisks: { prod: 'high' }, reviews: [review('pat', 'APPROVED')] }));
    expect(high.requirements.map((r) => [r.section, r.satisfied])).toEqual([
      [null, true],
      ['risk:high', false],
    ]);
    const critical = await evaluateApprovals(
      input({ policy, projectRisks: { prod: 'critical' }, reviews: [review('pat', 'APPROVED'), review('sam', 'APPROVED'), review('sec1', 'APPROVED')] }),
    );
    expect(critical.requirements.map((r) => [r.section, r.needed, r.approvedBy])).toEqual([
      [null, 1, ['pat']],
      ['risk:high', 1, ['sam']],
      ['risk:critical', 2, ['sam', 'sec1']],
    ]);
    expect(critical.satisfied).toBe(true);
  });

  it('applies risk sections per file, by the risk of its own project', async () => {
    const result = await evaluateApprovals(
      input({
        policy,
        changedFiles: [
          { path: 'envs/dev/main.tf', project: 'dev' },
          { path: 'envs/prod/main.tf', project: 'prod' },
          { path: 'README.md', project: null },
        ],
        projectRisks: { dev: 'none', prod: 'high' },
      }),
    );
    const riskHigh = result.requirements.find((r) => r.section === 'risk:high');
    expect(riskHigh?.files).toEqual(['envs/prod/main.tf']);
  });

  it('treats a project without a plan risk as critical (fail closed)', async () => {
    const result = await evaluateApprovals(input({ policy, projectRisks: {} }));
    expect(result.requirements.map((r) => r.section)).toEqual([null, 'risk:high', 'risk:critical']);
    expect(result.notes.join('\n')).toMatch(/Project prod has no plan risk/);
  });
});

describe('evaluateApprovals: no policy file', () => {
  const permissions: Record<string, RepositoryPermission> = { writer: 'write', admin: 'admin', reader: 'read', author: 'admin' };
  const permissionOf = async (login: string) => permissions[login.toLowerCase()] ?? 'none';

  it('applies the default: one approval from a collaborator with write access other than the author', async () => {
    const reader = await evaluateApprovals(input({ policy: null, permissionOf, reviews: [review('reader', 'APPROVED'), review('author', 'APPROVED')] }));
    expect(reader.satisfied).toBe(false);
    expect(reader.source).toEqual({ kind: 'default', path: null });
    expect(reader.requirements[0]).toMatchObject({ section: null, line: null, needed: 1, approvedBy: [], stillNeededFrom: ['any collaborator with write access other than the author'] });
    expect(reader.notes.join('\n')).toMatch(/default rule applies, 1 approval from any collaborator with write access/);

    const writer = await evaluateApprovals(input({ policy: null, permissionOf, reviews: [review('Writer', 'APPROVED')] }));
    expect(writer.satisfied).toBe(true);
    expect(writer.requirements[0]!.approvedBy).toEqual(['Writer']);
  });

  it('honours a configured count and a blocking change request from a writer', async () => {
    const config = { default: { count: 2 } };
    const one = await evaluateApprovals(input({ policy: null, config, permissionOf, reviews: [review('writer', 'APPROVED')] }));
    expect(one.satisfied).toBe(false);
    const two = await evaluateApprovals(input({ policy: null, config, permissionOf, reviews: [review('writer', 'APPROVED'), review('admin', 'APPROVED')] }));
    expect(two.satisfied).toBe(true);
    const blocked = await evaluateApprovals(input({ policy: null, permissionOf, reviews: [review('writer', 'APPROVED'), review('admin', 'CHANGES_REQUESTED')] }));
    expect(blocked.requirements[0]!.blockedBy).toEqual(['admin']);
    expect(blocked.satisfied).toBe(false);
  });

  it('does not count an approval from a bot account even with write access', async () => {
    const botPermission = async (login: string) => (login === 'deploy-bot[bot]' ? 'write' : permissionOf(login));
    const result = await evaluateApprovals(input({ policy: null, permissionOf: botPermission, reviews: [review('deploy-bot[bot]', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.notes.join('\n')).toMatch(/deploy-bot\[bot\] does not count: bot accounts cannot approve/);
  });

  it('fails closed without a permission resolver', async () => {
    const result = await evaluateApprovals(input({ policy: null, permissionOf: undefined, reviews: [review('writer', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements[0]!.problems).toEqual(['cannot check write access: no permission resolver was given']);
  });

  it('accepts a configured list of users and teams instead of write access', async () => {
    const config = { default: { from: ['@acme/sre', '@bob'] } };
    const outsider = await evaluateApprovals(input({ policy: null, config, reviews: [review('writer', 'APPROVED')] }));
    expect(outsider.satisfied).toBe(false);
    expect(outsider.requirements[0]!.stillNeededFrom).toEqual(['@acme/sre', '@bob']);
    const member = await evaluateApprovals(input({ policy: null, config, reviews: [review('sue', 'APPROVED')] }));
    expect(member.satisfied).toBe(true);
  });
});

describe('evaluateApprovals: more changed files than GitHub lists', () => {
  const REASON = 'this PR changes 3,000 files or more; GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR';
  // The listed files are documentation nobody owns; a file of envs/prod beyond the listing would need @acme/sre.
  const listed = Array.from({ length: 3000 }, (_, index) => ({ path: `docs/page-${index}.md`, project: null }));
  const policy = '/envs/prod/ @acme/sre\n[risk:high]\n* @acme/security\n';

  it('shows the fail-open it prevents: on the listed files alone the policy asks for nothing', async () => {
    expect((await evaluateApprovals(input({ policy, changedFiles: listed, projectRisks: {} }))).satisfied).toBe(true);
  });

  it('can never be satisfied when the list is truncated, whatever approvals there are, and says why', async () => {
    const reviews = [review('sam', 'APPROVED'), review('sec1', 'APPROVED')];
    const result = await evaluateApprovals(input({ policy, changedFiles: listed, projectRisks: {}, changedFilesTruncated: true, reviews }));
    expect(result.satisfied).toBe(false);
    expect(result.unevaluable).toBe(REASON);
    expect(result.notes.join('\n')).toContain('GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR.');
    // Known files still get their requirements (an owner can see the rest of what the policy asks).
    const owned = await evaluateApprovals(input({ changedFiles: [{ path: 'envs/prod/main.tf', project: 'prod' }], changedFilesTruncated: true, reviews }));
    expect(owned.satisfied).toBe(false);
    expect(owned.requirements).toMatchObject([{ pattern: '*.tf', satisfied: true }]);
    expect(owned.unevaluable).toBe(REASON);
  });

  it('fails closed with a CODEOWNERS fallback too, and keeps an invalid policy reported as invalid', async () => {
    const codeowners = await evaluateApprovals(input({ policyFile: { path: '.github/CODEOWNERS', content: '* @bob\n' }, changedFilesTruncated: true, reviews: [review('bob', 'APPROVED')] }));
    expect(codeowners).toMatchObject({ satisfied: false, unevaluable: REASON });
    const invalid = await evaluateApprovals(input({ policy: '[risk:extreme]\n* @bob\n', changedFilesTruncated: true }));
    expect(invalid.satisfied).toBe(false);
    expect(invalid.errors.length).toBeGreaterThan(0);
  });

  it('still evaluates the default rule without a policy file: it asks the same of every changed file, listed or not', async () => {
    const permissionOf = async (login: string): Promise<RepositoryPermission> => (login === 'writer' ? 'write' : 'none');
    const waiting = await evaluateApprovals(input({ policy: null, permissionOf, changedFiles: listed, changedFilesTruncated: true }));
    expect(waiting.satisfied).toBe(false);
    expect(waiting.unevaluable).toBeUndefined();
    const approved = await evaluateApprovals(input({ policy: null, permissionOf, changedFiles: listed, changedFilesTruncated: true, reviews: [review('writer', 'APPROVED')] }));
    expect(approved.satisfied).toBe(true);
    expect(approved.notes.join('\n')).toContain('GitHub lists no more than 3,000');
  });
});

describe('evaluateApprovals: invalid policy', () => {
  it('fails closed and lists every error with its line', async () => {
    const result = await evaluateApprovals(input({ policy: '*.tf @acme/sre\n!x/ @a\n[Prod][0]\n', reviews: [review('sam', 'APPROVED')] }));
    expect(result.satisfied).toBe(false);
    expect(result.requirements).toEqual([]);
    expect(result.errors.map((e) => [e.file, e.line])).toEqual([
      ['.github/INFRAOWNERS', 2],
      ['.github/INFRAOWNERS', 3],
    ]);
  });
});

describe('evaluateApprovals: CODEOWNERS and policy changes', () => {
  it('reports a CODEOWNERS source and notes when the PR changes a policy file', async () => {
    const result = await evaluateApprovals(
      input({
        policyFile: { path: '.github/CODEOWNERS', content: '* @acme/sre\n' },
        changedFiles: [
          { path: 'envs/prod/main.tf', project: 'prod' },
          { path: '.github/INFRAOWNERS', project: null },
        ],
        reviews: [review('sam', 'APPROVED')],
        config: { use_codeowners: true },
      }),
    );
    expect(result.source).toEqual({ kind: 'codeowners', path: '.github/CODEOWNERS' });
    expect(result.satisfied).toBe(true);
    expect(result.notes.join('\n')).toMatch(/This PR changes \.github\/INFRAOWNERS: the change takes effect after merge/);
  });
});

describe('evaluateApprovals: files shared by several projects', () => {
  it('takes the highest risk of the projects that list a file, and counts the file once', async () => {
    const result = await evaluateApprovals(
      input({
        policy: '*.tf @acme/platform\n[risk:high]\n* @acme/sre\n',
        changedFiles: [
          { path: 'modules/vpc/main.tf', project: 'dev' },
          { path: 'modules/vpc/main.tf', project: 'prod' },
        ],
        projectRisks: { dev: 'low', prod: 'high' },
      }),
    );
    expect(result.requirements.map((r) => [r.section, r.files])).toEqual([
      [null, ['modules/vpc/main.tf']],
      ['risk:high', ['modules/vpc/main.tf']],
    ]);
  });
});

describe('evaluateApprovals: review shapes', () => {
  it('accepts the flat review shape of src/github/list-reviews.ts as well as the REST one', async () => {
    const flat = [
      { id: 1, login: 'sam', state: 'CHANGES_REQUESTED', commitId: HEAD, submittedAt: '2026-01-01T10:00:00Z' },
      { id: 2, login: 'sam', state: 'APPROVED', commitId: HEAD, submittedAt: '2026-01-01T11:00:00Z' },
      { id: 3, login: null, state: 'CHANGES_REQUESTED', commitId: HEAD, submittedAt: '2026-01-01T12:00:00Z' },
    ];
    const result = await evaluateApprovals(input({ reviews: flat }));
    expect(result.satisfied).toBe(true);
    expect(result.requirements[0]!.approvedBy).toEqual(['sam']);
    const stale = await evaluateApprovals(input({ reviews: [{ id: 4, login: 'sam', state: 'APPROVED', commitId: OLD, submittedAt: null }] }));
    expect(stale.satisfied).toBe(false);
  });
});

describe('evaluateApprovals: the documented example policy', () => {
  const content = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/policies/valid.INFRAOWNERS'), 'utf8');
  const base = {
    policyFile: { path: '.github/INFRAOWNERS', content },
    changedFiles: [{ path: 'envs/prod/main.tf', project: 'prod' }],
    projectRisks: { prod: 'critical' as const },
  };

  it('needs the production pair and a security approval for a critical production change', async () => {
    const without = await evaluateApprovals(input({ ...base, reviews: [review('sam', 'APPROVED'), review('alice', 'APPROVED')] }));
    expect(without.requirements.map((r) => [r.section, r.line, r.needed, r.approvedBy, r.satisfied])).toEqual([
      [null, 3, 1, ['sam'], true],
      ['Production', 8, 2, ['sam', 'alice'], true],
      ['risk:high', 13, 1, ['sam'], true],
      ['risk:critical', 15, 2, ['sam'], false],
    ]);
    expect(without.satisfied).toBe(false);
    const withSecurity = await evaluateApprovals(input({ ...base, reviews: [review('sam', 'APPROVED'), review('alice', 'APPROVED'), review('sec2', 'APPROVED')] }));
    expect(withSecurity.satisfied).toBe(true);
  });
});
