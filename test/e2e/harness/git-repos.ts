import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One changed file between two commits, as `git diff --name-status -M --numstat` sees it. */
export interface GitFileChange {
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  filename: string;
  previousFilename?: string;
  additions: number;
  deletions: number;
  /** Blob SHA of the new side (null for a removed file). */
  sha: string | null;
}

export interface GitCommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

/** An entry of a tree listing (`git ls-tree`). */
export interface GitTreeEntry {
  type: 'file' | 'dir' | 'submodule' | 'symlink';
  name: string;
  path: string;
  sha: string;
  size: number;
}

/**
 * Files to write in a commit: content as text or bytes; `null` deletes the path; `{ symlink }` writes a
 * symbolic link to that target, `{ submodule }` a submodule entry (gitlink) at that commit SHA.
 */
export type FileChanges = Record<string, string | Buffer | null | { symlink: string } | { submodule: string }>;

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.test',
};

/**
 * Real bare git repositories on disk, laid out as `<root>/<owner>/<name>.git` so that
 * `git http-backend` can serve them with GIT_PROJECT_ROOT=<root>. Commits are written with
 * plumbing (a private index file per commit), so no working tree is ever needed.
 */
export class GitRepos {
  /** Answers about immutable objects (keyed by full SHAs) never change: computed once. */
  private readonly memo = new Map<string, Promise<unknown>>();

  private constructor(readonly root: string) {}

  private once<T>(key: string[], shas: string[], compute: () => Promise<T>): Promise<T> {
    if (!shas.every((s) => /^[0-9a-f]{40}$/.test(s))) return compute();
    const k = key.join('\0');
    let hit = this.memo.get(k) as Promise<T> | undefined;
    if (!hit) {
      hit = compute();
      this.memo.set(k, hit);
      // A failure is not cached: the next call tries again.
      hit.catch(() => this.memo.delete(k));
    }
    return hit;
  }

