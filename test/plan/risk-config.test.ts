import { describe, expect, it } from 'vitest';
import { riskConfigSchema } from '../../src/plan/risk-config.js';

describe('riskConfigSchema', () => {
  it('applies defaults', () => {
    expect(riskConfigSchema.parse({})).toEqual({ many_changes_threshold: 25, rules: [] });
  });

  it('accepts a full rule', () => {
    const parsed = riskConfigSchema.parse({
      many_changes_threshold: 10,
      rules: [{ type: 'aws_db_*', actions: ['update', 'import'], attribute: { path: 'tags.env', in: ['prod'] }, level: 'critical', reason: 'prod databases' }],
    });
    expect(parsed.rules[0]?.attribute?.in).toEqual(['prod']);
  });

  it.each([
    ['an unknown level', { rules: [{ type: '*', level: 'severe', reason: 'x' }] }, ['rules', 0, 'level']],
    ['an unknown action', { rules: [{ type: '*', actions: ['destroy'], level: 'high', reason: 'x' }] }, ['rules', 0, 'actions', 0]],
    ['a bad regular expression', { rules: [{ type: '*', attribute: { path: 'a', matches: '(' }, level: 'high', reason: 'x' }] }, ['rules', 0, 'attribute', 'matches']],
    ['a missing reason', { rules: [{ type: '*', level: 'high' }] }, ['rules', 0, 'reason']],
    ['a misspelt key', { rules: [{ type: '*', level: 'high', reason: 'x', action: ['create'] }] }, ['rules', 0]],
    ['a zero threshold', { many_changes_threshold: 0 }, ['many_changes_threshold']],
  ])('rejects %s with its path', (_what, input, path) => {
    const result = riskConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toContainEqual(path);
  });
});
