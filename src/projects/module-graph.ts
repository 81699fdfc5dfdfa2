/**
 * The repository's Terraform/OpenTofu directories and the local module calls between them.
 * Built from the PR head checkout; only local sources (`./`, `../`) make edges, since remote
 * modules are not in the repository.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { escapesRepository, resolveFromDir } from '../config/glob-pattern.js';
import { isJsonSyntax, parseModuleCalls } from './parse-module-calls.js';
import type { HclError } from './parse-module-calls.js';

const IAC_EXTENSIONS = ['.tf', '.tf.json', '.tofu', '.tofu.json'] as const;
/** Directories never searched: tool caches, vendored JavaScript, and hidden dirs (checked separately). */
const SKIPPED_DIRS = new Set(['.terraform', 'node_modules']);
/** A file bigger than this is reported rather than parsed: generated monsters should not stall a plan. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const PARSE_CONCURRENCY = 8;

export function isIacFile(file: string): boolean {
  return IAC_EXTENSIONS.some((extension) => file.endsWith(extension));
}

export interface ModuleEdge {
  /** Repository-relative directory of the called module. */
  target: string;
  /** The file and line of the `source` that makes the call. */
  file: string;
  line: number;
}

export interface ModuleGraph {
  /** The checkout the graph was read from. */
  checkoutDir: string;
  /** Every directory holding .tf/.tf.json/.tofu files, repository-relative (`.` is the root), sorted. */
  dirs: string[];
  /** IaC files per directory, repository-relative, sorted. */
  files: Map<string, string[]>;
  /** Local module calls, keyed by the calling directory. */
  calls: Map<string, ModuleEdge[]>;
  /** Syntax and reference errors, keyed by the directory of the file. */
  errors: Map<string, HclError[]>;
  /** Files already parsed (their errors, if any, are in `errors`). */
  parsed: Set<string>;
}

/**
 * Scans `checkoutDir` and reads the module calls of every IaC file that could hold one.
 * The HCL parser costs tens of milliseconds per file, so files that never mention `module`
 * are skipped here; `checkDirectories` parses them later for the directories that matter.
 * Never throws for a bad file: errors are values.
 */
export async function buildModuleGraph(checkoutDir: string): Promise<ModuleGraph> {
  const files = await findIacFiles(checkoutDir);
  const graph: ModuleGraph = { checkoutDir, dirs: [...files.keys()].sort(), files, calls: new Map(), errors: new Map(), parsed: new Set() };
  const candidates = [...files.entries()].flatMap(([dir, list]) => list.map((file) => ({ dir, file })));
  await parseFiles(graph, candidates, (content, file) => (isJsonSyntax(file) ? content.includes('"module"') : /\bmodule\b/.test(content)));
  return graph;
}

/** Parses every not yet parsed file of `dirs`, so their syntax errors are known. */
export async function checkDirectories(graph: ModuleGraph, dirs: Iterable<string>): Promise<void> {
  const todo = [...new Set(dirs)].sort().flatMap((dir) => (graph.files.get(dir) ?? []).filter((file) => !graph.parsed.has(file)).map((file) => ({ dir, file })));
  await parseFiles(graph, todo, () => true);
}

async function parseFiles(graph: ModuleGraph, files: { dir: string; file: string }[], worthParsing: (content: string, file: string) => boolean): Promise<void> {
  const results = await mapLimit(files, PARSE_CONCURRENCY, async ({ dir, file }) => {
    const absolute = path.join(graph.checkoutDir, file);
    const info = await lstat(absolute);
    if (info.size > MAX_FILE_BYTES) {
      return { dir, file, result: { errors: [{ file, line: 1, column: 1, message: `file is larger than ${MAX_FILE_BYTES} bytes; not parsed` }] } };
    }
    const content = await readFile(absolute, 'utf8');
    if (!worthParsing(content, file)) return undefined;
    return { dir, file, result: await parseModuleCalls(file, content) };
  });

  for (const entry of results) {
    if (entry === undefined) continue;
    const { dir, file, result } = entry;
    graph.parsed.add(file);
    if ('errors' in result) {
      for (const error of result.errors) addError(graph, dir, error);
      continue;
    }
    for (const call of result.calls) {
      if (call.source === undefined || !isLocalSource(call.source)) continue;
      const target = resolveFromDir(dir, call.source);
      if (escapesRepository(target)) {
        addError(graph, dir, { file, line: call.line, column: 1, message: `module "${call.name}": source "${call.source}" points outside the repository` });
        continue;
      }
      if (target === dir) continue;
      const list = graph.calls.get(dir) ?? [];
      list.push({ target, file, line: call.line });
      list.sort((a, b) => compare(a.target, b.target) || compare(a.file, b.file) || a.line - b.line);
      graph.calls.set(dir, list);
    }
  }
}

function addError(graph: ModuleGraph, dir: string, error: HclError): void {
  const list = graph.errors.get(dir) ?? [];
  list.push(error);
  list.sort((a, b) => compare(a.file, b.file) || a.line - b.line || a.column - b.column);
  graph.errors.set(dir, list);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Terraform treats a source as a local path only when it starts with `./` or `../`. */
export function isLocalSource(source: string): boolean {
  return source.startsWith('./') || source.startsWith('../') || source === '.' || source === '..';
}

/** Every directory `dir` uses as a module, directly or through other modules; cycles end the walk. */
export function moduleDependencies(graph: ModuleGraph, dir: string): string[] {
  const seen = new Set<string>([dir]);
  const queue = [dir];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const edge of graph.calls.get(current) ?? []) {
      if (seen.has(edge.target)) continue;
      seen.add(edge.target);
      queue.push(edge.target);
    }
  }
  seen.delete(dir);
  return [...seen].sort();
}

/** Directories some other directory calls as a module. */
export function calledDirs(graph: ModuleGraph): Set<string> {
  const called = new Set<string>();
  for (const [caller, edges] of graph.calls) for (const edge of edges) if (edge.target !== caller) called.add(edge.target);
  return called;
}

/** IaC files grouped by repository-relative directory. Symlinks are not followed (they may leave the checkout). */
async function findIacFiles(checkoutDir: string): Promise<Map<string, string[]>> {
  const byDir = new Map<string, string[]>();
  const walk = async (relative: string): Promise<void> => {
    const absolute = relative === '.' ? checkoutDir : path.join(checkoutDir, relative);
    const entries = await readdir(absolute, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = relative === '.' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
        await walk(child);
      } else if (entry.isFile() && isIacFile(entry.name)) {
        const list = byDir.get(relative) ?? [];
        list.push(child);
        byDir.set(relative, list);
      }
    }
  };
  await walk('.');
  return byDir;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