  static async create(): Promise<GitRepos> {
    return new GitRepos(await mkdtemp(path.join(tmpdir(), 'ghdouble-git-')));
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  gitDir(owner: string, name: string): string {
    return path.join(this.root, owner, `${name}.git`);
  }

  /** Runs git against a bare repository; resolves stdout, rejects with stderr on failure. */
  git(owner: string, name: string, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    return runGit(['--git-dir', this.gitDir(owner, name), ...args], options);
  }

  async init(owner: string, name: string, defaultBranch: string): Promise<void> {
    await mkdir(path.dirname(this.gitDir(owner, name)), { recursive: true });
    await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, this.gitDir(owner, name)]);
    await this.allowFetchBySha(owner, name);
  }

  /** GitHub serves any reachable commit by SHA (`git fetch origin <sha>`), whatever the protocol version. */
  private async allowFetchBySha(owner: string, name: string): Promise<void> {
    await this.git(owner, name, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
  }

  /** A bare copy of another repository (a fork), with all branches. */
  async cloneBare(from: { owner: string; name: string }, to: { owner: string; name: string }): Promise<void> {
    await mkdir(path.dirname(this.gitDir(to.owner, to.name)), { recursive: true });
    await runGit(['clone', '--bare', '--quiet', this.gitDir(from.owner, from.name), this.gitDir(to.owner, to.name)]);
    await this.allowFetchBySha(to.owner, to.name);
  }

  /** Copies the objects reachable from `sha` into another repository (a fork's head commits). */
  async copyObjects(from: { owner: string; name: string }, to: { owner: string; name: string }, sha: string, ref: string): Promise<void> {
    await this.git(to.owner, to.name, ['fetch', '--quiet', this.gitDir(from.owner, from.name), `${sha}:${ref}`]);
  }

  /** The commit a branch, tag, ref or SHA points at, or null when it does not resolve. */
  async resolve(owner: string, name: string, ref: string): Promise<string | null> {
    try {
      return (await this.git(owner, name, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    } catch {
      return null;
    }
  }

  async updateRef(owner: string, name: string, ref: string, sha: string): Promise<void> {
    await this.git(owner, name, ['update-ref', ref, sha]);
  }

  async deleteRef(owner: string, name: string, ref: string): Promise<void> {
    await this.git(owner, name, ['update-ref', '-d', ref]);
  }

  /**
   * Writes one commit on `branch` whose tree is the parent's tree with `files` applied.
   * The parent is the branch tip, else `startFrom`, else none (a root commit).
   */
  async commit(owner: string, name: string, branch: string, files: FileChanges, message: string, startFrom?: string): Promise<string> {
    const parent = (await this.resolve(owner, name, `refs/heads/${branch}`)) ?? (startFrom ? await this.resolve(owner, name, startFrom) : null);
    // One `git fast-import` writes the blobs, tree and commit: far fewer processes than plumbing per file.
    const now = Math.floor(Date.now() / 1000);
    const data = (content: string | Buffer) => {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      return [Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')];
    };
    const chunks: Buffer[] = [
      Buffer.from(`commit refs/heads/${branch}\n`),
      Buffer.from(`author ${GIT_IDENTITY.GIT_AUTHOR_NAME} <${GIT_IDENTITY.GIT_AUTHOR_EMAIL}> ${now} +0000\n`),
      Buffer.from(`committer ${GIT_IDENTITY.GIT_COMMITTER_NAME} <${GIT_IDENTITY.GIT_COMMITTER_EMAIL}> ${now} +0000\n`),
      ...data(message),
    ];
    if (parent) chunks.push(Buffer.from(`from ${parent}\n`));
    for (const [file, content] of Object.entries(files)) {
      if (content === null) chunks.push(Buffer.from(`D ${quotePath(file)}\n`));
      else if (typeof content === 'string' || Buffer.isBuffer(content)) chunks.push(Buffer.from(`M 100644 inline ${quotePath(file)}\n`), ...data(content));
      else if ('symlink' in content) chunks.push(Buffer.from(`M 120000 inline ${quotePath(file)}\n`), ...data(content.symlink));
      else {
        if (!/^[0-9a-f]{40}$/.test(content.submodule)) throw new Error(`submodule ${file}: expected a 40-hex commit SHA, got ${content.submodule}`);
        chunks.push(Buffer.from(`M 160000 ${content.submodule} ${quotePath(file)}\n`));
      }
    }
    chunks.push(Buffer.from('done\n'));
    await this.git(owner, name, ['fast-import', '--quiet', '--done'], { input: Buffer.concat(chunks) });
    const sha = await this.resolve(owner, name, `refs/heads/${branch}`);
    if (!sha) throw new Error(`fast-import did not create refs/heads/${branch}`);
    return sha;
  }

  /** The metadata of one commit, for the commit objects of the compare API. */
  commitInfo(owner: string, name: string, sha: string): Promise<GitCommitInfo> {
    return this.once(['commitInfo', owner, name, sha], [sha], () => this.readCommitInfo(owner, name, sha));
  }

  private async readCommitInfo(owner: string, name: string, sha: string): Promise<GitCommitInfo> {
    const out = await this.git(owner, name, ['log', '-1', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B', sha]);
    const [full = '', tree = '', parents = '', authorName = '', authorEmail = '', authorDate = '', committerName = '', committerEmail = '', committerDate = '', message = ''] = out.split('\0');
    return {
      sha: full,
      tree,
      parents: parents.split(' ').filter(Boolean),
      author: { name: authorName, email: authorEmail, date: authorDate },
      committer: { name: committerName, email: committerEmail, date: committerDate },
      message: message.replace(/\n+$/, ''),
    };
  }

  mergeBase(owner: string, name: string, a: string, b: string): Promise<string | null> {
    return this.once(['mergeBase', owner, name, a, b], [a, b], () => this.readMergeBase(owner, name, a, b));
  }

  private async readMergeBase(owner: string, name: string, a: string, b: string): Promise<string | null> {
    try {
      return (await this.git(owner, name, ['merge-base', a, b])).trim();
    } catch {
      return null;
    }
  }

  /** Commits in `head` not in `base` (newest first), like GitHub's compare and PR commit count. */
  commitsBetween(owner: string, name: string, base: string, head: string): Promise<string[]> {
    return this.once(['commitsBetween', owner, name, base, head], [base, head], () => this.readCommitsBetween(owner, name, base, head));
  }

  private async readCommitsBetween(owner: string, name: string, base: string, head: string): Promise<string[]> {
    const out = await this.git(owner, name, ['rev-list', `${base}..${head}`]);
    return out.split('\n').filter(Boolean);
  }

  /**
   * The files changed by `head` since it forked from `base` (three-dot diff, as GitHub's
   * PR files and compare endpoints report), renames detected.
   */
  async diffFiles(owner: string, name: string, base: string, head: string): Promise<GitFileChange[]> {
    // Copies: callers may adjust what they get.
    const changes = await this.once(['diffFiles', owner, name, base, head], [base, head], () => this.readDiffFiles(owner, name, base, head));
    return changes.map((c) => ({ ...c }));
  }

  private async readDiffFiles(owner: string, name: string, base: string, head: string): Promise<GitFileChange[]> {
    const range = `${base}...${head}`;
    // --raw gives status and full blob SHAs; --numstat the line counts; both list files in the same order.
    const raw = (await this.git(owner, name, ['diff', '-z', '--raw', '--no-abbrev', '-M', range])).split('\0');
    const numstat = (await this.git(owner, name, ['diff', '-z', '--numstat', '-M', range])).split('\0');
    const changes: GitFileChange[] = [];
    for (let i = 0; i < raw.length && raw[i]; ) {
      // ":<old mode> <new mode> <old sha> <new sha> <status>"
      const [, , , newSha = '', code = ''] = (raw[i++] as string).split(' ');
      const letter = code[0];
      const sha = letter === 'D' ? null : newSha;
      if (letter === 'R' || letter === 'C') {
        const from = raw[i++] as string;
        const to = raw[i++] as string;
        changes.push({ status: letter === 'R' ? 'renamed' : 'copied', filename: to, previousFilename: from, additions: 0, deletions: 0, sha });
      } else {
        const file = raw[i++] as string;
        const status = letter === 'A' ? 'added' : letter === 'D' ? 'removed' : letter === 'M' ? 'modified' : 'changed';
        changes.push({ status, filename: file, additions: 0, deletions: 0, sha });
      }
    }
    // numstat -z: "add\tdel\tpath\0" or, for a rename, "add\tdel\t\0from\0to\0".
    for (let i = 0, n = 0; i < numstat.length && numstat[i]; n++) {
      const [add, del, file] = (numstat[i++] as string).split('\t');
      if (file === '') i += 2;
      const change = changes[n];
      if (!change) break;
      // Binary files show "-": GitHub reports 0 changed lines for them.
      change.additions = add === '-' ? 0 : Number(add);
      change.deletions = del === '-' ? 0 : Number(del);
    }
    return changes;
  }

  /**
   * Per-file unified diffs from the merge base to head, in the order `diffFiles` lists the
   * files, each starting at its first hunk header as GitHub's `patch` field does; null for
   * files without hunks (binary files, pure renames).
   */
  patches(owner: string, name: string, base: string, head: string): Promise<(string | null)[]> {
    return this.once(['patches', owner, name, base, head], [base, head], () => this.readPatches(owner, name, base, head));
  }

  private async readPatches(owner: string, name: string, base: string, head: string): Promise<(string | null)[]> {
    const out = await this.git(owner, name, ['diff', '-M', '--no-color', '--no-ext-diff', `${base}...${head}`]);
    return out
      .split(/^diff --git /m)
      .slice(1)
      .map((chunk) => {
        const hunk = chunk.indexOf('\n@@');
        return hunk === -1 ? null : chunk.slice(hunk + 1).replace(/\n$/, '');
      });
  }

  async blobSha(owner: string, name: string, ref: string, file: string): Promise<string | null> {
    try {
      return (await this.git(owner, name, ['rev-parse', '--verify', '--quiet', `${ref}:${file}`])).trim();
    } catch {
      return null;
    }
  }

  /** The bytes of a file at `ref`, or null when the path is not a file there. */
  async readFile(owner: string, name: string, ref: string, file: string): Promise<Buffer | null> {
    const entry = await this.entry(owner, name, ref, file);
    if (!entry || entry.type !== 'file') return null;
    return runGitBuffer(['--git-dir', this.gitDir(owner, name), 'cat-file', 'blob', entry.sha]);
  }

  /** The tree entry at `file` (the root when `file` is empty), or null when absent. */
  async entry(owner: string, name: string, ref: string, file: string): Promise<GitTreeEntry | null> {
    const clean = file.replace(/^\/+|\/+$/g, '');
    if (clean === '') {
      const sha = await this.resolve(owner, name, ref);
      if (!sha) return null;
      return { type: 'dir', name: '', path: '', sha: (await this.git(owner, name, ['rev-parse', `${sha}^{tree}`])).trim(), size: 0 };
    }
    let out: string;
    try {
      out = await this.git(owner, name, ['ls-tree', '-z', '--long', ref, '--', clean]);
    } catch {
      return null;
    }
    const entries = parseLsTree(out, path.posix.dirname(clean) === '.' ? '' : path.posix.dirname(clean));
    return entries.find((e) => e.path === clean) ?? null;
  }

  /** The entries of a directory at `ref`, or null when the path is not a directory there. */
  async listDir(owner: string, name: string, ref: string, dir: string): Promise<GitTreeEntry[] | null> {
    const entry = await this.entry(owner, name, ref, dir);
    if (!entry || entry.type !== 'dir') return null;
    const clean = dir.replace(/^\/+|\/+$/g, '');
    const out = await this.git(owner, name, ['ls-tree', '-z', '--long', entry.sha]);
    return parseLsTree(out, clean);
  }

  /**
   * Merges `head` into `baseBranch` the way GitHub's merge button does, without a working
   * tree: `merge` writes a two-parent merge commit, `squash` one commit on top of the base
   * with the merged tree. Null when the merge conflicts.
   */
  async merge(owner: string, name: string, baseBranch: string, head: string, message: string, mode: 'merge' | 'squash'): Promise<string | null> {
    const base = await this.resolve(owner, name, `refs/heads/${baseBranch}`);
    if (!base) return null;
    let tree: string;
    try {
      tree = (await this.git(owner, name, ['merge-tree', '--write-tree', base, head])).split('\n')[0]?.trim() ?? '';
    } catch {
      return null;
    }
    const parents = mode === 'merge' ? ['-p', base, '-p', head] : ['-p', base];
    const sha = (await this.git(owner, name, ['commit-tree', tree, ...parents, '-m', message])).trim();
    // Compare-and-swap: fails if the base moved meanwhile, as GitHub's merge would.
    await this.git(owner, name, ['update-ref', `refs/heads/${baseBranch}`, sha, base]);
    return sha;
  }
}

/** A path as fast-import reads it: C-style quoted, so spaces and odd characters survive. */
function quotePath(file: string): string {
  return `"${file.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function parseLsTree(out: string, dir: string): GitTreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      // "<mode> SP <type> SP <object> SP+ <size> TAB <name>"
      const [meta, name = ''] = line.split('\t');
      const [mode, kind, sha = '', size] = (meta ?? '').split(/\s+/);
      const type: GitTreeEntry['type'] = kind === 'tree' ? 'dir' : kind === 'commit' ? 'submodule' : mode === '120000' ? 'symlink' : 'file';
      const base = path.posix.basename(name);
      return { type, name: base, path: dir ? `${dir}/${base}` : base, sha, size: size === '-' || size === undefined ? 0 : Number(size) };
    });
}

function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Isolate from the user's and the system's git config so results never depend on the machine.
  return { ...process.env, ...GIT_IDENTITY, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', ...extra };
}

/** Runs git and resolves its stdout as text. */
export function runGit(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return runGitBuffer(args, options).then((b) => b.toString('utf8'));
}

function runGitBuffer(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { env: gitEnv(options.env), cwd: options.cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(' ')} failed: ${stderr.toString('utf8').trim() || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(options.input);
  });
}
