import { MAX_INLINE_FILE_BYTES, RepoFileError } from '../github/read-repo-file.js';
import { fetchBranch, readFileAtCommit } from '../runner/index.js';

/** The base branch's commit, fetched into a job's workspace, and its files. */
export interface BaseCommit {
  sha: string;
  /** The file's text, or null when the base has no such path; RepoFileError when it is not a readable file. */
  read(path: string): Promise<string | null>;
  /** The first of `paths` that exists (e.g. the INFRAOWNERS candidates), or null. */
  readFirst(paths: readonly string[]): Promise<{ path: string; content: string } | null>;
}

export interface FetchBaseCommitInput {
  cloneUrl: string;
  /** The PR's base branch (`pull_request.base.ref`): its tip now, as the contents API would read it. */
  branch: string;
  token: string;
  /** The job's checkout directory (the head is checked out there later; the base is only read from git objects). */
  dir: string;
  signal: AbortSignal;
  baseEnv: Readonly<Record<string, string | undefined>>;
}

/**
 * Config and policy come from the base branch, never from the PR head: a PR must not be able to approve
 * itself by editing INFRAOWNERS or the config. They are read from the base commit's objects over git,
 * which the job fetches anyway, instead of one contents-API request per file. Same answers as
 * `readRepoFile`: null when missing, RepoFileError for a directory, symlink, submodule or a file over 1 MB.
 */
export async function fetchBaseCommit(input: FetchBaseCommitInput): Promise<BaseCommit> {
  const sha = await fetchBranch({ cloneUrl: input.cloneUrl, branch: input.branch, token: input.token, dir: input.dir, signal: input.signal, baseEnv: input.baseEnv });
  const read = async (path: string): Promise<string | null> => {
    const file = await readFileAtCommit({ dir: input.dir, sha, path, maxBytes: MAX_INLINE_FILE_BYTES, baseEnv: input.baseEnv });
    switch (file.kind) {
      case 'file':
        return file.content;
      case 'missing':
        return null;
      case 'directory':
        throw new RepoFileError(path, 'directory', `${path} is a directory, expected a file`);
      case 'not-a-file':
        throw new RepoFileError(path, 'not-a-file', `${path} is a ${file.type}, expected a regular file`);
      case 'too-large':
        throw new RepoFileError(path, 'too-large', `${path} is ${file.size} bytes; files over ${MAX_INLINE_FILE_BYTES} bytes are not read`);
    }
  };
  return {
    sha,
    read,
    readFirst: async (paths) => {
      for (const path of paths) {
        const content = await read(path);
        if (content !== null) return { path, content };
      }
      return null;
    },
  };
}
