import type { GitHubClient, RepoRef } from './repo-ref.js';
import type { PrFile } from './list-pr-files.js';

/** The compare API lists at most this many files for the whole comparison. */
export const MAX_COMPARE_FILES = 300;

export interface CommitComparison {
  /** `ahead`, `behind`, `diverged` or `identical`, as seen from `base`. */
  status: string;
  aheadBy: number;
  behindBy: number;
  files: PrFile[];
  /**
   * True when GitHub's 300-file cap was reached: the list may be incomplete and a caller
   * asking "did the base change anything that matters" must assume it did.
   */
  truncated: boolean;
}

/**
 * Files changed between two commits (`base...head`: from their merge base to `head`), for
 * "the base branch moved since the plan". GitHub returns the file list on the first page
 * only (later pages carry more commits, not more files), so one request gets every file
 * GitHub will give; beyond 300 files we report truncation instead of guessing.
 */
export async function compareCommits(
  octokit: GitHubClient,
  repo: RepoRef,
  baseSha: string,
  headSha: string,
): Promise<CommitComparison> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    ...repo,
    basehead: `${baseSha}...${headSha}`,
    // No paging parameters: the file list lives on the first page whatever they are, and
    // leaving them out keeps GitHub's documented default behaviour.
  });
  const files = (data.files ?? []).map((file): PrFile => ({
    filename: file.filename,
    ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
    status: file.status,
  }));
  return {
    status: data.status,
    aheadBy: data.ahead_by,
    behindBy: data.behind_by,
    files,
    truncated: files.length >= MAX_COMPARE_FILES,
  };
}
