import picomatch from 'picomatch';
import path from 'node:path';

/** Why a glob from the config cannot be used, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'a glob must not be empty';
  if (pattern.startsWith('/')) return `glob "${pattern}" must be relative (no leading "/")`;
  if (pattern.startsWith('!')) return `glob "${pattern}": negation ("!") is not supported; list only what to include`;
  if (pattern.includes('\\')) return `glob "${pattern}": use "/" as the path separator; "\\" is not allowed`;
  try {
    // strictBrackets turns unbalanced [ { ( into errors instead of literal characters.
    picomatch.makeRe(pattern, { strictBrackets: true });
  } catch (error) {
    return `invalid glob "${pattern}": ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * Repository-relative, normalised form of a path or glob written relative to `dir`
 * (`envs/prod` + `../modules/**` is `envs/modules/**`). Starts with `../` when it escapes the repository.
 */
export function resolveFromDir(dir: string, relative: string): string {
  const joined = path.posix.normalize(path.posix.join(dir, relative));
  return joined === '' ? '.' : joined.replace(/\/$/, '');
}

/** Whether a normalised repository-relative path leaves the repository. */
export function escapesRepository(normalised: string): boolean {
  return normalised === '..' || normalised.startsWith('../') || path.posix.isAbsolute(normalised);
}

/** `./a/b/` -> `a/b`, `` and `./` -> `.`; undefined when the path is absolute or leaves the repository. */
export function normaliseDir(dir: string): string | undefined {
  if (dir.includes('\0') || dir.includes('\\') || path.posix.isAbsolute(dir)) return undefined;
  const normalised = resolveFromDir('.', dir);
  return escapesRepository(normalised) ? undefined : normalised;
}
