import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGitEnv, checkoutCommit, CheckoutError, normaliseCloneUrl } from '../../src/runner/checkout-commit.js';
import { findExecutable } from '../../src/runner/resolve-iac-binary.js';
import { withWorkspace } from '../../src/runner/with-workspace.js';
import { createBareRepo, git, startGitHttpServer } from './git-test-server.js';
import type { GitHttpServer } from './git-test-server.js';
import { useTempDirs } from './runner-test-kit.js';

const TOKEN = 'ghs_testInstallationToken0123456789abcdef';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const VERSIONS: Array<Record<string, string>> = [{ 'main.tf': 'resource "null_instance" "a" { size = 1 }\n' }, { 'main.tf': 'resource "null_instance" "a" { size = 2 }\n', 'extra.tf': '' }];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('checkoutCommit', () => {
  const tempDir = useTempDirs();
  const servers: GitHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A `git` first on PATH that logs its argv to a file, then runs the real git. */
  async function loggingGit(): Promise<{ PATH: string; log: string }> {
    const dir = await tempDir('fake-git-');
    const realGit = findExecutable('git', process.env.PATH ?? '');
    const log = path.join(dir, 'argv.log');
    await writeFile(path.join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    await chmod(path.join(dir, 'git'), 0o755);
    return { PATH: `${dir}:${process.env.PATH ?? ''}`, log };
  }

  it('checks out exactly the given (older) commit, shallow, from a file:// URL', async () => {
    const repo = await createBareRepo(await tempDir(), VERSIONS);
    const dir = await tempDir('checkout-');
    const sha = repo.commits[0] ?? '';
    await checkoutCommit({ cloneUrl: pathToFileURL(repo.bare).href, sha, dir });
    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(sha);
    expect(git(dir, ['rev-list', '--count', 'HEAD'])).toBe('1');
    expect(await exists(path.join(dir, '.git', 'shallow'))).toBe(true);
    expect(await readFile(path.join(dir, 'main.tf'), 'utf8')).toContain('size = 1');
    expect(await exists(path.join(dir, 'extra.tf'))).toBe(false);
  });

  it('accepts a plain path as clone URL', async () => {
    const repo = await createBareRepo(await tempDir(), VERSIONS);
    const dir = await tempDir('checkout-');
    await checkoutCommit({ cloneUrl: repo.bare, sha: repo.commits[1] ?? '', dir });
    expect(await readFile(path.join(dir, 'main.tf'), 'utf8')).toContain('size = 2');
    expect(git(dir, ['rev-list', '--count', 'HEAD'])).toBe('1');
  });

  it('fails clearly when the commit does not exist', async () => {
    const repo = await createBareRepo(await tempDir(), VERSIONS);
    const missing = 'deadbeef'.repeat(5);
    const attempt = checkoutCommit({ cloneUrl: pathToFileURL(repo.bare).href, sha: missing, dir: await tempDir('checkout-') });
    await expect(attempt).rejects.toBeInstanceOf(CheckoutError);
    await expect(attempt).rejects.toThrow(`commit ${missing} was not found in file://`);
  });

  it('rejects abbreviated SHAs and unsupported URLs before running git', async () => {
    const dir = await tempDir('checkout-');
    await expect(checkoutCommit({ cloneUrl: '/tmp/x', sha: 'abc123', dir })).rejects.toThrow(/not a full commit SHA/);
    await expect(checkoutCommit({ cloneUrl: 'ext::sh -c touch% /tmp/pwned', sha: 'a'.repeat(40), dir })).rejects.toThrow(/unsupported clone URL/);
    await expect(checkoutCommit({ cloneUrl: 'ssh://git@github.com/o/r.git', sha: 'a'.repeat(40), dir })).rejects.toThrow(/unsupported clone URL scheme "ssh"/);
    await expect(checkoutCommit({ cloneUrl: '--upload-pack=touch /tmp/pwned', sha: 'a'.repeat(40), dir })).rejects.toThrow(/not a clone URL/);
    expect(await exists(path.join(dir, '.git'))).toBe(false);
    expect(normaliseCloneUrl('https://github.com/o/r.git')).toBe('https://github.com/o/r.git');
  });

  it('authenticates over smart HTTP with the token only in the environment: not in argv, not in .git/config', async () => {
    const root = await tempDir();
    const repo = await createBareRepo(root, VERSIONS);
    const server = await startGitHttpServer(root, TOKEN);
    servers.push(server);
    const fakeGit = await loggingGit();
    const dir = await tempDir('checkout-');
    const sha = repo.commits[0] ?? '';
    await checkoutCommit({ cloneUrl: `${server.url}/owner/repo.git`, sha, token: TOKEN, dir, baseEnv: { PATH: fakeGit.PATH, HOME: process.env.HOME } });

    expect(git(dir, ['rev-parse', 'HEAD'])).toBe(sha);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((request) => request.authorization === `Basic ${BASIC}`)).toBe(true);
    const config = await readFile(path.join(dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(BASIC);
    expect(config).toContain(`${server.url}/owner/repo.git`);
    const argv = await readFile(fakeGit.log, 'utf8');
    expect(argv).toContain(`fetch --quiet --depth=1 --no-tags --no-recurse-submodules origin ${sha}`);
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(BASIC);
  });

  it('fails without leaking anything when the server refuses the token', async () => {
    const root = await tempDir();
    const repo = await createBareRepo(root, VERSIONS);
    const server = await startGitHttpServer(root, 'the-right-token-0000');
    servers.push(server);
    const attempt = checkoutCommit({ cloneUrl: `${server.url}/owner/repo.git`, sha: repo.commits[0] ?? '', token: TOKEN, dir: await tempDir('checkout-') });
    const error = await attempt.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CheckoutError);
    const message = (error as Error).message;
    expect(message).toMatch(/^git fetch exited with code 128 for http:\/\/127\.0\.0\.1:\d+\/owner\/repo\.git/);
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain(BASIC);
  });

  it('redacts the token and its base64 form from git error output', async () => {
    // A git that prints its secrets and fails: what a verbose or buggy helper could do.
    const dir = await tempDir('fake-git-');
    const realGit = findExecutable('git', process.env.PATH ?? '') ?? '/usr/bin/git';
    await writeFile(
      path.join(dir, 'git'),
      `#!/bin/sh\nif [ "$1" = fetch ]; then echo "fatal: header was $GIT_CONFIG_VALUE_3" >&2; exit 128; fi\nexec '${realGit}' "$@"\n`,
    );
    await chmod(path.join(dir, 'git'), 0o755);
    const realGitDir = path.dirname(realGit);
    const attempt = checkoutCommit({
      cloneUrl: 'https://github.com/owner/repo.git',
      sha: 'a'.repeat(40),
      token: TOKEN,
      dir: await tempDir('checkout-'),
      baseEnv: { PATH: `${dir}:${realGitDir}` },
    });
    const error = (await attempt.then(
      () => undefined,
      (caught: unknown) => caught,
    )) as CheckoutError;
    expect(error.message).toContain('fatal: header was Authorization: Basic ***');
    expect(error.message).not.toContain(BASIC);
    expect(error.result?.stderrTail).not.toContain(BASIC);
  });

  it('builds a git environment without global config or prompts, with the header scoped to the clone host', () => {
    const env = buildGitEnv({ url: 'https://github.com/o/r.git', token: TOKEN, baseEnv: { PATH: '/usr/bin', HOME: '/home/app', GIT_DIR: '/elsewhere', GIT_TRACE: '1' } });
    expect(env).toMatchObject({ PATH: '/usr/bin', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
    expect(env.GIT_DIR).toBeUndefined();
    expect(env.GIT_TRACE).toBeUndefined();
    const count = Number(env.GIT_CONFIG_COUNT);
    const pairs = Array.from({ length: count }, (_, index) => [env[`GIT_CONFIG_KEY_${index}`], env[`GIT_CONFIG_VALUE_${index}`]]);
    expect(pairs).toContainEqual(['http.https://github.com/.extraHeader', `Authorization: Basic ${BASIC}`]);
    expect(buildGitEnv({ url: 'file:///tmp/r.git', token: TOKEN }).GIT_CONFIG_COUNT).toBe(String(count - 1));
  });
});

describe('withWorkspace', () => {
  const tempDir = useTempDirs();

  it('removes the workspace after success', async () => {
    const parentDir = await tempDir();
    const seen = await withWorkspace(async (workspace) => {
      await writeFile(path.join(workspace.repoDir, 'f'), 'x');
      await mkdir(path.join(workspace.artifactsDir, 'nested'));
      return workspace.root;
    }, { parentDir });
    expect(seen.startsWith(parentDir)).toBe(true);
    expect(await exists(seen)).toBe(false);
  });

  it('removes the workspace when the job throws', async () => {
    const parentDir = await tempDir();
    let root = '';
    await expect(
      withWorkspace(async (workspace) => {
        root = workspace.root;
        await writeFile(path.join(workspace.repoDir, 'f'), 'x');
        throw new Error('job failed');
      }, { parentDir }),
    ).rejects.toThrow('job failed');
    expect(root).not.toBe('');
    expect(await exists(root)).toBe(false);
  });
});
