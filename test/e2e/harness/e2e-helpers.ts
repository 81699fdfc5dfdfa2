import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GitHubDouble, PullRequestRef } from './github-double.js';
import { REPO_ROOT } from './start-app.js';

/** The IaC stand-in the built app runs instead of tofu (IAC_BINARY). */
export const STANDIN = path.join(REPO_ROOT, 'test/iac-standin/bin/tofu');

/** The hidden marker of the app's sticky plan comment, pinned here as a literal: changing it in src would orphan the comments already on open PRs. */
export const PLAN_MARKER = '<!-- infra-review:plan -->';

/** Polls `probe` every 100 ms until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One stand-in invocation as IAC_STANDIN_LOG records it. */
export interface StandinCall {
  argv: string[];
  cwd: string;
}

/** Every stand-in invocation logged so far to `logFile` (none when the file does not exist). */
export function standinCalls(logFile: string): StandinCall[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StandinCall);
}

/** A project whose state lives in `statePath` (the local backend), with one SSM parameter. */
export function project(statePath: string, value: string): string {
  return ['terraform {', '  backend "local" {', `    path = "${statePath}"`, '  }', '}', '', 'resource "aws_ssm_parameter" "release" {', `  value = "${value}"`, '  type  = "String"', '}', ''].join('\n');
}

/** The `value` of the project's one SSM parameter in the local-backend state file; undefined before the first apply. */
export function stateValue(statePath: string): string | undefined {
  if (!existsSync(statePath)) return undefined;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { resources: { instances: { attributes: { value?: string } }[] }[] };
  return state.resources[0]?.instances[0]?.attributes.value;
}

/** The newest check run named `name` on `headSha` of the repository (the app updates its runs in place). */
export function latestCheckRun(double: GitHubDouble, ref: Pick<PullRequestRef, 'owner' | 'repo'>, headSha: string, name: string): ReturnType<GitHubDouble['checkRunsFor']>[number] | undefined {
  return double
    .checkRunsFor(ref.owner, ref.repo, headSha)
    .filter((run) => run.name === name)
    .sort((a, b) => Number(b.id) - Number(a.id))[0];
}
