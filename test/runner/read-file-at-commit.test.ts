import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkoutCommit, CheckoutError, fetchBranch } from '../../src/runner/checkout-commit.js';
import { readFileAtCommit } from '../../src/runner/read-file-at-commit.js';
import { git } from './git-test-server.js';
import { useTempDirs } from './runner-test-kit.js';

/**
 * The base branch's files are read from its commit object after a shallow fetch, while the PR head is
 * checked out in the same directory: what a plan job does to read config and policy from the base.
 */
describe('fetchBranch and readFileAtCommit', () => {
  const tempDir = useTempDirs();

  /** A bare repository whose `main` holds the base files and whose `change` branch is one commit further. */
  async function baseAndHead(): Promise<{ url: string; base: string; head: string }> {
    const root = await tempDir('repo-');
    const work = path.join(root, 'work');
    await mkdir(path.join(work, '.github', 'policies'), { recursive: true });
    git(root, ['init', '--quiet', '-b', 'main', work]);
    await writeFile(path.join(work, '.github', 'infra-review.yml'), 'version: 1 # base\n');
    await writeFile(path.join(work, '.github', 'INFRAOWNERS'), '/envs/ @bob\n');
    await writeFile(path.join(work, '.github', 'policies', 'README'), 'a directory\n');
    await writeFile(path.join(work, 'big.txt'), 'x'.repeat(2048));
    await symlink('INFRAOWNERS', path.join(work, '.github', 'OWNERS-LINK'));
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', 'base']);
    const base = git(work, ['rev-parse', 'HEAD']);
    git(work, ['checkout', '--quiet', '-b', 'change']);
    // The PR rewrites the rules it would be judged by, and adds a file the base does not have.
    await writeFile(path.join(work, '.github', 'infra-review.yml'), 'version: 1 # head\n');
    await writeFile(path.join(work, '.github', 'INFRAOWNERS'), '/envs/ @mallory\n');
    await writeFile(path.join(work, 'CODEOWNERS'), '* @mallory\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', 'head']);
    const head = git(work, ['rev-parse', 'HEAD']);
    const bare = path.join(root, 'repo.git');
    git(root, ['clone', '--quiet', '--bare', '--no-single-branch', work, bare]);
    return { url: pathToFileURL(bare).href, base, head };
  }

  const read = (dir: string, sha: string, file: string, maxBytes = 1024 * 1024) => readFileAtCommit({ dir, sha, path: file, maxBytes });

  it('reads the base commit, not the head checked out in the same directory', async () => {
    const { url, base, head } = await baseAndHead();
    const dir = await tempDir('ws-');

    expect(await fetchBranch({ cloneUrl: url, branch: 'main', dir })).toBe(base);
    await checkoutCommit({ cloneUrl: url, sha: head, dir });

    expect(await readFile(path.join(dir, '.github', 'INFRAOWNERS'), 'utf8')).toBe('/envs/ @mallory\n');
    expect(await read(dir, base, '.github/INFRAOWNERS')).toStrictEqual({ kind: 'file', content: '/envs/ @bob\n' });
    expect(await read(dir, base, '.github/infra-review.yml')).toStrictEqual({ kind: 'file', content: 'version: 1 # base\n' });
    // Only in the head: missing at the base.
    expect(await read(dir, base, 'CODEOWNERS')).toStrictEqual({ kind: 'missing' });
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(head);
  });

  it('says what a path is when it is not a readable file, and treats the path as a name, never a pattern', async () => {
    const { url, base } = await baseAndHead();
    const dir = await tempDir('ws-');
    await fetchBranch({ cloneUrl: url, branch: 'main', dir });

    expect(await read(dir, base, '.github/policies')).toStrictEqual({ kind: 'directory' });
    expect(await read(dir, base, '.github/OWNERS-LINK')).toStrictEqual({ kind: 'not-a-file', type: 'symlink' });
    expect(await read(dir, base, 'big.txt', 1000)).toStrictEqual({ kind: 'too-large', size: 2048 });
    expect(await read(dir, base, '.github/*')).toStrictEqual({ kind: 'missing' });
    expect(await read(dir, base, '.github/INFRA?WNERS')).toStrictEqual({ kind: 'missing' });
    expect(await read(dir, base, 'nope/INFRAOWNERS')).toStrictEqual({ kind: 'missing' });
  });

  it('refuses a branch name that is not one, and names a branch that does not exist', async () => {
    const { url } = await baseAndHead();
    const dir = await tempDir('ws-');
    for (const branch of ['main:refs/heads/x', '-upload-pack=x', 'a..b', 'main^', '']) {
      await expect(fetchBranch({ cloneUrl: url, branch, dir })).rejects.toThrow(/not a branch name/);
    }
    const missing = fetchBranch({ cloneUrl: url, branch: 'gone', dir });
    await expect(missing).rejects.toBeInstanceOf(CheckoutError);
    await expect(missing).rejects.toThrow(/branch gone was not found/);
  });

  it('refuses an abbreviated SHA', async () => {
    await expect(readFileAtCommit({ dir: await tempDir(), sha: 'abc123', path: 'x', maxBytes: 1 })).rejects.toThrow(/not a full commit SHA/);
  });
});
