import { execFile } from 'node:child_process';
import { buildGitEnv } from './checkout-commit.js';

/** What a path is in a commit's tree: a regular file with its text, or why it is not one. */
export type FileAtCommit =
  | { kind: 'file'; content: string }
  | { kind: 'missing' }
  | { kind: 'directory' }
  /** A symlink or a submodule: `type` says which. */
  | { kind: 'not-a-file'; type: 'symlink' | 'submodule' }
  | { kind: 'too-large'; size: number };

export interface ReadFileAtCommitInput {
  /** A repository that has `sha` (e.g. fetched by `fetchBranch`). */
  dir: string;
  sha: string;
  /** Repository-relative path, `/`-separated. */
  path: string;
  /** Files larger than this are not read. */
  maxBytes: number;
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads `path` from the commit object `sha`, never from the working tree (which may hold another
 * commit: the base's config and policy are read while the PR head is checked out). Local git only.
 */
export async function readFileAtCommit(input: ReadFileAtCommitInput): Promise<FileAtCommit> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(input.sha)) throw new Error(`not a full commit SHA: ${JSON.stringify(input.sha)}`);
  const env = buildGitEnv({ url: 'file:///', ...(input.baseEnv ? { baseEnv: input.baseEnv } : {}) });
  const git = (args: string[], maxBuffer: number) =>
    new Promise<Buffer>((resolve, reject) => {
      execFile('git', args, { cwd: input.dir, env, encoding: 'buffer', maxBuffer, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args[0] === '--literal-pathspecs' ? args[1] : args[0]} failed: ${stderr.toString('utf8').trim() || error.message}`));
        else resolve(stdout);
      });
    });
  // `<mode> <type> <object> <size>\t<path>\0`; literal pathspecs: the path is a name, never a pattern.
  const listing = (await git(['--literal-pathspecs', 'ls-tree', '-z', '-l', input.sha, '--', input.path], 1024 * 1024)).toString('utf8');
  const entry = listing
    .split('\0')
    .map((line) => /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(line))
    .find((match) => match?.[5] === input.path);
  if (!entry) return { kind: 'missing' };
  const [, mode, type, object, size] = entry;
  if (type === 'tree') return { kind: 'directory' };
  if (type === 'commit') return { kind: 'not-a-file', type: 'submodule' };
  if (mode === '120000') return { kind: 'not-a-file', type: 'symlink' };
  const bytes = Number(size);
  if (bytes > input.maxBytes) return { kind: 'too-large', size: bytes };
  const content = await git(['cat-file', 'blob', object ?? ''], input.maxBytes + 1);
  return { kind: 'file', content: content.toString('utf8') };
}
