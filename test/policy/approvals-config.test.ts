import { describe, expect, it } from 'vitest';
import { approvalsConfigSchema, DEFAULT_APPROVALS_CONFIG } from '../../src/policy/approvals-config.js';
import { policyFileCandidates, policyFileKind, isPolicyFile } from '../../src/policy/policy-files.js';

describe('approvalsConfigSchema', () => {
  it('fills every default', () => {
    expect(DEFAULT_APPROVALS_CONFIG).toEqual({ carry_over: false, use_codeowners: false, default: { count: 1, from: 'write' } });
    expect(approvalsConfigSchema.parse({ default: { count: 2 } })).toEqual({ carry_over: false, use_codeowners: false, default: { count: 2, from: 'write' } });
  });

  it('accepts a list of users and teams', () => {
    expect(approvalsConfigSchema.parse({ default: { from: ['@alice', '@acme/sre'] } }).default.from).toEqual(['@alice', '@acme/sre']);
  });

  it.each([
    [{ carry_over: 'yes' }, ['carry_over']],
    [{ default: { count: 0 } }, ['default', 'count']],
    [{ default: { count: 1.5 } }, ['default', 'count']],
    [{ default: { from: 'admin' } }, ['default', 'from']],
    [{ default: { from: [] } }, ['default', 'from']],
    [{ default: { from: ['alice@example.com'] } }, ['default', 'from', 0]],
    [{ unknown: true }, []],
  ])('rejects %j at %j', (value, at) => {
    const result = approvalsConfigSchema.safeParse(value);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]!.path).toEqual(at);
  });
});

describe('policyFileCandidates', () => {
  it('lists INFRAOWNERS locations in order, then CODEOWNERS with use_codeowners', () => {
    expect(policyFileCandidates({})).toEqual(['.github/INFRAOWNERS', 'INFRAOWNERS', 'docs/INFRAOWNERS']);
    expect(policyFileCandidates({ use_codeowners: true })).toEqual([
      '.github/INFRAOWNERS',
      'INFRAOWNERS',
      'docs/INFRAOWNERS',
      '.github/CODEOWNERS',
      'CODEOWNERS',
      'docs/CODEOWNERS',
    ]);
  });

  it('classifies policy files', () => {
    expect(policyFileKind('docs/CODEOWNERS')).toBe('codeowners');
    expect(policyFileKind('INFRAOWNERS')).toBe('infraowners');
    expect(isPolicyFile('.github/INFRAOWNERS')).toBe(true);
    expect(isPolicyFile('src/INFRAOWNERS')).toBe(false);
  });
});
