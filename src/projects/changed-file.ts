/** A changed file as the pull request files API reports it. */
export interface ChangedFile {
  filename: string;
  /** Set for renames: the path before the rename. */
  previous_filename?: string;
  status?: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged' | string;
}

/**
 * Every repository path a change touches, sorted and without duplicates. A rename counts both
 * paths: moving a file out of a project changes that project as much as the one it moves into.
 */
export function expandChangedPaths(files: readonly ChangedFile[]): string[] {
  const paths = new Set<string>();
  for (const file of files) {
    paths.add(normaliseRepoPath(file.filename));
    if (file.previous_filename) paths.add(normaliseRepoPath(file.previous_filename));
  }
  paths.delete('');
  return [...paths].sort();
}

function normaliseRepoPath(file: string): string {
  return file.replace(/^\.\/+/, '').replace(/^\/+/, '');
}
