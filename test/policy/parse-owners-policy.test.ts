import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPolicyError } from '../../src/policy/owners-policy.js';
import { parseOwnersPolicy } from '../../src/policy/parse-owners-policy.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/policies');

function errorsOf(text: string): Array<[number, string]> {
  return parseOwnersPolicy(text, 'INFRAOWNERS').errors.map((e) => [e.line, e.message]);
}

describe('parseOwnersPolicy', () => {
  it('parses rules, sections, counts and risk headers of a valid policy', () => {
    const { policy, errors } = parseOwnersPolicy(readFileSync(path.join(FIXTURES, 'valid.INFRAOWNERS'), 'utf8'), 'valid.INFRAOWNERS');
    expect(errors).toEqual([]);
    expect(policy.sections.map((s) => [s.name, s.line, s.count, s.minRisk, s.rules.map((r) => r.line)])).toEqual([
      [null, null, 1, null, [2, 3, 4]],
      ['Production', 7, 2, null, [8, 9]],
      ['risk:high', 12, 1, 'high', [13]],
      ['risk:critical', 14, 2, 'critical', [15, 16]],
    ]);
    const defaults = policy.sections[0]!;
    expect(defaults.rules[1]!.owners).toEqual([{ kind: 'team', org: 'acme', slug: 'sre', text: '@acme/sre' }]); // trailing comment dropped
    expect(defaults.rules[2]!.owners).toEqual([{ kind: 'email', email: 'docs@example.com', text: 'docs@example.com' }]);
    expect(policy.sections[1]!.rules[1]!.owners).toEqual([]); // a rule without owners
    expect(policy.sections[3]!.rules[1]!.pattern).toBe('modules/with\\ space/');
  });

  it('puts rules before any header into the unnamed section', () => {
    const { policy } = parseOwnersPolicy('[A]\n*.tf @a\n', 'F');
    expect(policy.sections.map((s) => s.name)).toEqual(['A']);
    const withDefault = parseOwnersPolicy('*.md @docs\n[A]\n*.tf @a\n', 'F').policy;
    expect(withDefault.sections.map((s) => s.name)).toEqual([null, 'A']);
  });

  it('accepts user, team (any slug case) and email owners, and ignores whole-line and trailing comments', () => {
    const { policy, errors } = parseOwnersPolicy(
      '# comment\n   # indented comment\n\n*.tf @alice @Acme/Platform-Team ops@example.com # why: platform\n',
      'F',
    );
    expect(errors).toEqual([]);
    expect(policy.sections[0]!.rules[0]!.owners.map((o) => o.kind)).toEqual(['user', 'team', 'email']);
  });

  it('handles CRLF line endings and a BOM without shifting line numbers', () => {
    const { policy, errors } = parseOwnersPolicy('\uFEFF# c\r\n*.tf @alice\r\nbad owner\r\n', 'F');
    expect(errors.map((e) => e.line)).toEqual([3]);
    expect(policy.sections[0]!.rules[0]!.line).toBe(2);
  });

  it('normalises risk headers and merges same-named sections', () => {
    const { policy, errors } = parseOwnersPolicy('[Risk: HIGH]\n* @a\n[prod]\nx/ @b\n[PROD]\ny/ @c\n', 'F');
    expect(errors).toEqual([]);
    expect(policy.sections.map((s) => [s.name, s.minRisk, s.rules.length])).toEqual([
      ['risk:high', 'high', 1],
      ['prod', null, 2],
    ]);
  });

  it('reports every problem at once, each with its line number', () => {
    const { errors } = parseOwnersPolicy(readFileSync(path.join(FIXTURES, 'invalid.INFRAOWNERS'), 'utf8'), 'invalid.INFRAOWNERS');
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(formatPolicyError(errors[0]!)).toBe('invalid.INFRAOWNERS:2: negation (`!`) is not supported in CODEOWNERS patterns: "!secrets/"');
  });

  it.each([
    ['*.tf acme-sre', /"acme-sre" is not an owner/],
    ['*.tf @', /"@" is not an owner/],
    ['*.tf @acme/', /"@acme\/" is not an owner/],
    ['*.tf @-alice', /is not an owner/],
    ['*.tf alice@', /is not an owner/],
    ['[Prod', /malformed section header/],
    ['[Prod]]', /malformed section header|unexpected/],
    ['[]', /empty name/],
    ['[Prod][0]', /not a positive integer/],
    ['[Prod][-1]', /not a positive integer/],
    ['[Prod][1.5]', /not a positive integer/],
    ['[Prod][x]', /not a positive integer/],
    ['[Prod][]', /not a positive integer/],
    ['[risk:extreme]', /unknown risk level "extreme"/],
    ['[risk:none]', /unknown risk level "none"/],
    ['[risk:]', /unknown risk level/],
    ['^[Optional]', /optional sections/],
    ['[Prod] @alice', /section default owners are not supported/],
    ['!secrets/ @a', /negation/],
    ['src/[ab]/ @a', /character ranges/],
    ['\\#notes @a', /escaping `#`/],
  ])('%s -> error on line 2', (line, message) => {
    const errors = errorsOf(`*.tf @ok\n${line}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(2);
    expect(errors[0]![1]).toMatch(message);
  });

  it('rejects a section redeclared with a different count, naming the first line', () => {
    expect(errorsOf('[Prod][2]\nx/ @a\n[Prod][3]\ny/ @b\n')).toEqual([
      [3, 'section [Prod] was declared on line 1 with 2 approval(s); it cannot require 3 here'],
    ]);
  });

  it('allows a trailing comment after a header', () => {
    const { policy, errors } = parseOwnersPolicy('[Prod][2] # two approvals\n* @a\n', 'F');
    expect(errors).toEqual([]);
    expect(policy.sections[0]!.count).toBe(2);
  });
});
