import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFirstFile, readRepoFile, RepoFileError } from '../../src/github/read-repo-file.js';
import { createTestOctokit, githubScope, REPO, repoPath } from './helpers/test-octokit.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BASE = 'main';

function fileBody(path: string, text: string): Record<string, unknown> {
  const content = Buffer.from(text, 'utf8').toString('base64');
  // GitHub wraps base64 at 60 characters with newlines.
  return {
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(text),
    name: path.split('/').pop(),
    path,
    content: content.replace(/(.{60})/g, '$1\n'),
    sha: 'b'.repeat(40),
  };
}

function nockGetContent(scope: nock.Scope, path: string, status: number, body: nock.Body): nock.Scope {
  // Octokit sends the path as one URI component (`.github%2FINFRAOWNERS`); GitHub accepts it.
  return scope.get(repoPath(`/contents/${encodeURIComponent(path)}`)).query({ ref: BASE }).reply(status, body);
}

describe('readRepoFile', () => {
  it('decodes base64 content at the base ref', async () => {
    const scope = githubScope();
    const text = 'version: 1\nprojects:\n  - dir: envs/prod # ünïcode\n'.repeat(5);
    nockGetContent(scope, '.github/infra-review.yml', 200, fileBody('.github/infra-review.yml', text));

    expect(await readRepoFile(createTestOctokit(), REPO, '.github/infra-review.yml', BASE)).toBe(text);
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('returns null on 404', async () => {
    const scope = githubScope();
    nockGetContent(scope, '.github/infra-review.yml', 404, { message: 'Not Found' });

    expect(await readRepoFile(createTestOctokit(), REPO, '.github/infra-review.yml', BASE)).toBeNull();
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('throws a RepoFileError for a directory', async () => {
    const scope = githubScope();
    nockGetContent(scope, 'INFRAOWNERS', 200, [{ type: 'file', name: 'a', path: 'INFRAOWNERS/a', size: 1 }]);

    await expect(readRepoFile(createTestOctokit(), REPO, 'INFRAOWNERS', BASE)).rejects.toMatchObject({
      name: 'RepoFileError',
      problem: 'directory',
      path: 'INFRAOWNERS',
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('throws a RepoFileError for a file over 1 MB (GitHub sends no content)', async () => {
    const scope = githubScope();
    nockGetContent(scope, 'INFRAOWNERS', 200, { type: 'file', encoding: 'none', content: '', size: 2_000_000, path: 'INFRAOWNERS' });

    const error = await readRepoFile(createTestOctokit(), REPO, 'INFRAOWNERS', BASE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepoFileError);
    expect((error as RepoFileError).problem).toBe('too-large');
    expect((error as RepoFileError).message).toBe('INFRAOWNERS is 2000000 bytes; files over 1048576 bytes are not read');
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('throws a RepoFileError for a symlink or submodule', async () => {
    const scope = githubScope();
    nockGetContent(scope, 'INFRAOWNERS', 200, { type: 'symlink', target: '../x', size: 4, path: 'INFRAOWNERS' });

    await expect(readRepoFile(createTestOctokit(), REPO, 'INFRAOWNERS', BASE)).rejects.toMatchObject({
      problem: 'not-a-file',
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('propagates other errors', async () => {
    const scope = githubScope();
    nockGetContent(scope, 'INFRAOWNERS', 403, { message: 'Resource not accessible by integration' });

    await expect(readRepoFile(createTestOctokit(), REPO, 'INFRAOWNERS', BASE)).rejects.toMatchObject({ status: 403 });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});

describe('readFirstFile', () => {
  const candidates = ['.github/INFRAOWNERS', 'INFRAOWNERS', 'docs/INFRAOWNERS'];

  it('returns the first candidate that exists and stops looking', async () => {
    const scope = githubScope();
    nockGetContent(scope, '.github/INFRAOWNERS', 404, { message: 'Not Found' });
    nockGetContent(scope, 'INFRAOWNERS', 200, fileBody('INFRAOWNERS', '*.tf @acme/platform\n'));
    // docs/INFRAOWNERS is not mocked: asking for it would fail the test.

    expect(await readFirstFile(createTestOctokit(), REPO, candidates, BASE)).toStrictEqual({
      path: 'INFRAOWNERS',
      content: '*.tf @acme/platform\n',
    });
    expect(scope.pendingMocks()).toStrictEqual([]);
  });

  it('returns null when none exists', async () => {
    const scope = githubScope();
    for (const path of candidates) nockGetContent(scope, path, 404, { message: 'Not Found' });

    expect(await readFirstFile(createTestOctokit(), REPO, candidates, BASE)).toBeNull();
    expect(scope.pendingMocks()).toStrictEqual([]);
  });
});
