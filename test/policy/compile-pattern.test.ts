import { describe, expect, it } from 'vitest';
import { compilePattern, normalizePath } from '../../src/policy/compile-pattern.js';

/**
 * The matching table. Cases come from GitHub's "About code owners" examples (docs/*, apps/, /docs/,
 * **\/logs, /build/logs/, *.js, case sensitivity) and gitignore's PATTERN FORMAT rules (slash anchoring,
 * trailing slash, leading/trailing/middle `**`, `*` and `?` within a segment, backslash escapes).
 */
const table: Array<[pattern: string, path: string, matches: boolean]> = [
  // `*` alone matches everything (GitHub: default owners)
  ['*', 'main.tf', true],
  ['*', 'envs/prod/main.tf', true],
  ['*', '.github/workflows/ci.yml', true],
  // extension patterns match at any depth (GitHub: `*.js @js-owner`)
  ['*.js', 'app.js', true],
  ['*.js', 'src/deep/app.js', true],
  ['*.js', 'app.jsx', false],
  ['*.js', 'app.JS', false], // case-sensitive
  ['*.tf', 'modules/vpc/main.tf', true],
  ['*.tf', 'main.tf.json', false],
  ['*.tf', 'modules/x.tf/inner.txt', true], // a directory named *.tf: everything under it
  // a name without slash matches a file or directory at any depth
  ['foo', 'foo', true],
  ['foo', 'bar/foo', true],
  ['foo', 'foo/bar', true],
  ['foo', 'bar/foo/baz', true],
  ['foo', 'foo.txt', false],
  ['foo', 'bar/foofoo', false],
  ['Makefile', 'makefile', false], // case-sensitive
  // trailing slash: a directory and everything under it, at any depth (GitHub: `apps/`)
  ['apps/', 'apps/web/index.ts', true],
  ['apps/', 'apps/a', true],
  ['apps/', 'src/apps/a.ts', true],
  ['apps/', 'apps', false], // a file named apps is not a directory
  ['apps/', 'myapps/a.ts', false],
  // leading slash anchors at the root (GitHub: `/docs/`)
  ['/docs/', 'docs/guide.md', true],
  ['/docs/', 'docs/a/b/c.md', true],
  ['/docs/', 'src/docs/guide.md', false],
  ['/build/logs/', 'build/logs/today.log', true],
  ['/build/logs/', 'build/logs/2024/jan.log', true],
  ['/build/logs/', 'x/build/logs/a.log', false],
  ['/main.tf', 'main.tf', true],
  ['/main.tf', 'envs/main.tf', false],
  ['/envs', 'envs/prod/main.tf', true], // names a directory without trailing slash: everything under it
  ['/envs', 'envsx/main.tf', false],
  // a slash in the middle anchors at the root too (gitignore)
  ['envs/prod', 'envs/prod/main.tf', true],
  ['envs/prod', 'other/envs/prod/main.tf', false],
  ['envs/prod', 'envs/production/main.tf', false],
  ['doc/frotz/', 'doc/frotz/a.txt', true],
  ['doc/frotz/', 'a/doc/frotz/a.txt', false],
  // `docs/*`: direct children only (GitHub's example)
  ['docs/*', 'docs/getting-started.md', true],
  ['docs/*', 'docs/build-app/troubleshooting.md', false],
  ['docs/*', 'docs', false],
  ['docs/*', 'x/docs/a.md', false],
  ['/*', 'README.md', true],
  ['/*', 'envs/main.tf', false],
  // `*` stays within one segment
  ['docs/*.md', 'docs/a.md', true],
  ['docs/*.md', 'docs/x/a.md', false],
  ['envs/*/main.tf', 'envs/prod/main.tf', true],
  ['envs/*/main.tf', 'envs/prod/eu/main.tf', false],
  ['envs/*/main.tf', 'envs/main.tf', false],
  // `?` is one character within a segment
  ['env?.tf', 'env1.tf', true],
  ['env?.tf', 'env.tf', false],
  ['env?.tf', 'env12.tf', false],
  ['a?b', 'a/b', false],
  // leading `**/` matches in all directories (GitHub: `**/logs`)
  ['**/logs', 'logs/a.log', true],
  ['**/logs', 'build/logs/a.log', true],
  ['**/logs', 'deeply/nested/logs/a.log', true],
  ['**/logs', 'build/logsx/a.log', false],
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'x/y/foo/bar', true],
  ['**/foo/bar', 'foo/x/bar', false],
  // trailing `/**` matches everything inside, not the directory entry itself
  ['abc/**', 'abc/a', true],
  ['abc/**', 'abc/a/b/c', true],
  ['abc/**', 'abc', false],
  ['abc/**', 'x/abc/a', false],
  // `/**/` in the middle matches zero or more directories
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/b', true],
  ['a/**/b', 'a/x/y/b', true],
  ['a/**/b', 'a/x/y/b/c.tf', true],
  ['a/**/b', 'a/xb', false],
  ['a/**/b', 'x/a/b', false],
  ['modules/**/*.tf', 'modules/vpc/main.tf', true],
  ['modules/**/*.tf', 'modules/main.tf', true],
  ['modules/**/*.tf', 'modules/vpc/readme.md', false],
  // `**` alone matches everything
  ['**', 'a/b/c', true],
  // escaped space (`\ `) and escaped wildcard are literal
  ['my\\ dir/', 'my dir/a.tf', true],
  ['my\\ dir/', 'my/a.tf', false],
  ['f\\*o', 'f*o', true],
  ['f\\*o', 'foo', false],
  // regex metacharacters in names are literal
  ['a+b.(x)', 'a+b.(x)', true],
  ['a+b.(x)', 'aab.(x)', false],
  ['v1.0', 'v1x0', false],
];

describe('compilePattern: GitHub CODEOWNERS / gitignore matching table', () => {
  it('has at least 60 cases', () => {
    expect(table.length).toBeGreaterThanOrEqual(60);
  });

  it.each(table)('%s vs %s -> %s', (pattern, path, expected) => {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    expect(compiled.matcher.test(path)).toBe(expected);
    // the startsWith shortcut the matcher takes must never reject a path the RegExp accepts
    if (expected) expect(path.startsWith(compiled.literalPrefix)).toBe(true);
  });

  it.each([
    ['/envs/prod/', 'envs/prod/'],
    ['envs/*/main.tf', 'envs/'],
    ['/envs', 'envs'],
    ['a/**/b', 'a/'],
    ['my\\ dir/x', 'my dir/x'],
    ['*.tf', ''],
    ['apps/', ''],
    ['**/logs', ''],
    ['/*', ''],
  ])('literal prefix of %s is %j', (pattern, prefix) => {
    const compiled = compilePattern(pattern);
    expect(compiled.ok && compiled.literalPrefix).toBe(prefix);
  });
});

describe('compilePattern: patterns GitHub rejects', () => {
  it.each([
    ['!secrets/', /negation/],
    ['src/[ab]/', /character ranges/],
    ['\\#notes', /escaping `#`/],
    ['trailing\\', /lone backslash/],
    ['/', /"\/" alone/],
    ['a//b', /empty path segment/],
  ])('%s is an error', (pattern, message) => {
    const compiled = compilePattern(pattern);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors.join('\n')).toMatch(message);
  });
});

describe('normalizePath', () => {
  it('drops a leading ./ or / and a trailing slash', () => {
    expect(normalizePath('./envs/prod/main.tf')).toBe('envs/prod/main.tf');
    expect(normalizePath('/envs/prod/')).toBe('envs/prod');
  });
});
