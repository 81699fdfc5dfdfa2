import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export const IAC_TOOLS = ['tofu', 'terraform'] as const;
export type IacTool = (typeof IAC_TOOLS)[number];

export class IacBinaryNotFoundError extends Error {
  override name = 'IacBinaryNotFoundError';
}

export interface ResolveIacBinaryInput {
  /** The project's `tool` from the repository config, when it names one. */
  tool?: string;
  /** Read for IAC_BINARY and PATH; usually process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface IacBinary {
  /** Absolute path of the executable. */
  path: string;
  /** What it was asked for: the project's tool, IAC_BINARY, or the default. */
  source: 'project' | 'IAC_BINARY' | 'default';
}

/**
 * Which executable runs init/plan/show/apply: the project's `tool`, else IAC_BINARY (a name looked up
 * on PATH, or a path), else `tofu`, else `terraform`. A project's tool is looked up next to a path
 * given in IAC_BINARY first (an operator who pins /opt/iac/terraform keeps /opt/iac/tofu beside it),
 * then on PATH. Throws IacBinaryNotFoundError with a message that says what was looked for and where.
 */
export function resolveIacBinary(input: ResolveIacBinaryInput = {}): IacBinary {
  const env = input.env ?? process.env;
  const searchPath = env.PATH ?? '';
  const configured = env.IAC_BINARY?.trim();
  const tool = input.tool?.trim();
  if (tool !== undefined && tool !== '') {
    const pinnedDir = configured?.includes('/') ? path.dirname(path.resolve(configured)) : undefined;
    const found =
      (pinnedDir !== undefined && !tool.includes('/') ? findExecutable(path.join(pinnedDir, tool), '') : undefined) ?? findExecutable(tool, searchPath);
    if (found === undefined) {
      const where = pinnedDir !== undefined ? `${pinnedDir} (next to IAC_BINARY) or on PATH` : 'on PATH';
      throw new IacBinaryNotFoundError(`the project's tool "${tool}" was not found ${where} (PATH=${searchPath || 'empty'})`);
    }
    return { path: found, source: 'project' };
  }
  if (configured !== undefined && configured !== '') {
    const found = findExecutable(configured, searchPath);
    if (found === undefined) {
      throw new IacBinaryNotFoundError(
        configured.includes('/')
          ? `IAC_BINARY=${configured} is not an executable file`
          : `IAC_BINARY=${configured} was not found on PATH (${searchPath || 'empty'})`,
      );
    }
    return { path: found, source: 'IAC_BINARY' };
  }
  for (const name of IAC_TOOLS) {
    const found = findExecutable(name, searchPath);
    if (found !== undefined) return { path: found, source: 'default' };
  }
  throw new IacBinaryNotFoundError(
    `neither tofu nor terraform was found on PATH (${searchPath || 'empty'}); install one or set IAC_BINARY to its path`,
  );
}

/** A path containing a slash is checked as is (made absolute); a bare name is searched on PATH. */
export function findExecutable(name: string, searchPath: string): string | undefined {
  if (name.includes('/')) {
    const absolute = path.resolve(name);
    return isExecutableFile(absolute) ? absolute : undefined;
  }
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
