import path from 'node:path';
import { CONFIG_FILE } from '../config/config-schema.js';
import { parseConfig, type ParseConfigResult } from '../config/parse-config.js';
import { policyFileCandidates } from '../policy/policy-files.js';
import { plainText } from '../render/markdown-text.js';
import { fetchBranch, readFileAtCommit, withWorkspace } from '../runner/index.js';
import type { JobContext } from './job-context.js';
import type { PullRequestRef } from './job-payloads.js';

/** Larger config or policy files are not read (the limit the contents API inlined, kept for the same answers). */
export const MAX_BASE_FILE_BYTES = 1024 * 1024;

export type BaseFileProblem = 'directory' | 'too-large' | 'not-a-file';

/**
 * The path exists on the base but is not a readable regular file. Thrown (not returned as null) because
 * "missing" and "unreadable" must not be confused: a config the app cannot read is an error to show the
 * user, not an absent config.
 */
export class BaseFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: BaseFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'BaseFileError';
  }
}

/** "`.github/INFRAOWNERS` on `main` cannot be read (... is a directory, expected a file)": the file and the problem, for a check or a comment. */
export function describeBaseFileError(error: BaseFileError, baseRef: string): string {
  return `\`${error.path}\` on \`${baseRef}\` cannot be read (${plainText(error.message)})`;
}

/** The base branch's commit, fetched into a job's workspace, and its files. */
export interface BaseCommit {
  sha: string;
  /** The file's text, or null when the base has no such path; BaseFileError when it is not a readable file. */
  read(path: string): Promise<string | null>;
  /** The first of `paths` that exists (e.g. the INFRAOWNERS candidates), or null. */
  readFirst(paths: readonly string[]): Promise<PolicyFile | null>;
}

export type PolicyFile = { path: string; content: string };

/**
 * The trusted files of a decision, from one base commit: the parsed config and, when the config is valid,
 * the first policy file (INFRAOWNERS, or CODEOWNERS with `use_codeowners`), null when there is none.
 */
export interface TrustedFiles {
  config: ParseConfigResult;
  policyFile: PolicyFile | null;
}

/** `TrustedFiles` as read from a fetched base commit, with that commit. */
export interface TrustedFilesAtCommit extends TrustedFiles {
  /**
   * The base branch's tip the files were read from. A job that decides anything else about the base
   * (`/apply`'s `undiverged`) uses this commit, so that one base commit is both the rules and the base checked.
   */
  baseSha: string;
}

export interface FetchBaseCommitInput {
  cloneUrl: string;
  /** The PR's base branch (`pull_request.base.ref`): its tip now. */
  branch: string;
  token: string;
  /** The job's checkout directory (the head may be checked out there later; the base is only read from git objects). */
  dir: string;
  signal: AbortSignal;
  baseEnv: Readonly<Record<string, string | undefined>>;
}

/**
 * Config and policy come from the base branch, never from the PR head: a PR must not be able to approve
 * itself by editing INFRAOWNERS or the config. They are read from the base commit's objects over git,
 * never through the contents API: null when missing, BaseFileError for a directory, symlink, submodule or
 * a file over 1 MB.
 */
export async function fetchBaseCommit(input: FetchBaseCommitInput): Promise<BaseCommit> {
  const sha = await fetchBranch({ cloneUrl: input.cloneUrl, branch: input.branch, token: input.token, dir: input.dir, signal: input.signal, baseEnv: input.baseEnv });
  const read = async (path: string): Promise<string | null> => {
    const file = await readFileAtCommit({ dir: input.dir, sha, path, maxBytes: MAX_BASE_FILE_BYTES, baseEnv: input.baseEnv });
    switch (file.kind) {
      case 'file':
        return file.content;
      case 'missing':
        return null;
      case 'directory':
        throw new BaseFileError(path, 'directory', `${path} is a directory, expected a file`);
      case 'not-a-file':
        throw new BaseFileError(path, 'not-a-file', `${path} is a ${file.type}, expected a regular file`);
      case 'too-large':
        throw new BaseFileError(path, 'too-large', `${path} is ${file.size} bytes; files over ${MAX_BASE_FILE_BYTES} bytes are not read`);
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

/** The config (parsed, errors as values) and the policy file of a fetched base commit: the one way both are read. */
export async function readTrustedFiles(base: BaseCommit): Promise<TrustedFilesAtCommit> {
  const config = parseConfig(await base.read(CONFIG_FILE), CONFIG_FILE);
  if ('errors' in config) return { config, policyFile: null, baseSha: base.sha };
  return { config, policyFile: await base.readFirst(policyFileCandidates(config.config.approvals)), baseSha: base.sha };
}

/**
 * `readTrustedFiles` of the PR's base branch for a job that checks nothing out itself (commands, approval
 * re-evaluation): the base tip is fetched into a workspace of its own, removed afterwards. Best after the
 * job's first REST request, which has fetched the token git needs (else JobContext.installationToken makes one).
 */
export async function loadTrustedFiles(ctx: JobContext, ref: Pick<PullRequestRef, 'cloneUrl' | 'baseRef'>, signal?: AbortSignal): Promise<TrustedFilesAtCommit> {
  const token = await ctx.installationToken();
  const { settings } = ctx.services;
  return withWorkspace(
    async (workspace) =>
      readTrustedFiles(
        await fetchBaseCommit({ cloneUrl: ref.cloneUrl, branch: ref.baseRef, token, dir: workspace.repoDir, signal: signal ?? new AbortController().signal, baseEnv: settings.baseEnv }),
      ),
    { parentDir: path.join(settings.dataDir, 'workspaces') },
  );
}
