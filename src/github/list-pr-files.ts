import type { GitHubClient, RepoRef } from './repo-ref.js';

/** GitHub's "List pull request files" returns at most this many files, whatever the PR holds. */
export const MAX_PR_FILES = 3000;

export type PrFileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';

export interface PrFile {
  filename: string;
  /** Set for renames: the file's path on the base side. */
  previous_filename?: string;
  status: PrFileStatus;
}

export interface PrFileList {
  files: PrFile[];
  /**
   * True when GitHub's 3000-file cap was reached: the list may be incomplete, and callers
   * deciding "which projects changed" must fail closed (treat every project as changed, or refuse).
   */
  truncated: boolean;
}

/** All files a PR changes, paginated. */
export async function listPrFiles(octokit: GitHubClient, repo: RepoRef, prNumber: number): Promise<PrFileList> {
  const raw = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: prNumber, per_page: 100 });
  const files = raw.map((file): PrFile => ({
    filename: file.filename,
    ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
    status: file.status,
  }));
  return { files, truncated: files.length >= MAX_PR_FILES };
}
