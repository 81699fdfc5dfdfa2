/** Shared helpers for the runner tests (not a test file itself). */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STANDIN_BIN = path.join(REPO_ROOT, 'test/iac-standin/bin');
export const STANDIN_TERRAFORM = path.join(STANDIN_BIN, 'terraform');
export const STANDIN_TOFU = path.join(STANDIN_BIN, 'tofu');

/** Temp dirs created through this are removed after each test of the file that calls it. */
export function useTempDirs(): (prefix?: string) => Promise<string> {
  const created: string[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix = 'runner-test-') => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    created.push(dir);
    return dir;
  };
}

/**
 * Waits up to `ms` for `pid` to be gone (or a zombie); true if it went. A process killed by a signal
 * closes its files (so its pipes report closed) a moment before the kernel marks it dead: on a busy
 * machine that moment can be seen, so a check right after a step ends must allow for it.
 */
export async function goneWithin(pid: number, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** True while a process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface StandinProject {
  /** The project directory (where .tf files and terraform.tfstate live). */
  dir: string;
  /** Where plan files and plan JSON go. */
  artifactsDir: string;
  /** JSON lines the stand-in logs for each invocation. */
  log: string;
  /** Plugin cache for this project. */
  pluginCacheDir: string;
}

export async function createStandinProject(tempDir: (prefix?: string) => Promise<string>, mainTf: string): Promise<StandinProject> {
  const root = await tempDir('standin-project-');
  const project: StandinProject = {
    dir: path.join(root, 'project'),
    artifactsDir: path.join(root, 'artifacts'),
    log: path.join(root, 'standin.log'),
    pluginCacheDir: path.join(root, 'data', 'plugin-cache'),
  };
  await mkdir(project.dir);
  await writeFile(path.join(project.dir, 'main.tf'), mainTf);
  return project;
}

export interface StandinInvocation {
  argv: string[];
  cwd: string;
  tfInAutomation: boolean;
  tfInput: string | null;
  pluginCacheDir: string | null;
}

export function readStandinLog(file: string): StandinInvocation[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StandinInvocation);
}
