import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** An isolated directory tree for one job. */
export interface Workspace {
  /** The temporary directory; removed when the job ends. */
  root: string;
  /** Where the repository is checked out. */
  repoDir: string;
  /** Plan files and plan JSON: kept outside the checkout so repository content cannot collide with them. */
  artifactsDir: string;
}

export interface WithWorkspaceOptions {
  /** Where workspaces are created; defaults to the OS temp dir. Usually `${DATA_DIR}/workspaces`. */
  parentDir?: string;
}

/**
 * Creates a fresh workspace, runs `fn` in it and always removes it afterwards: on success, on error and
 * on cancellation (a cancelled step makes `fn` return or throw, and this cleanup still runs).
 */
export async function withWorkspace<T>(fn: (workspace: Workspace) => Promise<T>, options: WithWorkspaceOptions = {}): Promise<T> {
  const parent = options.parentDir ?? os.tmpdir();
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const root = await mkdtemp(path.join(parent, 'infra-review-ws-'));
  const workspace: Workspace = { root, repoDir: path.join(root, 'repo'), artifactsDir: path.join(root, 'artifacts') };
  try {
    await mkdir(workspace.repoDir, { mode: 0o700 });
    await mkdir(workspace.artifactsDir, { mode: 0o700 });
    return await fn(workspace);
  } finally {
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  }
}
