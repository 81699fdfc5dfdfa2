import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Writes `files` (repository path -> content) under a fresh temporary directory and returns it. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'infra-review-projects-'));
  for (const [file, content] of Object.entries(files)) {
    const absolute = path.join(root, file);
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** A `module` block calling `source`. */
export function moduleBlock(name: string, source: string): string {
  return `module "${name}" {\n  source = "${source}"\n}\n`;
}
