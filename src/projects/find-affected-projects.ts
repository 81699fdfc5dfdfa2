/**
 * Which projects a pull request affects: explicit projects from the config plus autodetected
 * root modules, each affected when a changed file matches its `when_modified` globs or lies in a
 * local module it uses (transitively).
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { DEFAULT_WHEN_MODIFIED, DEFAULT_WORKFLOW_NAME } from '../config/config-schema.js';
import type { InfraReviewConfig } from '../config/config-schema.js';
import { resolveFromDir } from '../config/glob-pattern.js';
import { suggestName } from '../config/suggest-name.js';
import { expandChangedPaths } from './changed-file.js';
import type { ChangedFile } from './changed-file.js';
import { buildModuleGraph, calledDirs, checkDirectories, isIacFile, moduleDependencies } from './module-graph.js';
import type { ModuleGraph } from './module-graph.js';

export interface ProjectDefinition {
  name: string;
  /** Repository-relative directory; `.` is the repository root. */
  dir: string;
  workspace: string;
  tool?: 'tofu' | 'terraform';
  workflow: string;
  /** `-var-file` paths, relative to `dir`. */
  varFiles: string[];
  autoplan: boolean;
  /** Repository-relative globs (already resolved against `dir`). */
  whenModified: string[];
  /** `config`: listed under `projects`; `autodetect`: a root module found in the tree. */
  origin: 'config' | 'autodetect';
}

/** A project a change affects: its definition (globs already applied) and why. */
export interface AffectedProject extends Omit<ProjectDefinition, 'whenModified'> {
  /** Why it is affected, for the comment: `changed envs/prod/main.tf`, `uses module modules/net (changed ...)`. */
  reason: string;
  /** The changed paths that affect it, directly or through a local module (approvals map files to projects with it). */
  files: string[];
}

