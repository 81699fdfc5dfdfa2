import { hasHttpStatus } from './http-status.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

/** The contents API inlines a file's content only up to this size. */
export const MAX_INLINE_FILE_BYTES = 1024 * 1024;

export type RepoFileProblem = 'directory' | 'too-large' | 'not-a-file';

/**
 * The path exists but is not a readable regular file. Thrown (not returned as null) because
 * "missing" and "unreadable" must not be confused: a config the app cannot read is an
 * error to show the user, not an absent config.
 */
export class RepoFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: RepoFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RepoFileError';
  }
}

/**
 * A file's text at `baseRef`, or null when it does not exist there. Config and policy are
 * read from the PR's base ref, never its head: a PR must not be able to rewrite the rules it
 * is judged by. Prefer the base SHA (`pull_request.base.sha`) to the branch name, so the
 * config and the policy read for one decision come from the same commit.
 */
export async function readRepoFile(
  octokit: GitHubClient,
  repo: RepoRef,
  path: string,
  baseRef: string,
): Promise<string | null> {
  let data;
  try {
    ({ data } = await octokit.rest.repos.getContent({ ...repo, path, ref: baseRef }));
  } catch (error) {
    if (hasHttpStatus(error, 404)) return null;
    throw error;
  }
  if (Array.isArray(data)) {
    throw new RepoFileError(path, 'directory', `${path} is a directory, expected a file`);
  }
  if (data.type !== 'file') {
    throw new RepoFileError(path, 'not-a-file', `${path} is a ${data.type}, expected a regular file`);
  }
  // Files over 1 MB come back with empty content and encoding "none".
  if (data.size > MAX_INLINE_FILE_BYTES || ('encoding' in data && data.encoding === 'none')) {
    throw new RepoFileError(
      path,
      'too-large',
      `${path} is ${data.size} bytes; files over ${MAX_INLINE_FILE_BYTES} bytes are not read`,
    );
  }
  if (!('content' in data) || typeof data.content !== 'string') {
    throw new RepoFileError(path, 'not-a-file', `${path} has no content in the API response`);
  }
  return Buffer.from(data.content, 'base64').toString('utf8');
}

/** The first of `paths` that exists at `baseRef` (e.g. INFRAOWNERS candidates), or null. */
export async function readFirstFile(
  octokit: GitHubClient,
  repo: RepoRef,
  paths: readonly string[],
  baseRef: string,
): Promise<{ path: string; content: string } | null> {
  for (const path of paths) {
    const content = await readRepoFile(octokit, repo, path, baseRef);
    if (content !== null) return { path, content };
  }
  return null;
}
