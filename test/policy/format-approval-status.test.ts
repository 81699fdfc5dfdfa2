import { describe, expect, it } from 'vitest';
import type { ApprovalEvaluation, ApprovalRequirement } from '../../src/policy/approval-evaluation.js';
import { approvalOutcome } from '../../src/policy/approval-evaluation.js';
import { buildApprovalSummary, buildApprovalTable, escapeText, formatApprovalStatusLine } from '../../src/policy/format-approval-status.js';

function requirement(overrides: Partial<ApprovalRequirement> = {}): ApprovalRequirement {
  return {
    section: null,
    minRisk: null,
    line: 3,
    pattern: '/envs/prod/',
    owners: ['@acme/sre'],
    files: ['envs/prod/main.tf'],
    needed: 1,
    approvedBy: [],
    stillNeededFrom: ['@acme/sre'],
    blockedBy: [],
    problems: [],
    satisfied: false,
    ...overrides,
  };
}

function evaluation(requirements: ApprovalRequirement[], overrides: Partial<ApprovalEvaluation> = {}): ApprovalEvaluation {
  return {
    satisfied: requirements.every((r) => r.satisfied),
    source: { kind: 'infraowners', path: '.github/INFRAOWNERS' },
    headSha: 'a'.repeat(40),
    errors: [],
    requirements,
    notes: [],
    ...overrides,
  };
}

describe('formatApprovalStatusLine', () => {
  it('says how many requirements are met when satisfied', () => {
    expect(formatApprovalStatusLine(evaluation([requirement({ satisfied: true, approvedBy: ['sam'], stillNeededFrom: [] })]))).toBe(
      '✅ **Approvals:** 1 of 1 requirement met.',
    );
  });

  it('names who is still needed, in code spans so nobody is mentioned', () => {
    const line = formatApprovalStatusLine(
      evaluation([requirement({ section: 'Production', needed: 2, approvedBy: ['sam'], stillNeededFrom: ['@acme/sre', '@alice'] }), requirement({ satisfied: true })]),
    );
    expect(line).toBe('⏳ **Approvals:** 1 of 2 requirements met; Production `/envs/prod/` (line 3): 1 more from `@acme/sre`, `@alice`.');
    expect(line).not.toContain('\n');
  });

  it('shows change requests and invalid policies as failures', () => {
    expect(formatApprovalStatusLine(evaluation([requirement({ blockedBy: ['bob'] })]))).toMatch(/^❌ .*changes requested by `bob`/);
    const invalid = evaluation([], { satisfied: false, errors: [{ file: '.github/INFRAOWNERS', line: 2, message: 'bad' }] });
    expect(formatApprovalStatusLine(invalid)).toBe('❌ **Approvals:** `.github/INFRAOWNERS` is invalid (1 error); nothing can be approved until it is fixed.');
  });

  it('gives the reason, not a count of requirements met, when the policy cannot be evaluated (more files than GitHub lists)', () => {
    const reason = 'this PR changes 3,000 files or more; GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR';
    const cut = evaluation([requirement({ satisfied: true, approvedBy: ['sam'], stillNeededFrom: [] })], { satisfied: false, unevaluable: reason });
    expect(formatApprovalStatusLine(cut)).toBe(`❌ **Approvals:** ${reason}.`);
    expect(approvalOutcome(cut)).toBe('unevaluable');
  });

  it('labels the default rule', () => {
    const line = formatApprovalStatusLine(
      evaluation([requirement({ line: null, pattern: null, owners: [], stillNeededFrom: ['any collaborator with write access other than the author'] })], {
        source: { kind: 'default', path: null },
      }),
    );
    expect(line).toMatch(/^⏳ \*\*Approvals:\*\* 0 of 1 requirement met \(default rule: no policy file\); default rule: 1 more from/);
  });
});

describe('buildApprovalTable', () => {
  it('has one row per requirement with section, rule and line, needed, approved by, still needed from', () => {
    const table = buildApprovalTable(
      evaluation([
        requirement({ section: 'Production', needed: 2, approvedBy: ['sam'], stillNeededFrom: ['@acme/sre'] }),
        requirement({ line: 7, pattern: '*.tf', satisfied: true, approvedBy: ['pat'], stillNeededFrom: [] }),
      ]),
    );
    expect(table.split('\n')).toEqual([
      '| | Section | Rule | Needed | Approved by | Still needed from |',
      '|---|---|---|---|---|---|',
      '| ⏳ | Production | `/envs/prod/` (line 3) | 2 | `sam` | `@acme/sre` |',
      '| ✅ | (default section) | `*.tf` (line 7) | 1 | `pat` | — |',
    ]);
  });

  it('escapes untrusted text so it cannot break the table or inject markup', () => {
    const table = buildApprovalTable(
      evaluation([requirement({ section: 'Prod | <img src=x> [x](y)\nnext', pattern: 'a|b`c', problems: ['could not read @acme/x: <b>boom</b> | x'] })]),
    );
    const row = table.split('\n')[2]!;
    expect(table.split('\n')).toHaveLength(3);
    // every literal pipe inside a cell is escaped: the row still has exactly 7 unescaped separators
    expect(row.match(/(?<!\\)\|/g)).toHaveLength(7);
    expect(row).not.toMatch(/<img|<b>/);
    expect(row).toContain('Prod \\| &lt;img src=x&gt; \\[x\\]\\(y\\) next');
    expect(row).toContain('``a\\|b`c``');
    expect(row).toContain('@\u200bacme/x');
  });

  it('shows blockers and problems in the still-needed column', () => {
    const table = buildApprovalTable(evaluation([requirement({ blockedBy: ['bob'], problems: ['only email owners, who cannot approve'] })]));
    expect(table).toContain('| ❌ | (default section) | `/envs/prod/` (line 3) | 1 | — | changes requested by `bob`; only email owners, who cannot approve |');
  });
});

describe('buildApprovalSummary', () => {
  it('lists every policy error with file and line instead of a table', () => {
    const summary = buildApprovalSummary(
      evaluation([], {
        satisfied: false,
        errors: [
          { file: '.github/INFRAOWNERS', line: 2, message: 'bad owner' },
          { file: '.github/INFRAOWNERS', line: 5, message: 'bad header' },
        ],
      }),
    );
    expect(summary).toContain('- `.github/INFRAOWNERS:2: bad owner`');
    expect(summary).toContain('- `.github/INFRAOWNERS:5: bad header`');
    expect(summary).not.toContain('| Section |');
  });

  it('adds notes after the table', () => {
    const summary = buildApprovalSummary(evaluation([requirement()], { notes: ['The approval of sam was given on an earlier commit'] }));
    expect(summary.indexOf('| Section |')).toBeLessThan(summary.indexOf('- The approval of sam'));
  });
});

describe('escapeText', () => {
  it('defuses mentions and markdown', () => {
    expect(escapeText('@alice *bold* `x`')).toBe('@\u200balice \\*bold\\* \\`x\\`');
  });
});

describe('approvalOutcome', () => {
  it('classifies satisfied, pending, blocked and invalid evaluations', () => {
    expect(approvalOutcome(evaluation([requirement({ satisfied: true })]))).toBe('satisfied');
    expect(approvalOutcome(evaluation([requirement()]))).toBe('pending');
    expect(approvalOutcome(evaluation([requirement({ blockedBy: ['bob'] })]))).toBe('blocked');
    expect(approvalOutcome(evaluation([requirement({ problems: ['only email owners'] })]))).toBe('blocked');
    expect(approvalOutcome(evaluation([], { satisfied: false, errors: [{ file: 'F', line: 1, message: 'x' }] }))).toBe('invalid_policy');
  });
});
