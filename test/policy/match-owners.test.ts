import { describe, expect, it } from 'vitest';
import { lastMatchingRule, matchOwners } from '../../src/policy/match-owners.js';
import { parseOwnersPolicy } from '../../src/policy/parse-owners-policy.js';

describe('matchOwners', () => {
  it('takes the last matching rule of each section, independently', () => {
    const { policy } = parseOwnersPolicy(
      ['*       @global', '*.tf    @tf', '/apps/  @octocat', '/apps/github', '[Extra]', '/apps/github @doctocat', '*.tf @extra'].join('\n'),
      'F',
    );
    const owners = (p: string) => matchOwners(policy, p).map((m) => [m.section.name, m.rule?.line ?? null, m.rule?.owners.map((o) => o.text) ?? []]);
    expect(owners('apps/github/main.tf')).toEqual([
      [null, 4, []], // /apps/github has no owners: it wins over earlier rules and leaves the file unowned
      ['Extra', 7, ['@extra']],
    ]);
    expect(owners('apps/web/x.js')).toEqual([
      [null, 3, ['@octocat']],
      ['Extra', null, []],
    ]);
    expect(owners('src/main.tf')).toEqual([
      [null, 2, ['@tf']],
      ['Extra', 7, ['@extra']],
    ]);
    expect(owners('README.md')[0]).toEqual([null, 1, ['@global']]);
  });
});

describe('lastMatchingRule on a large policy', () => {
  it('agrees with testing every RegExp in reverse order (the startsWith shortcut loses nothing)', () => {
    const patterns = ['*', '*.tf', '/envs/', 'envs/prod', '/envs/*/main.tf', '**/modules/', 'modules/**/*.tf', '/docs/*', 'README.md', '/a b/', 'x?z', 'envs/prod/'];
    const lines: string[] = [];
    for (let i = 0; i < 240; i++) lines.push(`${(patterns[i % patterns.length] as string).replace(' ', '\\ ')} @owner${i}`);
    const { policy, errors } = parseOwnersPolicy(lines.join('\n'), 'F');
    expect(errors).toEqual([]);
    const section = policy.sections[0]!;
    const paths = [
      'main.tf', 'envs/prod/main.tf', 'envs/dev/main.tf', 'envs/prod/eu/x.yml', 'modules/vpc/main.tf', 'src/modules/a.md',
      'docs/a.md', 'docs/x/a.md', 'README.md', 'sub/README.md', 'a b/c.tf', 'xyz', 'q/xaz/f', 'envsprod/x', 'other.txt',
    ];
    for (const path of paths) {
      const brute = [...section.rules].reverse().find((rule) => rule.matcher.test(path)) ?? null;
      expect(lastMatchingRule(section, path), path).toBe(brute);
    }
  });
});