/** A problem that makes a project fail before planning, e.g. an HCL syntax error in it or a module it uses. */
export interface ProjectError {
  /** Name of the affected project that fails. */
  project: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface AffectedProjectsResult {
  /** Affected projects, sorted by dir, workspace, name. Projects named in `errors` must not be planned. */
  projects: AffectedProject[];
  /** Errors per affected project, sorted by project, file, line. */
  errors: ProjectError[];
}

export interface FindAffectedProjectsInput {
  changedFiles: readonly ChangedFile[];
  /**
   * True when the changed-file list is incomplete (GitHub lists at most 3000 files). Then every
   * project counts as affected: a project must never go unplanned because its file was not listed.
   */
  changedFilesTruncated?: boolean;
  /** The PR head, checked out on disk. */
  checkoutDir: string;
  config: InfraReviewConfig;
}

export const TRUNCATED_REASON = 'the PR changes more files than GitHub lists, so every project is planned';

/** Reads the checkout and answers which projects the change affects. Bad HCL is a project error, never a throw. */
export async function findAffectedProjects(input: FindAffectedProjectsInput): Promise<AffectedProjectsResult> {
  const graph = await buildModuleGraph(input.checkoutDir);
  const changedPaths = expandChangedPaths(input.changedFiles);
  const select = () => (input.changedFilesTruncated ? everyProject(graph, input.config, changedPaths) : selectAffectedProjects(graph, input.config, changedPaths));
  const first = select();
  // Syntax errors only matter where something will be planned: parse the rest of those directories now.
  await checkDirectories(graph, first.projects.flatMap((project) => [project.dir, ...moduleDependencies(graph, project.dir)]));
  // Select again so the errors just found attach to their projects (skipped files hold no module calls).
  return select();
}

/**
 * Every project of the repository as affected (the changed-file list is incomplete), each with the listed
 * changed paths that do affect it, so approvals still map the known files to their projects.
 */
function everyProject(graph: ModuleGraph, config: InfraReviewConfig, changedPaths: readonly string[]): AffectedProjectsResult {
  const filesOf = new Map(selectAffectedProjects(graph, config, changedPaths).projects.map((project) => [project.name, project.files]));
  return withErrors(graph, listProjects(graph, config).map((project) => affected(project, TRUNCATED_REASON, filesOf.get(project.name) ?? [])));
}

export interface FindNamedProjectsInput {
  /** Project names as given to `/plan -p NAME` (explicit names or autodetected dir paths). */
  names: readonly string[];
  checkoutDir: string;
  config: InfraReviewConfig;
  /**
   * The PR's changed files. With them, each named project's `files` and `fileOwners` say which projects
   * those files affect, as for an autoplan (approvals need that mapping whichever projects are planned).
   */
  changedFiles?: readonly ChangedFile[];
  /** True when `changedFiles` is cut at GitHub's listing limit: every project then counts as affected in `fileOwners`. */
  changedFilesTruncated?: boolean;
}

export interface NamedProjectsResult extends AffectedProjectsResult {
  /** Names that match no project, with the closest known name when there is one. */
  unknown: { name: string; suggestion?: string }[];
  /**
   * Every project the changed files affect, named or not, with the changed paths that affect it (empty
   * without `changedFiles`): approvals map files to projects with it, and an affected project not named is
   * still one the PR changes.
   */
  fileOwners: AffectedProject[];
}

/** The projects a command names explicitly (`/plan -p envs/prod`), whether or not the PR changes them. */
export async function findNamedProjects(input: FindNamedProjectsInput): Promise<NamedProjectsResult> {
  const graph = await buildModuleGraph(input.checkoutDir);
  const all = listProjects(graph, input.config);
  const byName = new Map(all.map((project) => [project.name, project]));
  const wanted = [...new Set(input.names)];
  const found = all.filter((project) => wanted.includes(project.name));
  const unknown = wanted
    .filter((name) => !byName.has(name))
    .map((name) => {
      const suggestion = suggestName(name, byName.keys());
      return suggestion === undefined ? { name } : { name, suggestion };
    });
  const fileOwners = input.changedFiles
    ? (input.changedFilesTruncated ? everyProject : selectAffectedProjects)(graph, input.config, expandChangedPaths(input.changedFiles)).projects
    : [];
  const filesOf = new Map(fileOwners.map((owner) => [owner.name, owner.files]));
  await checkDirectories(graph, found.flatMap((project) => [project.dir, ...moduleDependencies(graph, project.dir)]));
  return { ...withErrors(graph, found.map((project) => affected(project, 'requested by name', filesOf.get(project.name) ?? []))), unknown, fileOwners };
}

/** Every project of the repository, explicit and autodetected, sorted by dir, workspace, name. */
export function listProjects(graph: ModuleGraph, config: InfraReviewConfig): ProjectDefinition[] {
  const explicit: ProjectDefinition[] = config.projects.map((p) => ({
    name: p.name,
    dir: p.dir,
    workspace: p.workspace,
    ...(p.tool !== undefined ? { tool: p.tool } : {}),
    workflow: p.workflow,
    varFiles: [...p.var_files],
    autoplan: p.autoplan,
    whenModified: p.when_modified.map((glob) => resolveFromDir(p.dir, glob)),
    origin: 'config',
  }));
  const projects = [...explicit];
  if (config.autodetect.enabled) {
    const claimed = new Set(explicit.map((p) => p.dir));
    const names = new Set(explicit.map((p) => p.name));
    const called = calledDirs(graph);
    const ignoreGlobs = config.autodetect.ignore;
    const ignored = ignoreGlobs.length > 0 ? picomatch(ignoreGlobs, { dot: true }) : () => false;
    for (const dir of graph.dirs) {
      if (claimed.has(dir) || called.has(dir) || isIgnored(dir, ignored)) continue;
      let name = dir;
      // An explicit project may already use this dir path as its name; keep names unique.
      while (names.has(name)) name = `${name}:default`;
      names.add(name);
      projects.push({
        name,
        dir,
        workspace: 'default',
        workflow: DEFAULT_WORKFLOW_NAME,
        varFiles: [],
        autoplan: true,
        whenModified: DEFAULT_WHEN_MODIFIED.map((glob) => resolveFromDir(dir, glob)),
        origin: 'autodetect',
      });
    }
  }
  return projects.sort(compareProjects);
}

/** Pure core of findAffectedProjects: the graph is already built, the changed paths expanded. */
export function selectAffectedProjects(graph: ModuleGraph, config: InfraReviewConfig, changedPaths: readonly string[]): AffectedProjectsResult {
  const iacDirs = new Set(graph.dirs);
  const ownerOf = new Map(changedPaths.map((file) => [file, ownerDir(file, iacDirs)]));
  const projects: AffectedProject[] = [];

  for (const project of listProjects(graph, config)) {
    const matches = picomatch(project.whenModified, { dot: true });
    // An autodetected root owns only files no nearer module directory owns: envs/prod/**/*.tf must not
    // catch envs/prod/modules/x/main.tf, which belongs to that module.
    const direct = changedPaths.filter((file) => matches(file) && (project.origin === 'config' || ownerOf.get(file) === project.dir));
    const dependencies = moduleDependencies(graph, project.dir);
    const viaModules = dependencies.map((moduleDir) => ({ moduleDir, files: changedPaths.filter((file) => ownerOf.get(file) === moduleDir) })).filter((entry) => entry.files.length > 0);
    const firstModule = viaModules[0];
    const reason = direct.length > 0 ? `changed ${describeFiles(direct)}` : firstModule ? `uses module ${firstModule.moduleDir} (changed ${describeFiles(firstModule.files)})` : undefined;
    if (reason === undefined) continue;
    projects.push(affected(project, reason, [...new Set([...direct, ...viaModules.flatMap((entry) => entry.files)])].sort()));
  }
  return withErrors(graph, projects);
}

function affected(project: ProjectDefinition, reason: string, files: string[] = []): AffectedProject {
  return {
    name: project.name,
    dir: project.dir,
    workspace: project.workspace,
    ...(project.tool !== undefined ? { tool: project.tool } : {}),
    workflow: project.workflow,
    varFiles: [...project.varFiles],
    autoplan: project.autoplan,
    origin: project.origin,
    reason,
    files,
  };
}

/** Attaches the errors of each project's directory and of every module it uses. */
function withErrors(graph: ModuleGraph, projects: AffectedProject[]): AffectedProjectsResult {
  const errors: ProjectError[] = [];
  for (const project of projects) {
    for (const dir of [project.dir, ...moduleDependencies(graph, project.dir)]) {
      for (const error of graph.errors.get(dir) ?? []) {
        errors.push({ project: project.name, file: error.file, line: error.line, column: error.column, message: error.message });
      }
    }
  }
  errors.sort((a, b) => compare(a.project, b.project) || compare(a.file, b.file) || a.line - b.line || a.column - b.column);
  return { projects, errors };
}

/**
 * The directory a changed file belongs to: an IaC file belongs to its own directory (even when
 * the PR deleted it); any other file to the nearest enclosing IaC directory.
 */
function ownerDir(file: string, iacDirs: ReadonlySet<string>): string | undefined {
  let dir = path.posix.dirname(file);
  if (isIacFile(file)) return dir;
  for (;;) {
    if (iacDirs.has(dir)) return dir;
    if (dir === '.') return undefined;
    dir = path.posix.dirname(dir);
  }
}

/** A dir is ignored when an ignore glob matches it or one of its parents (`examples` ignores `examples/complete`). */
function isIgnored(dir: string, ignored: (candidate: string) => boolean): boolean {
  for (let current = dir; ; current = path.posix.dirname(current)) {
    if (ignored(current)) return true;
    if (path.posix.dirname(current) === '.') return false;
  }
}

function describeFiles(files: readonly string[]): string {
  return files.length === 1 ? files[0]! : `${files[0]!} and ${files.length - 1} more`;
}

function compareProjects(a: { dir: string; workspace: string; name: string }, b: { dir: string; workspace: string; name: string }): number {
  return compare(a.dir, b.dir) || compare(a.workspace, b.workspace) || compare(a.name, b.name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
