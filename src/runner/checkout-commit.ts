import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStepEnv } from './build-step-env.js';
import { withWorkspace } from './with-workspace.js';
import type { Workspace, WithWorkspaceOptions } from './with-workspace.js';
import { redact } from './redact.js';
import { describeOutcome, lastLines, runStep } from './run-step.js';
import type { StepResult } from './run-step.js';

export class CheckoutError extends Error {
  override name = 'CheckoutError';
  constructor(
    message: string,
    /** The git step that failed, when one did. */
    readonly result?: StepResult,
  ) {
    super(message);
  }
}

export interface CheckoutCommitInput {
  /** `repository.clone_url` from the webhook payload; `file://` URLs and plain paths work too. */
  cloneUrl: string;
  /** The exact commit to check out (full SHA). */
  sha: string;
  /** The installation token; sent only as an HTTP header through the environment, never in argv or config. */
  token?: string;
  /** An empty directory (see withWorkspace). */
  dir: string;
  signal?: AbortSignal;
  /** Per git command; default 10 minutes. */
  timeoutMs?: number;
  /** Where PATH and friends come from; usually process.env. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Further values masked in error messages. */
  secrets?: readonly string[];
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MISSING_COMMIT = /not our ref|couldn't find remote ref|no such remote ref|unadvertised object|remote did not send all necessary objects|not a valid object|upload-pack: not/i;

/**
 * Fetches exactly `sha` (shallow) into `dir` and checks it out detached. Throws CheckoutError with a
 * redacted message when the URL or SHA is invalid, the commit does not exist or git fails. `dir` is an
 * empty directory, or one `fetchBranch` already used (the repository is then reused, not re-created).
 */
export async function checkoutCommit(input: CheckoutCommitInput): Promise<void> {
  const sha = input.sha.toLowerCase();
  if (!FULL_SHA.test(sha)) throw new CheckoutError(`not a full commit SHA: ${JSON.stringify(input.sha)}`);
  const git = await openRepository(input);
  await git.run('git fetch', ['fetch', '--quiet', '--depth=1', '--no-tags', '--no-recurse-submodules', 'origin', sha], (url) => `commit ${sha} was not found in ${url} (it may have been force-pushed away)`);
  await git.run('git checkout', ['checkout', '--quiet', '--detach', 'FETCH_HEAD']);
  const head = (await git.run('git rev-parse', ['rev-parse', 'HEAD'])).stdoutTail.trim();
  if (head !== sha) throw new CheckoutError(`checked out ${head} but ${sha} was asked for`);
}

/**
 * Fetches the tip of `branch` (shallow, no checkout) into `dir` and returns its commit SHA: the base
 * branch, whose files (config, policy) are then read with `readFileAtCommit` without touching the
 * working tree. `dir` is an empty directory or one this or `checkoutCommit` already used.
 */
export async function fetchBranch(input: Omit<CheckoutCommitInput, 'sha'> & { branch: string }): Promise<string> {
  // What git check-ref-format allows in a branch name, minus anything that could turn the refspec
  // into something else (`:` maps to a local ref, `^`/`~`/`*` are revision or glob syntax).
  if (!/^[A-Za-z0-9._/+@-]+$/.test(input.branch) || input.branch.startsWith('-') || input.branch.includes('..')) {
    throw new CheckoutError(`not a branch name: ${JSON.stringify(input.branch)}`);
  }
  const git = await openRepository({ ...input, sha: '' });
  await git.run('git fetch', ['fetch', '--quiet', '--depth=1', '--no-tags', '--no-recurse-submodules', 'origin', `refs/heads/${input.branch}`], (url) => `branch ${input.branch} was not found in ${url}`);
  const sha = (await git.run('git rev-parse', ['rev-parse', 'FETCH_HEAD^{commit}'])).stdoutTail.trim();
  if (!FULL_SHA.test(sha)) throw new CheckoutError(`branch ${input.branch} resolved to ${JSON.stringify(sha)}, not a commit`);
  return sha;
}

interface GitRepository {
  /** Runs one git command; throws CheckoutError when it fails (with `notFound`'s message when a fetch found nothing). */
  run(step: string, args: string[], notFound?: (url: string) => string): Promise<StepResult>;
}

/** Initialises `input.dir` as a repository with `origin` = the clone URL, unless it is one already. */
async function openRepository(input: CheckoutCommitInput): Promise<GitRepository> {
  const url = normaliseCloneUrl(input.cloneUrl);
  const secrets = [...(input.token ? [input.token] : []), ...(input.secrets ?? [])];
  const shownUrl = redact(displayUrl(url), secrets);
  const env = buildGitEnv({ url, token: input.token, baseEnv: input.baseEnv });
  const options = { cwd: input.dir, env, timeoutMs: input.timeoutMs ?? 600_000, secrets, tailBytes: 64 * 1024, killGraceMs: 2_000 };
  const signalOption = input.signal ? { signal: input.signal } : {};

  const run = async (step: string, args: string[], notFound?: (url: string) => string): Promise<StepResult> => {
    const result = await runStep({ step, command: 'git', args }, { ...options, ...signalOption });
    if (result.exitCode === 0) return result;
    const detail = lastLines(result.stderrTail || result.error || '', 10);
    if (notFound && result.exitCode !== null && MISSING_COMMIT.test(result.stderrTail)) {
      throw new CheckoutError(`${notFound(shownUrl)}\n${detail}`, result);
    }
    throw new CheckoutError(`${step} ${describeOutcome(result)} for ${shownUrl}${detail ? `\n${detail}` : ''}`, result);
  };

  if (!existsSync(path.join(input.dir, '.git'))) {
    // An empty template dir: no sample hooks, nothing from the host's git installation.
    await run('git init', ['init', '--quiet', '--template=', '.']);
    await run('git remote', ['remote', 'add', 'origin', url]);
  }
  return { run };
}

/**
 * A fresh workspace with `sha` checked out in `workspace.repoDir`; removed after `fn`, whatever happens.
 */
export async function withCheckout<T>(
  input: Omit<CheckoutCommitInput, 'dir'> & WithWorkspaceOptions,
  fn: (workspace: Workspace) => Promise<T>,
): Promise<T> {
  const { parentDir, ...checkout } = input;
  return withWorkspace(
    async (workspace) => {
      await checkoutCommit({ ...checkout, dir: workspace.repoDir });
      return fn(workspace);
    },
    parentDir !== undefined ? { parentDir } : {},
  );
}

/** Accepts http(s):// and file:// URLs and filesystem paths (turned into file:// so --depth applies). */
export function normaliseCloneUrl(cloneUrl: string): string {
  const trimmed = cloneUrl.trim();
  if (trimmed === '' || trimmed.startsWith('-')) throw new CheckoutError(`not a clone URL: ${JSON.stringify(displayUrl(trimmed))}`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (trimmed.includes('::')) throw new CheckoutError(`unsupported clone URL: ${JSON.stringify(trimmed)}`);
    return pathToFileURL(path.resolve(trimmed)).href;
  }
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'file') {
    throw new CheckoutError(`unsupported clone URL scheme "${scheme}": use https://, http:// or file://`);
  }
  return trimmed;
}

/** The URL without any user:password part, for messages. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export interface GitEnvInput {
  url: string;
  token?: string;
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment for git: no system or global config, no prompts, and the token as an
 * `http.<origin>/.extraHeader` set through GIT_CONFIG_* variables, so it is neither on a command line
 * nor in the workspace's .git/config, and is only sent to the clone URL's host.
 */
export function buildGitEnv(input: GitEnvInput): Record<string, string> {
  const { env } = buildStepEnv(input.baseEnv ? { baseEnv: input.baseEnv } : {});
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_CONFIG_GLOBAL = '/dev/null';
  env.GCM_INTERACTIVE = 'never';
  const config: Array<[string, string]> = [
    ['core.hooksPath', '/dev/null'],
    ['advice.detachedHead', 'false'],
    // Credential helpers could otherwise store or offer credentials.
    ['credential.helper', ''],
  ];
  if (input.token) {
    const origin = httpOrigin(input.url);
    if (origin !== undefined) {
      const basic = Buffer.from(`x-access-token:${input.token}`, 'utf8').toString('base64');
      config.push([`http.${origin}/.extraHeader`, `Authorization: Basic ${basic}`]);
    }
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

function httpOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return undefined;
  }
}
