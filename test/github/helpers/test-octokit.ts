import nock from 'nock';
import { ProbotOctokit } from 'probot';
import type { GitHubClient, RepoRef } from '../../../src/github/repo-ref.js';

export const API = 'https://api.github.com';
export const REPO: RepoRef = { owner: 'acme', repo: 'infra' };
export const APP = { id: 4242, slug: 'infra-review' };
export const BOT_LOGIN = 'infra-review[bot]';

const TestOctokit = ProbotOctokit.defaults((options: object) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

export interface CapturedLog {
  warnings: string[];
  log: { debug(): void; info(): void; warn(message: string): void; error(): void };
}

export function captureLog(): CapturedLog {
  const warnings: string[] = [];
  return {
    warnings,
    log: { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} },
  };
}

/** An installation-token client as Probot builds it, minus retries and throttling. */
export function createTestOctokit(log: CapturedLog['log'] = captureLog().log): GitHubClient {
  return new TestOctokit({ auth: { token: 'test-installation-token' }, log });
}

export function githubScope(): nock.Scope {
  return nock(API);
}

export function repoPath(suffix: string): string {
  return `/repos/${REPO.owner}/${REPO.repo}${suffix}`;
}
