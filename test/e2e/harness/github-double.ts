import { createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FileChanges, GitFileChange } from './git-repos.js';
import { GitRepos } from './git-repos.js';
import { serveGitHttpBackend } from './git-http-backend.js';
import {
  REACTION_CONTENTS,
  appShape,
  checkRunShape,
  collaboratorPermissionShape,
  commitComparisonShape,
  commitShape,
  contentDirectoryShape,
  contentFileShape,
  deploymentShape,
  deploymentStatusShape,
  diffEntryShape,
  errorShape,
  installationShape,
  installationTokenShape,
  issueCommentShape,
  mergeResultShape,
  pullRequestShape,
  reactionShape,
  repositoryShape,
  reviewShape,
  teamMembershipShape,
  userShape,
} from './rest-shapes.js';
import type { CheckConclusion, CheckStatus, DeploymentState, Hosts, PermissionLevel, ReactionContent, Schemas, UserType } from './rest-shapes.js';
import {
  checkRunRerequestedPayload,
  checkSuiteRerequestedPayload,
  issueCommentCreatedPayload,
  pullRequestClosedPayload,
  pullRequestOpenedPayload,
  pullRequestReviewSubmittedPayload,
  pullRequestSynchronizePayload,
  suiteState,
  webhookPullRequest,
  webhookRepository,
} from './webhook-payloads.js';
import type {
  CheckRunPullRequest,
  CheckRunRerequestedEvent,
  CheckSuiteFacts,
  CheckSuiteRerequestedEvent,
  IssueCommentCreatedEvent,
  PullRequestClosedEvent,
  PullRequestOpenedEvent,
  PullRequestReviewSubmittedEvent,
  PullRequestSynchronizeEvent,
  WebhookApp,
  WebhookUser,
} from './webhook-payloads.js';

/** GitHub's "List pull requests files" returns at most this many files. */
const MAX_LISTED_PR_FILES = 3000;

/**
 * A local stand-in for GitHub (Enterprise) that the built app talks to over real HTTP:
 * the REST API under `/api/v3` (what Probot uses when GHE_HOST is set) and git smart HTTP
 * for clone URLs. State is in memory; repositories are real bare git repositories, so
 * SHAs, diffs, contents and fetches are what git itself computes.
 */

export interface GitHubDoubleOptions {
  /** The App ID the app runs with; JWTs must name it as issuer. Default 1. */
  appId?: number;
  appSlug?: string;
  /** When given, app JWTs must carry a valid RS256 signature by the matching private key. */
  appPublicKey?: string;
  /** Installation token lifetime. Default one hour, as on GitHub. */
  tokenTtlSeconds?: number;
}

export type AuthKind = 'jwt' | 'installation' | 'basic' | 'none' | 'invalid';

export interface RecordedRequest {
  seq: number;
  kind: 'rest' | 'git';
  method: string;
  /** REST: the API path without the `/api/v3` prefix (as GitHub's docs write it); git: the URL path. */
  path: string;
  query: Record<string, string>;
  /** Request headers, lower-cased, without `authorization` and `cookie`. */
  headers: Record<string, string>;
  auth: AuthKind;
  installationId?: number;
  /** Parsed JSON body (REST); undefined for git and empty bodies. */
  body: unknown;
  /** The route template that answered (`GET /repos/{owner}/{repo}/pulls/{pull_number}`), or null when no route exists. */
  route: string | null;
  status: number;
  /** True when a `failNext` rule answered instead of the route. */
  injected: boolean;
}

/** Which requests a `failNext` or `beforeNext` rule applies to. */
export interface RequestRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Exact path, a path with `*` wildcards, or a RegExp; matched against `RecordedRequest.path`. */
  pathPattern: string | RegExp;
}

export interface FailureRule extends RequestRule {
  status: 500 | 502 | 403;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** For 403: `primary` (x-ratelimit-remaining: 0, the default) or `secondary` (retry-after). */
  rateLimit?: 'primary' | 'secondary' | false;
  /** Seconds until x-ratelimit-reset, or the retry-after value. Default 1. */
  waitSeconds?: number;
}

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

interface UserModel {
  login: string;
  id: number;
  type: UserType;
}

interface InstallationModel {
  id: number;
  account: string;
  createdAt: string;
}

interface TokenModel {
  installationId: number;
  expiresAt: number;
}

interface RepoModel {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  fork: boolean;
  defaultBranch: string;
  createdAt: string;
  pushedAt: string;
}

interface PullModel {
  id: number;
  owner: string;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  author: string;
  headOwner: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  draft: boolean;
  state: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: string | null;
}

interface ReviewModel {
  id: number;
  owner: string;
  repo: string;
  number: number;
  user: string;
  state: ReviewState;
  body: string;
  commitId: string;
  submittedAt: string;
}

interface CommentModel {
  id: number;
  owner: string;
  repo: string;
  number: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  viaApp: boolean;
}

interface ReactionModel {
  id: number;
  commentId: number;
  user: string;
  content: ReactionContent;
  createdAt: string;
}

interface CheckRunModel {
  id: number;
  owner: string;
  repo: string;
  name: string;
  headSha: string;
  externalId: string | null;
  detailsUrl: string | null;
  status: CheckStatus;
  conclusion: CheckConclusion;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number };
  checkSuiteId: number;
  /** The branch of the suite (the PR head branch the commit was pushed to); null for a fork's commit. */
  headBranch: string | null;
}

interface DeploymentModel {
  id: number;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  description: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
  transient: boolean;
  production: boolean;
}

interface DeploymentStatusModel {
  id: number;
  deploymentId: number;
  state: DeploymentState;
  creator: string;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
}

interface TeamModel {
  id: number;
  org: string;
  slug: string;
  members: { login: string; role: 'member' | 'maintainer' }[];
}

interface RouteContext {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  installationId: number;
  path: string;
}

interface Reply {
  status: number;
  body?: unknown;
  /** Sent as-is with content-type text/plain (raw media type). */
  text?: Buffer;
  headers?: Record<string, string>;
}

type RouteAuth = 'app' | 'installation';

interface Route {
  method: string;
  template: string;
  segments: string[];
  auth: RouteAuth;
  handler: (ctx: RouteContext) => Reply | Promise<Reply>;
}

/** GitHub's comment and check-output limit, in characters. */
export const GITHUB_BODY_LIMIT = 65536;
const CHECK_OUTPUT_LIMIT = 65535;
const API_PREFIX = '/api/v3';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A listed PR ("pull-request-simple"): the full PR without its merge state and size fields. */
function pullRequestSimpleShape(pr: Schemas['pull-request']): Schemas['pull-request-simple'] {
  const {
    merged: _merged,
    mergeable: _mergeable,
    rebaseable: _rebaseable,
    mergeable_state: _mergeableState,
    merged_by: _mergedBy,
    comments: _comments,
    review_comments: _reviewComments,
    maintainer_can_modify: _maintainerCanModify,
    commits: _commits,
    additions: _additions,
    deletions: _deletions,
    changed_files: _changedFiles,
    labels: _labels,
    requested_teams: _requestedTeams,
    ...simple
  } = pr;
  // The double models neither labels nor requested teams (always empty); the simple schema types them differently.
  return { ...simple, labels: [], requested_teams: [] };
}

function notFound(): HttpError {
  return new HttpError(404, 'Not Found');
}

function validationFailed(resource: string, field: string, message: string): HttpError {
  return new HttpError(422, 'Validation Failed', { errors: [{ resource, code: 'custom', field, message }] });
}

function isoNow(): string {
  // GitHub timestamps carry no milliseconds.
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class GitHubDouble {
  readonly appId: number;
  readonly appSlug: string;
  private readonly appPublicKey: ReturnType<typeof createPublicKey> | null;
  private readonly tokenTtlSeconds: number;
  private server: Server | null = null;
  private port = 0;
  private nextId = 1000;
  private seq = 0;
  private readonly recorded: RecordedRequest[] = [];
  private readonly failures: (FailureRule & { remaining: number })[] = [];
  private readonly hooks: (RequestRule & { action: () => Promise<unknown> | void })[] = [];
  private readonly routes: Route[] = [];
  private readonly users = new Map<string, UserModel>();
  private readonly installations = new Map<number, InstallationModel>();
  private readonly tokens = new Map<string, TokenModel>();
  private readonly repos = new Map<string, RepoModel>();
  private readonly pulls: PullModel[] = [];
  private readonly issueCounters = new Map<string, number>();
  private readonly reviews: ReviewModel[] = [];
  private readonly comments: CommentModel[] = [];
  private readonly reactions: ReactionModel[] = [];
  private readonly checkRuns: CheckRunModel[] = [];
  /**
   * Check suites someone re-ran ("Re-run" on a run, or "Re-run all checks"): GitHub resets such a suite to
   * queued, clears its conclusion and leaves its runs as they are; the suite shows a result again only once
   * the app creates or updates one of its runs.
   */
  private readonly suitesRequested = new Set<number>();
  private readonly deployments: DeploymentModel[] = [];
  private readonly deploymentStatuses: DeploymentStatusModel[] = [];
  private readonly teams = new Map<string, TeamModel>();
  /** Permission per `owner/repo` (or `*` for every repository), per user. */
  private readonly permissions = new Map<string, Map<string, PermissionLevel>>();
  private readonly createdAt = isoNow();

  private constructor(
    readonly git: GitRepos,
    options: GitHubDoubleOptions,
  ) {
    this.appId = options.appId ?? 1;
    this.appSlug = options.appSlug ?? 'infra-review';
    this.appPublicKey = options.appPublicKey ? createPublicKey(options.appPublicKey) : null;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.defineRoutes();
  }

  /** Starts the double on 127.0.0.1 with a free port. */
  static async start(options: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
    const double = new GitHubDouble(await GitRepos.create(), options);
    const server = createServer((req, res) => void double.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    double.server = server;
    double.port = (server.address() as AddressInfo).port;
    return double;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.git.dispose();
  }

  /** `127.0.0.1:PORT`: the value for GHE_HOST (with GHE_PROTOCOL=http). */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:PORT`: the web and git base. */
  get url(): string {
    return `http://${this.host}`;
  }

  /** `http://127.0.0.1:PORT/api/v3`: the REST base Probot derives from GHE_HOST. */
  get apiUrl(): string {
    return `${this.url}${API_PREFIX}`;
  }

  /** Environment that points a Probot app at this double. */
  get env(): Record<string, string> {
    return { GHE_HOST: this.host, GHE_PROTOCOL: 'http' };
  }

  private get hosts(): Hosts {
    return { api: this.apiUrl, web: this.url };
  }

  // ---------------------------------------------------------------- recording and failures

  /** Every request received so far, oldest first, optionally filtered. */
  requests(filter: { method?: string; path?: string | RegExp; kind?: 'rest' | 'git' } = {}): RecordedRequest[] {
    return this.recorded.filter(
      (r) =>
        (!filter.method || r.method === filter.method.toUpperCase()) &&
        (!filter.kind || r.kind === filter.kind) &&
        (filter.path === undefined || matchPath(filter.path, r.path)),
    );
  }

  /** Requests no route knows: a test asserts this is empty to prove the app only calls modelled endpoints. */
  unknownRequests(): RecordedRequest[] {
    return this.recorded.filter((r) => r.route === null && !r.injected);
  }

  clearRequests(): void {
    this.recorded.length = 0;
  }

  /**
   * Runs `action` (awaited) just before the double answers the next request matching `rule`, once: a change
   * that happens while the app is between two steps, e.g. a push to the base branch in the middle of a job.
   */
  beforeNext(rule: RequestRule, action: () => Promise<unknown> | void): void {
    this.hooks.push({ ...rule, action });
  }

  /** The next `times` requests matching the rule get `status` instead of their answer. */
  failNext(rule: FailureRule): void {
    this.failures.push({ ...rule, remaining: rule.times ?? 1 });
  }

  // ---------------------------------------------------------------- installations and tokens

  /** The installation of the app on `account`, created on first use. */
  installationId(account: string): number {
    for (const inst of this.installations.values()) if (inst.account === account) return inst.id;
    const id = this.newId();
    this.installations.set(id, { id, account, createdAt: isoNow() });
    return id;
  }

  /** An installation token for `account`'s installation, as the app would get it. */
  issueInstallationToken(account: string): string {
    return this.issueToken(this.installationId(account)).token;
  }

  /** Every installation token issued so far (to the app or by `issueInstallationToken`), expired ones included. */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  /** Makes every installation token issued so far expired (the app must fetch a new one). */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = Date.now() - 1000;
  }

  private issueToken(installationId: number): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAt = Date.now() + this.tokenTtlSeconds * 1000;
    this.tokens.set(token, { installationId, expiresAt });
    return { token, expiresAt: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }

  // ---------------------------------------------------------------- scenario helpers

  /** A repository with one commit holding `files` on its default branch (`main`). */
  async createRepo(
    owner: string,
    name: string,
    files: FileChanges,
    options: { defaultBranch?: string; private?: boolean; ownerType?: UserType } = {},
  ): Promise<{ cloneUrl: string; sha: string; installationId: number }> {
    const key = `${owner}/${name}`;
    if (this.repos.has(key)) throw new Error(`repository ${key} exists already`);
    const defaultBranch = options.defaultBranch ?? 'main';
    this.user(owner, options.ownerType ?? 'Organization');
    await this.git.init(owner, name, defaultBranch);
    const sha = await this.git.commit(owner, name, defaultBranch, files, 'Initial commit');
    const now = isoNow();
    this.repos.set(key, { id: this.newId(), owner, name, private: options.private ?? true, fork: false, defaultBranch, createdAt: now, pushedAt: now });
    return { cloneUrl: `${this.url}/${key}.git`, sha, installationId: this.installationId(owner) };
  }

  /**
   * One commit on `branch` applying `files` (`null` deletes a path; a rename is a delete plus
   * an add of the same content). A new branch starts from the default branch. Returns the SHA.
   */
  async pushCommit(owner: string, name: string, branch: string, files: FileChanges, message: string): Promise<string> {
    const repo = this.repo(owner, name);
    const sha = await this.git.commit(owner, name, branch, files, message, `refs/heads/${repo.defaultBranch}`);
    repo.pushedAt = isoNow();
    return sha;
  }

  /** Opens a pull request from `head` into `base` (default: the default branch); returns the `pull_request.opened` delivery. */
  async openPullRequest(options: {
    owner: string;
    repo: string;
    head: string;
    base?: string;
    author: string;
    title: string;
    body?: string;
    draft?: boolean;
    /** The head branch lives in the author's fork (`author/repo`), which the app's installation cannot read. */
    fork?: boolean;
  }): Promise<PullRequestOpenedEvent> {
    const repo = this.repo(options.owner, options.repo);
    const baseRef = options.base ?? repo.defaultBranch;
    const headSha = await this.git.resolve(repo.owner, repo.name, `refs/heads/${options.head}`);
    const baseSha = await this.git.resolve(repo.owner, repo.name, `refs/heads/${baseRef}`);
    if (!headSha) throw new Error(`branch ${options.head} does not exist in ${repo.owner}/${repo.name}`);
    if (!baseSha) throw new Error(`branch ${baseRef} does not exist in ${repo.owner}/${repo.name}`);
    this.user(options.author, 'User');
    let headOwner = repo.owner;
    if (options.fork) {
      headOwner = options.author;
      const forkKey = `${options.author}/${repo.name}`;
      if (!this.repos.has(forkKey)) {
        await this.git.cloneBare({ owner: repo.owner, name: repo.name }, { owner: options.author, name: repo.name });
        const now = isoNow();
        this.repos.set(forkKey, { id: this.newId(), owner: options.author, name: repo.name, private: false, fork: true, defaultBranch: repo.defaultBranch, createdAt: now, pushedAt: now });
      }
      await this.git.copyObjects({ owner: repo.owner, name: repo.name }, { owner: options.author, name: repo.name }, headSha, `refs/heads/${options.head}`);
      // The branch was only staged in the base repository to build its commits: on GitHub it lives in the fork.
      await this.git.deleteRef(repo.owner, repo.name, `refs/heads/${options.head}`);
    }
    const number = this.nextIssueNumber(repo);
    const now = isoNow();
    const pull: PullModel = {
      id: this.newId(),
      owner: repo.owner,
      repo: repo.name,
      number,
      title: options.title,
      body: options.body ?? null,
      author: options.author,
      headOwner,
      headRef: options.head,
      headSha,
      baseRef,
      baseSha,
      draft: options.draft ?? false,
      state: 'open',
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
      mergedBy: null,
    };
    this.pulls.push(pull);
    // GitHub keeps every PR's head fetchable from the base repository, forks included.
    await this.git.updateRef(repo.owner, repo.name, `refs/pull/${number}/head`, headSha);
    return pullRequestOpenedPayload(await this.webhookPull(pull), this.webhookUser(options.author), this.installationId(repo.owner));
  }

  /** Moves the PR's head to the current tip of its head branch (after `pushCommit`); returns the `synchronize` delivery. */
  async synchronizePullRequest(ref: PullRequestRef, sender?: string): Promise<PullRequestSynchronizeEvent> {
    const pull = this.pull(ref);
    const before = pull.headSha;
    const headRepoName = pull.repo;
    let sha = await this.git.resolve(pull.headOwner, headRepoName, `refs/heads/${pull.headRef}`);
    if (pull.headOwner !== pull.owner) {
      // Fork: new commits are staged on the base repository's branch, then moved to the fork.
      const staged = await this.git.resolve(pull.owner, pull.repo, `refs/heads/${pull.headRef}`);
      if (staged) {
        await this.git.copyObjects({ owner: pull.owner, name: pull.repo }, { owner: pull.headOwner, name: headRepoName }, staged, `refs/heads/${pull.headRef}`);
        await this.git.deleteRef(pull.owner, pull.repo, `refs/heads/${pull.headRef}`);
        sha = staged;
      }
    }
    if (!sha) throw new Error(`head branch ${pull.headRef} is gone`);
    pull.headSha = sha;
    pull.baseSha = (await this.git.resolve(pull.owner, pull.repo, `refs/heads/${pull.baseRef}`)) ?? pull.baseSha;
    pull.updatedAt = isoNow();
    await this.git.updateRef(pull.owner, pull.repo, `refs/pull/${pull.number}/head`, sha);
    return pullRequestSynchronizePayload(await this.webhookPull(pull), before, this.webhookUser(sender ?? pull.author), this.installationId(pull.owner));
  }

  /** Closes the PR without merging; returns the `pull_request.closed` delivery. */
  async closePullRequest(ref: PullRequestRef, sender?: string): Promise<PullRequestClosedEvent> {
    const pull = this.pull(ref);
    pull.state = 'closed';
    pull.closedAt = pull.updatedAt = isoNow();
    return pullRequestClosedPayload(await this.webhookPull(pull), this.webhookUser(sender ?? pull.author), this.installationId(pull.owner));
  }

  /** A submitted review on the PR's current head (or `commitId`); returns the `pull_request_review.submitted` delivery. */
  async addReview(options: PullRequestRef & { user: string; state: Exclude<ReviewState, 'DISMISSED'>; body?: string; commitId?: string }): Promise<PullRequestReviewSubmittedEvent> {
    const pull = this.pull(options);
    this.user(options.user, 'User');
    const review: ReviewModel = {
      id: this.newId(),
      owner: pull.owner,
      repo: pull.repo,
      number: pull.number,
      user: options.user,
      state: options.state,
      body: options.body ?? '',
      commitId: options.commitId ?? pull.headSha,
      submittedAt: isoNow(),
    };
    this.reviews.push(review);
    const shape = this.reviewShape(review);
    return pullRequestReviewSubmittedPayload(shape, this.webhookUser(options.user), await this.webhookPull(pull), this.installationId(pull.owner));
  }

  /** Dismisses a review (as a maintainer would); it then no longer approves or blocks. */
  dismissReview(reviewId: number): void {
    const review = this.reviews.find((r) => r.id === reviewId);
    if (!review) throw new Error(`no review ${reviewId}`);
    review.state = 'DISMISSED';
  }

  /** A comment by `user` on the PR; returns the `issue_comment.created` delivery. */
  async addComment(options: PullRequestRef & { user: string; body: string }): Promise<IssueCommentCreatedEvent> {
    const pull = this.pull(options);
    this.user(options.user, 'User');
    const now = isoNow();
    const comment: CommentModel = { id: this.newId(), owner: pull.owner, repo: pull.repo, number: pull.number, user: options.user, body: options.body, createdAt: now, updatedAt: now, viaApp: false };
    this.comments.push(comment);
    return issueCommentCreatedPayload(this.commentShape(comment), this.webhookUser(options.user), await this.webhookPull(pull), null, this.installationId(pull.owner));
  }

  /**
   * `sender` clicks "Re-run" on check run `runId`: the `check_run.rerequested` delivery. GitHub sends it
   * only to the app that created the run; `app` builds the delivery as if another app had (to test that
   * the app refuses what it did not create).
   */
  async rerequestCheckRun(runId: number, options: { sender: string; app?: { id: number; slug: string } }): Promise<CheckRunRerequestedEvent> {
    const run = this.checkRuns.find((c) => c.id === runId);
    if (!run) throw new Error(`no check run ${runId}`);
    const app = options.app ? (appShape(this.hosts, { ...options.app, owner: this.userShape('other-app-owner'), createdAt: this.createdAt }) as WebhookApp) : (this.appShape() as WebhookApp);
    const suite = await this.checkSuite(run.owner, run.repo, run.headSha, app);
    const repo = this.repo(run.owner, run.repo);
    this.user(options.sender, 'User');
    const payload = checkRunRerequestedPayload(this.checkRunShape(run), suite, webhookRepository(this.repoShape(repo), this.webhookUser(repo.owner)), this.webhookUser(options.sender), this.installationId(run.owner));
    // Only a re-run of our own app's run resets a suite of ours (another app's run is in another app's suite).
    if (!options.app) this.suitesRequested.add(run.checkSuiteId);
    return payload;
  }

  /** `sender` clicks "Re-run all checks" on the app's suite of `headSha`: the `check_suite.rerequested` delivery. */
  async rerequestCheckSuite(options: { owner: string; repo: string; headSha: string; sender: string }): Promise<CheckSuiteRerequestedEvent> {
    const suite = await this.checkSuite(options.owner, options.repo, options.headSha, this.appShape() as WebhookApp);
    this.user(options.sender, 'User');
    const repo = this.repo(options.owner, options.repo);
    const payload = checkSuiteRerequestedPayload(suite, webhookRepository(this.repoShape(repo), this.webhookUser(repo.owner)), this.webhookUser(options.sender), this.installationId(options.owner));
    this.suitesRequested.add(suite.id);
    return payload;
  }

  /** `user`'s permission on one repository (`owner/name`) or, without `repo`, on every repository. */
  setPermission(user: string, level: PermissionLevel, repo?: string): void {
    this.user(user, 'User');
    const key = repo ?? '*';
    const map = this.permissions.get(key) ?? new Map<string, PermissionLevel>();
    map.set(user, level);
    this.permissions.set(key, map);
  }

  /** A team `org/slug`; members are logins (role member) or `{ login, role }`. */
  addTeam(org: string, slug: string, members: (string | { login: string; role: 'member' | 'maintainer' })[]): void {
    this.user(org, 'Organization');
    const list = members.map((m) => (typeof m === 'string' ? { login: m, role: 'member' as const } : m));
    for (const m of list) this.user(m.login, 'User');
    const existing = this.teams.get(`${org}/${slug}`);
    this.teams.set(`${org}/${slug}`, { id: existing?.id ?? this.newId(), org, slug, members: list });
  }

  // ---------------------------------------------------------------- inspection (what GitHub would show)

  /** The PR as `GET /repos/{owner}/{repo}/pulls/{number}` returns it. */
  async pullRequest(ref: PullRequestRef): Promise<Schemas['pull-request']> {
    return this.pullShape(this.pull(ref));
  }

  /** The PR's comments, oldest first, as the REST API returns them. */
  issueComments(ref: PullRequestRef): Schemas['issue-comment'][] {
    return this.comments.filter((c) => c.owner === ref.owner && c.repo === ref.repo && c.number === ref.number).map((c) => this.commentShape(c));
  }

  /** Reactions on one comment. */
  commentReactions(commentId: number): Schemas['reaction'][] {
    return this.reactions.filter((r) => r.commentId === commentId).map((r) => reactionShape({ ...r, user: this.userShape(r.user) }));
  }

  /** Every check run of the repository (optionally for one head SHA), oldest first. */
  checkRunsFor(owner: string, repo: string, headSha?: string): Schemas['check-run'][] {
    return this.checkRuns.filter((c) => c.owner === owner && c.repo === repo && (!headSha || c.headSha === headSha)).map((c) => this.checkRunShape(c));
  }

  /**
   * The app's check suite on `headSha` as GitHub shows it: from its runs (the latest of each name), or
   * queued with no conclusion after a re-run request until the app writes one of its runs again.
   */
  checkSuiteState(owner: string, repo: string, headSha: string): { status: 'queued' | 'in_progress' | 'completed'; conclusion: string | null } {
    const runs = this.checkRuns.filter((c) => c.owner === owner && c.repo === repo && c.headSha === headSha);
    const first = runs[0];
    if (!first) throw new Error(`no check suite on ${owner}/${repo}@${headSha}: no check run was created for it`);
    if (this.suitesRequested.has(first.checkSuiteId)) return { status: 'queued', conclusion: null };
    return suiteState(runs.filter((c) => !runs.some((o) => o.name === c.name && o.id > c.id)));
  }

  /** Deployments of the repository, newest first, each with its statuses (newest first). */
  deploymentsFor(owner: string, repo: string): { deployment: Schemas['deployment']; statuses: Schemas['deployment-status'][] }[] {
    return this.deployments
      .filter((d) => d.owner === owner && d.repo === repo)
      .reverse()
      .map((d) => ({ deployment: this.deploymentShape(d), statuses: this.statusesOf(d).map((s) => this.deploymentStatusShape(d, s)) }));
  }

  /** The SHA a branch or ref points at in the real repository. */
  resolveRef(owner: string, repo: string, ref: string): Promise<string | null> {
    return this.git.resolve(owner, repo, ref);
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    const isRest = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'authorization' || name === 'cookie' || value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: RecordedRequest = {
      seq: ++this.seq,
      kind: isRest ? 'rest' : 'git',
      method: (req.method ?? 'GET').toUpperCase(),
      path: isRest ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      auth: 'none',
      body: undefined,
      route: null,
      status: 0,
      injected: false,
    };
    this.recorded.push(record);
    try {
      const hook = this.hooks.find((h) => (!h.method || h.method.toUpperCase() === record.method) && matchPath(h.pathPattern, record.path));
      if (hook) {
        this.hooks.splice(this.hooks.indexOf(hook), 1);
        await hook.action();
      }
      if (isRest) await this.handleRest(req, res, record);
      else await this.handleGit(req, res, record, url);
    } catch (error) {
      if (!res.headersSent) {
        record.status = 500;
        this.sendJson(res, 500, { message: `double failed: ${error instanceof Error ? error.message : String(error)}` });
      } else {
        res.end();
      }
    }
  }

  private async handleRest(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const raw = await readBody(req);
    if (raw.length > 0) {
      try {
        record.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return this.reply(res, record, { status: 400, body: errorShape('Problems parsing JSON', 400) });
      }
    }
    const match = this.matchRoute(record.method, record.path);
    if (match) record.route = `${match.route.method} ${match.route.template}`;
    if (this.injectFailure(res, record)) return;
    if (!match) return this.reply(res, record, { status: 404, body: errorShape('Not Found', 404) });

    const auth = this.authenticate(req.headers.authorization, match.route.auth);
    record.auth = auth.kind;
    if (auth.installationId !== undefined) record.installationId = auth.installationId;
    if (auth.error) return this.reply(res, record, { status: auth.error.status, body: errorShape(auth.error.message, auth.error.status) });

    try {
      if (match.params.owner && match.params.repo && match.route.auth === 'installation') this.authorizeRepo(auth.installationId, match.params.owner, match.params.repo);
      const reply = await match.route.handler({
        params: match.params,
        query: record.query,
        body: record.body,
        headers: record.headers,
        installationId: auth.installationId ?? 0,
        path: record.path,
      });
      this.reply(res, record, reply);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.reply(res, record, { status: error.status, body: { ...errorShape(error.message, error.status), ...error.extra } });
    }
  }

  private async handleGit(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, url: URL): Promise<void> {
    const match = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/.exec(url.pathname);
    if (!match) {
      if (this.injectFailure(res, record)) return;
      return this.replyText(res, record, 404, 'Not Found');
    }
    const [, owner = '', name = '', service = ''] = match;
    record.route = `${record.method} /{owner}/{repo}.git/${service}`;
    if (this.injectFailure(res, record)) return;
    const basic = parseBasicAuth(req.headers.authorization);
    const token = basic ? this.tokens.get(basic.password) : undefined;
    if (!basic || basic.username !== 'x-access-token' || !token || token.expiresAt <= Date.now()) {
      record.auth = basic ? 'invalid' : 'none';
      res.setHeader('WWW-Authenticate', 'Basic realm="GitHub"');
      return this.replyText(res, record, 401, 'Invalid username or token. Password authentication is not supported for Git operations.');
    }
    record.auth = 'basic';
    record.installationId = token.installationId;
    const installation = this.installations.get(token.installationId);
    if (!this.repos.has(`${owner}/${name}`) || installation?.account !== owner) {
      return this.replyText(res, record, 404, 'Repository not found.');
    }
    record.status = 200;
    res.on('finish', () => (record.status = res.statusCode));
    await serveGitHttpBackend(req, res, this.git.root, `/${owner}/${name}.git/${service}`, url.search.slice(1));
  }

  private injectFailure(res: ServerResponse, record: RecordedRequest): boolean {
    const rule = this.failures.find((f) => f.remaining > 0 && (!f.method || f.method.toUpperCase() === record.method) && matchPath(f.pathPattern, record.path));
    if (!rule) return false;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.failures.splice(this.failures.indexOf(rule), 1);
    record.injected = true;
    const wait = rule.waitSeconds ?? 1;
    const headers: Record<string, string> = {};
    let body = errorShape(rule.status === 502 ? 'Server Error' : 'Internal Server Error', rule.status);
    if (rule.status === 403) {
      const kind = rule.rateLimit ?? 'primary';
      if (kind === 'primary') {
        headers['x-ratelimit-limit'] = '5000';
        headers['x-ratelimit-remaining'] = '0';
        headers['x-ratelimit-used'] = '5000';
        headers['x-ratelimit-resource'] = 'core';
        headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + wait);
        body = { message: `API rate limit exceeded for installation ID ${record.installationId ?? 0}.`, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api', status: '403' };
      } else if (kind === 'secondary') {
        headers['retry-after'] = String(wait);
        body = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits', status: '403' };
      } else {
        body = errorShape('Resource not accessible by integration', 403);
      }
    }
    this.reply(res, record, { status: rule.status, body, headers });
    return true;
  }

  private reply(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
    record.status = reply.status;
    const headers: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': `DOUBLE:${record.seq}`,
      ...(reply.headers?.['x-ratelimit-remaining'] === undefined
        ? { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600) }
        : {}),
      ...reply.headers,
    };
    if (reply.text) {
      res.writeHead(reply.status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(reply.text.length) });
      res.end(reply.text);
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  private replyText(res: ServerResponse, record: RecordedRequest, status: number, text: string): void {
    record.status = status;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private authenticate(header: string | undefined, needed: RouteAuth): { kind: AuthKind; installationId?: number; error?: { status: number; message: string } } {
    if (!header) return { kind: 'none', error: { status: 401, message: 'Requires authentication' } };
    const [scheme = '', credential = ''] = header.split(/\s+/, 2);
    if (needed === 'app') {
      if (scheme.toLowerCase() !== 'bearer') return { kind: 'invalid', error: { status: 401, message: 'A JSON web token could not be decoded' } };
      const problem = this.checkJwt(credential);
      return problem ? { kind: 'invalid', error: { status: 401, message: problem } } : { kind: 'jwt' };
    }
    if (scheme.toLowerCase() !== 'token' && scheme.toLowerCase() !== 'bearer') return { kind: 'invalid', error: { status: 401, message: 'Bad credentials' } };
    const token = this.tokens.get(credential);
    if (!token || token.expiresAt <= Date.now()) return { kind: 'invalid', error: { status: 401, message: 'Bad credentials' } };
    return { kind: 'installation', installationId: token.installationId };
  }

  /** Returns what is wrong with an app JWT, or null when GitHub would accept it. */
  private checkJwt(jwt: string): string | null {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'A JSON web token could not be decoded';
    let header: { alg?: string };
    let payload: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as typeof header;
      payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as typeof payload;
    } catch {
      return 'A JSON web token could not be decoded';
    }
    if (header.alg !== 'RS256') return 'A JSON web token could not be decoded';
    if (String(payload.iss) !== String(this.appId)) return `'Issuer' claim ('iss') must be an Integer`;
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp !== 'number' || payload.exp <= now) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    if (typeof payload.iat !== 'number' || payload.iat > now + 60) return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
    if (payload.exp - payload.iat > 600 + 60) return "'Expiration time' claim ('exp') is too far in the future";
    if (this.appPublicKey) {
      const verifier = createVerify('RSA-SHA256');
      verifier.update(`${parts[0]}.${parts[1]}`);
      if (!verifier.verify(this.appPublicKey, Buffer.from(parts[2] ?? '', 'base64url'))) return 'A JSON web token could not be decoded';
    }
    return null;
  }

  /** An installation sees only its account's repositories; everything else is 404 as on GitHub. */
  private authorizeRepo(installationId: number | undefined, owner: string, repo: string): void {
    const installation = installationId === undefined ? undefined : this.installations.get(installationId);
    if (!installation || installation.account !== owner || !this.repos.has(`${owner}/${repo}`)) throw notFound();
  }

  private matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const segments = path.split('/').slice(1);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchSegments(route.segments, segments);
      if (params) return { route, params };
    }
    return null;
  }

  private on(method: string, template: string, auth: RouteAuth, handler: Route['handler']): void {
    this.routes.push({ method, template, segments: template.split('/').slice(1), auth, handler });
  }

  // ---------------------------------------------------------------- routes

  private defineRoutes(): void {
    // The app itself (JWT).
    this.on('GET', '/app', 'app', () => ({ status: 200, body: this.appShape() }));
    this.on('GET', '/app/installations', 'app', (ctx) => this.paginate(ctx, [...this.installations.values()].map((i) => this.installationShape(i))));
    this.on('GET', '/app/installations/{installation_id}', 'app', (ctx) => ({ status: 200, body: this.installationShape(this.installationById(ctx.params.installation_id)) }));
    this.on('POST', '/app/installations/{installation_id}/access_tokens', 'app', (ctx) => {
      const installation = this.installationById(ctx.params.installation_id);
      const { token, expiresAt } = this.issueToken(installation.id);
      return { status: 201, body: installationTokenShape(token, expiresAt) };
    });
    this.on('GET', '/repos/{owner}/{repo}/installation', 'app', (ctx) => {
      if (!this.repos.has(`${ctx.params.owner}/${ctx.params.repo}`)) throw notFound();
      return { status: 200, body: this.installationShape(this.installationByAccount(ctx.params.owner ?? '')) };
    });
    this.on('GET', '/orgs/{org}/installation', 'app', (ctx) => ({ status: 200, body: this.installationShape(this.installationByAccount(ctx.params.org ?? '')) }));
    this.on('GET', '/users/{username}/installation', 'app', (ctx) => ({ status: 200, body: this.installationShape(this.installationByAccount(ctx.params.username ?? '')) }));

    // Installation-scoped.
    this.on('GET', '/installation/repositories', 'installation', (ctx) => {
      const installation = this.installations.get(ctx.installationId);
      const repos = [...this.repos.values()].filter((r) => r.owner === installation?.account).map((r) => this.repoShape(r));
      return this.paginate(ctx, repos, (items, total) => ({ total_count: total, repository_selection: 'all', repositories: items }));
    });
    this.on('GET', '/repos/{owner}/{repo}/pulls', 'installation', (ctx) => this.listPulls(ctx));
    this.on('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 'installation', async (ctx) => ({ status: 200, body: await this.pullShape(this.pullFromParams(ctx)) }));
    this.on('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files', 'installation', async (ctx) => {
      const pull = this.pullFromParams(ctx);
      // GitHub lists at most 3,000 files of a PR (the rest are simply not listed; `changed_files` counts them all).
      return this.paginate(ctx, (await this.pullFiles(pull)).slice(0, MAX_LISTED_PR_FILES));
    });
    this.on('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'installation', (ctx) => this.mergePull(ctx));
    this.on('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'installation', (ctx) => {
      const pull = this.pullFromParams(ctx);
      const reviews = this.reviews.filter((r) => r.owner === pull.owner && r.repo === pull.repo && r.number === pull.number).map((r) => this.reviewShape(r));
      return this.paginate(ctx, reviews);
    });
    this.on('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals', 'installation', (ctx) => {
      const pull = this.pullFromParams(ctx);
      const review = this.reviews.find((r) => r.id === Number(ctx.params.review_id) && r.owner === pull.owner && r.repo === pull.repo && r.number === pull.number);
      if (!review) throw notFound();
      const message = objectBody(ctx).message;
      if (typeof message !== 'string' || message === '') throw validationFailed('PullRequestReview', 'message', 'message is missing');
      review.state = 'DISMISSED';
      return { status: 200, body: this.reviewShape(review) };
    });

    this.on('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'installation', (ctx) => {
      const pull = this.pullFromParams(ctx, 'issue_number');
      return this.paginate(ctx, this.issueComments(pull));
    });
    this.on('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'installation', (ctx) => {
      const pull = this.pullFromParams(ctx, 'issue_number');
      const body = commentBody(ctx);
      const now = isoNow();
      const comment: CommentModel = { id: this.newId(), owner: pull.owner, repo: pull.repo, number: pull.number, user: this.botLogin, body, createdAt: now, updatedAt: now, viaApp: true };
      this.comments.push(comment);
      return { status: 201, body: this.commentShape(comment) };
    });
    this.on('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'installation', (ctx) => ({ status: 200, body: this.commentShape(this.commentFromParams(ctx)) }));
    this.on('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'installation', (ctx) => {
      const comment = this.commentFromParams(ctx);
      comment.body = commentBody(ctx);
      comment.updatedAt = isoNow();
      return { status: 200, body: this.commentShape(comment) };
    });
    this.on('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'installation', (ctx) => {
      const comment = this.commentFromParams(ctx);
      this.comments.splice(this.comments.indexOf(comment), 1);
      return { status: 204 };
    });
    this.on('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', 'installation', (ctx) => {
      const comment = this.commentFromParams(ctx);
      const all = this.commentReactions(comment.id);
      return this.paginate(ctx, ctx.query.content ? all.filter((r) => r.content === ctx.query.content) : all);
    });
    this.on('POST', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', 'installation', (ctx) => {
      const comment = this.commentFromParams(ctx);
      const content = objectBody(ctx).content;
      if (typeof content !== 'string' || !(REACTION_CONTENTS as readonly string[]).includes(content)) throw validationFailed('Reaction', 'content', 'content is not included in the list');
      const existing = this.reactions.find((r) => r.commentId === comment.id && r.user === this.botLogin && r.content === content);
      if (existing) return { status: 200, body: reactionShape({ ...existing, user: this.userShape(existing.user) }) };
      const reaction: ReactionModel = { id: this.newId(), commentId: comment.id, user: this.botLogin, content: content as ReactionContent, createdAt: isoNow() };
      this.reactions.push(reaction);
      return { status: 201, body: reactionShape({ ...reaction, user: this.userShape(reaction.user) }) };
    });
    this.on('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}', 'installation', (ctx) => {
      const comment = this.commentFromParams(ctx);
      const index = this.reactions.findIndex((r) => r.commentId === comment.id && r.id === Number(ctx.params.reaction_id));
      if (index === -1) throw notFound();
      this.reactions.splice(index, 1);
      return { status: 204 };
    });

    this.on('GET', '/repos/{owner}/{repo}/compare/{basehead}', 'installation', (ctx) => this.compare(ctx));
    this.on('GET', '/repos/{owner}/{repo}/git/ref/{ref*}', 'installation', async (ctx) => {
      const ref = `refs/${ctx.params.ref ?? ''}`;
      const sha = await this.git.resolve(ctx.params.owner ?? '', ctx.params.repo ?? '', ref);
      if (!sha) throw notFound();
      const url = `${this.apiUrl}/repos/${ctx.params.owner}/${ctx.params.repo}/git/${ref}`;
      const body: Schemas['git-ref'] = { ref, node_id: `REF_${sha.slice(0, 12)}`, url, object: { type: 'commit', sha, url: `${this.apiUrl}/repos/${ctx.params.owner}/${ctx.params.repo}/git/commits/${sha}` } };
      return { status: 200, body };
    });

    this.on('POST', '/repos/{owner}/{repo}/check-runs', 'installation', (ctx) => this.createCheckRun(ctx));
    this.on('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'installation', (ctx) => this.updateCheckRun(ctx));
    this.on('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'installation', (ctx) => ({ status: 200, body: this.checkRunShape(this.checkRunFromParams(ctx)) }));
    this.on('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', 'installation', async (ctx) => {
      const sha = await this.git.resolve(ctx.params.owner ?? '', ctx.params.repo ?? '', ctx.params.ref ?? '');
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref}`);
      let runs = this.checkRuns.filter((c) => c.owner === ctx.params.owner && c.repo === ctx.params.repo && c.headSha === sha);
      if (ctx.query.check_name) runs = runs.filter((c) => c.name === ctx.query.check_name);
      if (ctx.query.status) runs = runs.filter((c) => c.status === ctx.query.status);
      // filter=latest (the default) keeps the most recent run of each name.
      if ((ctx.query.filter ?? 'latest') === 'latest') runs = runs.filter((c) => !runs.some((o) => o.name === c.name && o.id > c.id));
      const shapes = runs.reverse().map((c) => this.checkRunShape(c));
      return this.paginate(ctx, shapes, (items, total) => ({ total_count: total, check_runs: items }));
    });

    this.on('GET', '/repos/{owner}/{repo}/contents', 'installation', (ctx) => this.getContents(ctx, ''));
    this.on('GET', '/repos/{owner}/{repo}/contents/{path*}', 'installation', (ctx) => this.getContents(ctx, ctx.params.path ?? ''));

    this.on('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', 'installation', (ctx) => {
      const user = ctx.params.username ?? '';
      return { status: 200, body: collaboratorPermissionShape(this.userShape(user), this.permissionOf(user, ctx.params.owner ?? '', ctx.params.repo ?? '')) };
    });
    this.on('GET', '/repos/{owner}/{repo}/collaborators/{username}', 'installation', (ctx) => {
      const level = this.permissionOf(ctx.params.username ?? '', ctx.params.owner ?? '', ctx.params.repo ?? '');
      if (level === 'none') throw notFound();
      return { status: 204 };
    });

    this.on('GET', '/orgs/{org}/teams/{team_slug}/members', 'installation', (ctx) => {
      const team = this.teamFromParams(ctx);
      const role = ctx.query.role ?? 'all';
      const members = team.members.filter((m) => role === 'all' || m.role === role).map((m) => this.userShape(m.login));
      return this.paginate(ctx, members);
    });
    this.on('GET', '/orgs/{org}/teams/{team_slug}/memberships/{username}', 'installation', (ctx) => {
      const team = this.teamFromParams(ctx);
      const member = team.members.find((m) => m.login === ctx.params.username);
      if (!member) throw notFound();
      return { status: 200, body: teamMembershipShape(this.hosts, team.id, member.login, member.role) };
    });

    this.on('POST', '/repos/{owner}/{repo}/deployments', 'installation', (ctx) => this.createDeployment(ctx));
    this.on('GET', '/repos/{owner}/{repo}/deployments', 'installation', (ctx) => {
      const q = ctx.query;
      const list = this.deployments
        .filter((d) => d.owner === ctx.params.owner && d.repo === ctx.params.repo)
        .filter((d) => (!q.sha || d.sha === q.sha) && (!q.ref || d.ref === q.ref) && (!q.task || d.task === q.task) && (!q.environment || d.environment === q.environment))
        .reverse()
        .map((d) => this.deploymentShape(d));
      return this.paginate(ctx, list);
    });
    this.on('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}', 'installation', (ctx) => ({ status: 200, body: this.deploymentShape(this.deploymentFromParams(ctx)) }));
    this.on('POST', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'installation', (ctx) => this.createDeploymentStatus(ctx));
    this.on('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'installation', (ctx) => {
      const deployment = this.deploymentFromParams(ctx);
      return this.paginate(ctx, this.statusesOf(deployment).map((s) => this.deploymentStatusShape(deployment, s)));
    });
  }

  // ---------------------------------------------------------------- route bodies

  private async pullFiles(pull: PullModel): Promise<Schemas['diff-entry'][]> {
    const changes: GitFileChange[] = await this.git.diffFiles(pull.owner, pull.repo, pull.baseSha, pull.headSha);
    const patches = await this.git.patches(pull.owner, pull.repo, pull.baseSha, pull.headSha);
    const repo = this.repoShape(this.repo(pull.owner, pull.repo));
    return changes.map((c, i) => {
      const patch = patches[i];
      return diffEntryShape(repo, pull.headSha, { ...c, ...(patch ? { patch } : {}) });
    });
  }

  private async compare(ctx: RouteContext): Promise<Reply> {
    const owner = ctx.params.owner ?? '';
    const name = ctx.params.repo ?? '';
    const parts = (ctx.params.basehead ?? '').split('...');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw notFound();
    const [base = '', head = ''] = parts;
    const baseSha = await this.git.resolve(owner, name, base);
    const headSha = await this.git.resolve(owner, name, head);
    if (!baseSha || !headSha) throw notFound();
    const mergeBase = await this.git.mergeBase(owner, name, baseSha, headSha);
    if (!mergeBase) throw notFound();
    const repo = this.repoShape(this.repo(owner, name));
    const ahead = await this.git.commitsBetween(owner, name, baseSha, headSha);
    const behind = await this.git.commitsBetween(owner, name, headSha, baseSha);
    const changes = await this.git.diffFiles(owner, name, baseSha, headSha);
    const patches = await this.git.patches(owner, name, baseSha, headSha);
    // GitHub lists at most 300 files and 250 commits (oldest first) in one comparison.
    const files = changes.slice(0, 300).map((c, i) => {
      const patch = patches[i];
      return diffEntryShape(repo, headSha, { ...c, ...(patch ? { patch } : {}) });
    });
    const commits = await Promise.all([...ahead].reverse().slice(0, 250).map(async (sha) => commitShape(repo, await this.git.commitInfo(owner, name, sha))));
    return {
      status: 200,
      body: commitComparisonShape(repo, {
        base,
        head,
        baseCommit: commitShape(repo, await this.git.commitInfo(owner, name, baseSha)),
        mergeBaseCommit: commitShape(repo, await this.git.commitInfo(owner, name, mergeBase)),
        aheadBy: ahead.length,
        behindBy: behind.length,
        commits,
        files,
      }),
    };
  }

  /** `GET /repos/{owner}/{repo}/pulls`: state, head (`owner:branch`), base, sort and direction, as GitHub filters them. */
  private async listPulls(ctx: RouteContext): Promise<Reply> {
    this.repo(ctx.params.owner ?? '', ctx.params.repo ?? '');
    const q = ctx.query;
    const state = q.state ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) throw validationFailed('PullRequest', 'state', `state is not one of open, closed, all`);
    const sort = q.sort ?? 'created';
    if (!['created', 'updated', 'popularity', 'long-running'].includes(sort)) throw validationFailed('PullRequest', 'sort', `sort is not one of created, updated, popularity, long-running`);
    // GitHub: descending by default for created (and no sort), ascending otherwise.
    const direction = q.direction ?? (sort === 'created' ? 'desc' : 'asc');
    const key = (p: PullModel) => (sort === 'updated' ? p.updatedAt : p.createdAt);
    const list = this.pulls
      .filter((p) => p.owner === ctx.params.owner && p.repo === ctx.params.repo && (state === 'all' || p.state === state))
      .filter((p) => (!q.head || `${p.headOwner}:${p.headRef}` === q.head) && (!q.base || p.baseRef === q.base))
      // Ties (same second) by number, so the order is stable.
      .sort((a, b) => (key(a) === key(b) ? a.number - b.number : key(a) < key(b) ? -1 : 1) * (direction === 'desc' ? -1 : 1));
    const shapes = await Promise.all(list.map(async (p) => pullRequestSimpleShape(await this.pullShape(p))));
    return this.paginate(ctx, shapes);
  }

  private async mergePull(ctx: RouteContext): Promise<Reply> {
    const pull = this.pullFromParams(ctx);
    const body = objectBody(ctx);
    if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
    if (typeof body.sha === 'string' && body.sha !== pull.headSha) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
    const method = typeof body.merge_method === 'string' ? body.merge_method : 'merge';
    if (!['merge', 'squash', 'rebase'].includes(method)) throw validationFailed('PullRequest', 'merge_method', 'merge_method is not included in the list');
    const title = typeof body.commit_title === 'string' ? body.commit_title : `Merge pull request #${pull.number} from ${pull.headOwner}/${pull.headRef}`;
    const message = typeof body.commit_message === 'string' ? `${title}\n\n${body.commit_message}` : title;
    const sha = await this.git.merge(pull.owner, pull.repo, pull.baseRef, pull.headSha, message, method === 'merge' ? 'merge' : 'squash');
    if (!sha) throw new HttpError(405, 'Pull Request is not mergeable');
    const now = isoNow();
    Object.assign(pull, { state: 'closed', closedAt: now, mergedAt: now, updatedAt: now, mergeCommitSha: sha, mergedBy: this.botLogin });
    return { status: 200, body: mergeResultShape(sha) };
  }

  private async createCheckRun(ctx: RouteContext): Promise<Reply> {
    const body = objectBody(ctx);
    if (typeof body.name !== 'string' || body.name === '') throw new HttpError(422, 'Invalid request.\n\n"name" wasn\'t supplied.');
    if (typeof body.head_sha !== 'string') throw new HttpError(422, 'Invalid request.\n\n"head_sha" wasn\'t supplied.');
    const sha = await this.git.resolve(ctx.params.owner ?? '', ctx.params.repo ?? '', body.head_sha);
    if (!sha || sha !== body.head_sha) throw new HttpError(422, `No commit found for SHA: ${body.head_sha}`);
    const run: CheckRunModel = {
      id: this.newId(),
      owner: ctx.params.owner ?? '',
      repo: ctx.params.repo ?? '',
      name: body.name,
      headSha: sha,
      externalId: null,
      detailsUrl: null,
      status: 'queued',
      conclusion: null,
      startedAt: isoNow(),
      completedAt: null,
      output: { title: null, summary: null, text: null, annotationsCount: 0 },
      checkSuiteId: this.checkSuiteId(ctx.params.owner ?? '', ctx.params.repo ?? '', sha),
      headBranch: this.pulls.find((p) => p.owner === ctx.params.owner && p.repo === ctx.params.repo && p.headOwner === p.owner && p.headSha === sha)?.headRef ?? null,
    };
    applyCheckRunFields(run, body);
    this.checkRuns.push(run);
    this.suitesRequested.delete(run.checkSuiteId);
    return { status: 201, body: this.checkRunShape(run) };
  }

  private updateCheckRun(ctx: RouteContext): Reply {
    const run = this.checkRunFromParams(ctx);
    const body = objectBody(ctx);
    // Validate on a copy so a rejected update leaves the run untouched.
    const next: CheckRunModel = { ...run, output: { ...run.output } };
    if (typeof body.name === 'string') next.name = body.name;
    applyCheckRunFields(next, body);
    Object.assign(run, next);
    this.suitesRequested.delete(run.checkSuiteId);
    return { status: 200, body: this.checkRunShape(run) };
  }

  private async getContents(ctx: RouteContext, filePath: string): Promise<Reply> {
    const repoModel = this.repo(ctx.params.owner ?? '', ctx.params.repo ?? '');
    const ref = ctx.query.ref || repoModel.defaultBranch;
    const sha = await this.git.resolve(repoModel.owner, repoModel.name, ref);
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const entry = await this.git.entry(repoModel.owner, repoModel.name, sha, filePath);
    if (!entry) throw notFound();
    const repo = this.repoShape(repoModel);
    if (entry.type === 'dir') {
      const entries = (await this.git.listDir(repoModel.owner, repoModel.name, sha, filePath)) ?? [];
      return { status: 200, body: contentDirectoryShape(repo, ref, entries) };
    }
    const content = await this.git.readFile(repoModel.owner, repoModel.name, sha, entry.path);
    if (!content) throw notFound();
    const accept = ctx.headers.accept ?? '';
    // The raw media type (used by Probot's context.config()) returns the bytes themselves.
    if (/application\/vnd\.github(\.v3)?\.raw/.test(accept)) return { status: 200, text: content };
    return { status: 200, body: contentFileShape(repo, ref, { path: entry.path, sha: entry.sha, content }) };
  }

  private async createDeployment(ctx: RouteContext): Promise<Reply> {
    const body = objectBody(ctx);
    const owner = ctx.params.owner ?? '';
    const name = ctx.params.repo ?? '';
    if (typeof body.ref !== 'string' || body.ref === '') throw validationFailed('Deployment', 'ref', 'ref is missing');
    const sha = await this.git.resolve(owner, name, body.ref);
    if (!sha) throw new HttpError(422, `No ref found for: ${body.ref}`);
    // auto_merge (default true): a branch behind the default branch first gets it merged in,
    // and GitHub answers 202 without creating the deployment.
    const repoModel = this.repo(owner, name);
    const branchSha = await this.git.resolve(owner, name, `refs/heads/${body.ref}`);
    if (body.auto_merge !== false && branchSha === sha && body.ref !== repoModel.defaultBranch) {
      const defaultSha = await this.git.resolve(owner, name, `refs/heads/${repoModel.defaultBranch}`);
      if (defaultSha && (await this.git.mergeBase(owner, name, defaultSha, sha)) !== defaultSha) {
        const merged = await this.git.merge(owner, name, body.ref, defaultSha, `Merge ${repoModel.defaultBranch} into ${body.ref}`, 'merge');
        if (!merged) throw new HttpError(409, `Conflict merging ${repoModel.defaultBranch} into ${body.ref}.`);
        return { status: 202, body: { message: `Auto-merged ${repoModel.defaultBranch} into ${body.ref} on deployment.` } };
      }
    }
    // required_contexts (default: every context): all checks on the commit must have passed.
    const required = Array.isArray(body.required_contexts) ? body.required_contexts.filter((c): c is string => typeof c === 'string') : null;
    const onCommit = this.checkRuns.filter((c) => c.owner === owner && c.repo === name && c.headSha === sha);
    const latest = onCommit.filter((c) => !onCommit.some((o) => o.name === c.name && o.id > c.id));
    const failing = latest
      .filter((c) => required === null || required.includes(c.name))
      .filter((c) => !(c.status === 'completed' && (c.conclusion === 'success' || c.conclusion === 'neutral' || c.conclusion === 'skipped')));
    const missing = (required ?? []).filter((context) => !latest.some((c) => c.name === context));
    if (failing.length > 0 || missing.length > 0) {
      throw new HttpError(409, 'Conflict: Commit status checks failed for ' + body.ref + '.', {
        errors: [...failing.map((c) => ({ contexts: [{ context: c.name, state: c.conclusion ?? 'pending' }], resource: 'Deployment', field: 'required_contexts', code: 'invalid' })), ...missing.map((m) => ({ contexts: [{ context: m, state: 'missing' }], resource: 'Deployment', field: 'required_contexts', code: 'invalid' }))],
      });
    }
    const environment = typeof body.environment === 'string' ? body.environment : 'production';
    const now = isoNow();
    const payload = body.payload;
    const deployment: DeploymentModel = {
      id: this.newId(),
      owner: ctx.params.owner ?? '',
      repo: ctx.params.repo ?? '',
      sha,
      ref: body.ref,
      task: typeof body.task === 'string' ? body.task : 'deploy',
      payload: typeof payload === 'string' || (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) ? (payload as Record<string, unknown> | string) : {},
      environment,
      description: typeof body.description === 'string' ? body.description : null,
      creator: this.botLogin,
      createdAt: now,
      updatedAt: now,
      transient: body.transient_environment === true,
      production: typeof body.production_environment === 'boolean' ? body.production_environment : environment === 'production',
    };
    this.deployments.push(deployment);
    return { status: 201, body: this.deploymentShape(deployment) };
  }

  private createDeploymentStatus(ctx: RouteContext): Reply {
    const deployment = this.deploymentFromParams(ctx);
    const body = objectBody(ctx);
    const states: DeploymentState[] = ['error', 'failure', 'inactive', 'pending', 'success', 'queued', 'in_progress'];
    if (typeof body.state !== 'string' || !(states as string[]).includes(body.state)) throw validationFailed('DeploymentStatus', 'state', 'state is not included in the list');
    const state = body.state as DeploymentState;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    if ([...str(body.description)].length > 140) throw validationFailed('DeploymentStatus', 'description', 'description is too long (maximum is 140 characters)');
    const status: DeploymentStatusModel = {
      id: this.newId(),
      deploymentId: deployment.id,
      state,
      creator: this.botLogin,
      description: str(body.description),
      environment: typeof body.environment === 'string' ? body.environment : deployment.environment,
      targetUrl: str(body.target_url) || str(body.log_url),
      logUrl: str(body.log_url) || str(body.target_url),
      environmentUrl: str(body.environment_url),
      createdAt: isoNow(),
    };
    this.deploymentStatuses.push(status);
    deployment.updatedAt = status.createdAt;
    // auto_inactive (default true): a success marks earlier non-transient deployments of the environment inactive.
    if (state === 'success' && body.auto_inactive !== false) {
      for (const other of this.deployments) {
        if (other.id === deployment.id || other.owner !== deployment.owner || other.repo !== deployment.repo || other.environment !== deployment.environment || other.transient) continue;
        const latest = this.statusesOf(other)[0];
        if (latest && latest.state !== 'inactive') {
          this.deploymentStatuses.push({ ...latest, id: this.newId(), state: 'inactive', description: '', createdAt: status.createdAt });
        }
      }
    }
    return { status: 201, body: this.deploymentStatusShape(deployment, status) };
  }

  private paginate<T>(ctx: RouteContext, items: T[], wrap?: (items: T[], total: number) => unknown): Reply {
    const perPage = Math.min(Math.max(Number(ctx.query.per_page) || 30, 1), 100);
    const page = Math.max(Number(ctx.query.page) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (p: number, rel: string) => {
      const query = new URLSearchParams({ ...ctx.query, per_page: String(perPage), page: String(p) });
      return `<${this.apiUrl}${ctx.path}?${query.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return { status: 200, body: wrap ? wrap(slice, items.length) : slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  // ---------------------------------------------------------------- model lookups and shapes

  private newId(): number {
    return this.nextId++;
  }

  private get botLogin(): string {
    return `${this.appSlug}[bot]`;
  }

  private user(login: string, type: UserType): UserModel {
    let user = this.users.get(login);
    if (!user) {
      user = { login, id: this.newId(), type };
      this.users.set(login, user);
    }
    return user;
  }

  private userShape(login: string): WebhookUser {
    const model = this.users.get(login) ?? this.user(login, login.endsWith('[bot]') ? 'Bot' : 'User');
    return userShape(this.hosts, model.login, model.id, model.type);
  }

  private webhookUser(login: string): WebhookUser {
    return this.userShape(login);
  }

  private appShape(): NonNullable<Schemas['nullable-integration']> {
    return appShape(this.hosts, { id: this.appId, slug: this.appSlug, owner: this.userShape('app-owner'), createdAt: this.createdAt });
  }

  private repo(owner: string, name: string): RepoModel {
    const repo = this.repos.get(`${owner}/${name}`);
    if (!repo) throw notFound();
    return repo;
  }

  private repoShape(repo: RepoModel): Schemas['repository'] {
    return repositoryShape(this.hosts, { ...repo, owner: this.userShape(repo.owner) });
  }

  private nextIssueNumber(repo: RepoModel): number {
    const key = `${repo.owner}/${repo.name}`;
    const next = (this.issueCounters.get(key) ?? 0) + 1;
    this.issueCounters.set(key, next);
    return next;
  }

  private installationById(id: string | undefined): InstallationModel {
    const installation = this.installations.get(Number(id));
    if (!installation) throw notFound();
    return installation;
  }

  private installationByAccount(account: string): InstallationModel {
    for (const inst of this.installations.values()) if (inst.account === account) return inst;
    throw notFound();
  }

  private installationShape(inst: InstallationModel): Schemas['installation'] {
    return installationShape(this.hosts, { id: inst.id, appId: this.appId, appSlug: this.appSlug, account: this.userShape(inst.account), createdAt: inst.createdAt });
  }

  private pull(ref: PullRequestRef): PullModel {
    const pull = this.pulls.find((p) => p.owner === ref.owner && p.repo === ref.repo && p.number === ref.number);
    if (!pull) throw new Error(`no pull request ${ref.owner}/${ref.repo}#${ref.number}`);
    return pull;
  }

  private pullFromParams(ctx: RouteContext, param = 'pull_number'): PullModel {
    const pull = this.pulls.find((p) => p.owner === ctx.params.owner && p.repo === ctx.params.repo && p.number === Number(ctx.params[param]));
    if (!pull) throw notFound();
    return pull;
  }

  private permissionOf(user: string, owner: string, repo: string): PermissionLevel {
    const specific = this.permissions.get(`${owner}/${repo}`)?.get(user) ?? this.permissions.get('*')?.get(user);
    if (specific) return specific;
    // A user-owned repository's owner is its admin; anyone else not set up has no access.
    return user === owner ? 'admin' : 'none';
  }

  private authorAssociation(user: string, owner: string, repo: string): Schemas['author-association'] {
    if (user === owner) return 'OWNER';
    if ([...this.teams.values()].some((t) => t.org === owner && t.members.some((m) => m.login === user))) return 'MEMBER';
    return this.permissionOf(user, owner, repo) === 'none' ? 'CONTRIBUTOR' : 'COLLABORATOR';
  }

  private async pullShape(pull: PullModel): Promise<Schemas['pull-request']> {
    const base = this.repoShape(this.repo(pull.owner, pull.repo));
    const head = pull.headOwner === pull.owner ? base : this.repoShape(this.repo(pull.headOwner, pull.repo));
    const files = await this.git.diffFiles(pull.owner, pull.repo, pull.baseSha, pull.headSha);
    const commits = await this.git.commitsBetween(pull.owner, pull.repo, pull.baseSha, pull.headSha);
    const mergeBase = await this.git.mergeBase(pull.owner, pull.repo, pull.baseSha, pull.headSha);
    return pullRequestShape(this.hosts, {
      id: pull.id,
      number: pull.number,
      title: pull.title,
      body: pull.body,
      user: this.userShape(pull.author),
      state: pull.state,
      draft: pull.draft,
      createdAt: pull.createdAt,
      updatedAt: pull.updatedAt,
      closedAt: pull.closedAt,
      mergedAt: pull.mergedAt,
      mergeCommitSha: pull.mergeCommitSha,
      mergedBy: pull.mergedBy ? this.userShape(pull.mergedBy) : null,
      head: { ref: pull.headRef, sha: pull.headSha, repo: head },
      base: { ref: pull.baseRef, sha: pull.baseSha, repo: base },
      authorAssociation: this.authorAssociation(pull.author, pull.owner, pull.repo),
      commits: commits.length,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changedFiles: files.length,
      comments: this.comments.filter((c) => c.owner === pull.owner && c.repo === pull.repo && c.number === pull.number).length,
      mergeable: pull.state === 'open' ? mergeBase !== null : null,
    });
  }

  private async webhookPull(pull: PullModel) {
    const shape = await this.pullShape(pull);
    return webhookPullRequest(shape, {
      author: this.webhookUser(pull.author),
      headOwner: this.webhookUser(pull.headOwner),
      baseOwner: this.webhookUser(pull.owner),
      mergedBy: pull.mergedBy ? this.webhookUser(pull.mergedBy) : null,
    });
  }

  private reviewShape(review: ReviewModel): Schemas['pull-request-review'] {
    return reviewShape(this.repoShape(this.repo(review.owner, review.repo)), review.number, {
      id: review.id,
      user: this.userShape(review.user),
      body: review.body,
      state: review.state,
      commitId: review.commitId,
      submittedAt: review.submittedAt,
      authorAssociation: this.authorAssociation(review.user, review.owner, review.repo),
    });
  }

  private commentFromParams(ctx: RouteContext): CommentModel {
    const comment = this.comments.find((c) => c.id === Number(ctx.params.comment_id) && c.owner === ctx.params.owner && c.repo === ctx.params.repo);
    if (!comment) throw notFound();
    return comment;
  }

  private commentShape(comment: CommentModel): Schemas['issue-comment'] {
    return issueCommentShape(this.repoShape(this.repo(comment.owner, comment.repo)), {
      id: comment.id,
      issueNumber: comment.number,
      user: this.userShape(comment.user),
      body: comment.body,
      createdAt: comment.createdAt,
      updatedAt: comment.updatedAt,
      authorAssociation: comment.viaApp ? 'NONE' : this.authorAssociation(comment.user, comment.owner, comment.repo),
      app: comment.viaApp ? this.appShape() : null,
      reactions: this.reactions.filter((r) => r.commentId === comment.id).map((r) => r.content),
    });
  }

  private checkSuiteId(owner: string, repo: string, sha: string): number {
    const existing = this.checkRuns.find((c) => c.owner === owner && c.repo === repo && c.headSha === sha);
    return existing ? existing.checkSuiteId : this.newId();
  }

  private checkRunFromParams(ctx: RouteContext): CheckRunModel {
    const run = this.checkRuns.find((c) => c.id === Number(ctx.params.check_run_id) && c.owner === ctx.params.owner && c.repo === ctx.params.repo);
    if (!run) throw notFound();
    return run;
  }

  private checkRunShape(run: CheckRunModel): Schemas['check-run'] {
    const repo = this.repoShape(this.repo(run.owner, run.repo));
    return checkRunShape(repo, this.appShape(), { ...run, pullRequests: this.checkPullRequests(run) });
  }

  /**
   * The PRs a check run or suite lists, as GitHub picks them: open PRs of the same repository whose head
   * branch is the suite's (so a PR pushed since shows its newer head) or whose head is the commit. Fork
   * PRs are never listed: their branch is not in this repository.
   */
  private checkPullRequests(run: Pick<CheckRunModel, 'owner' | 'repo' | 'headSha' | 'headBranch'>): CheckRunPullRequest[] {
    const repo = this.repo(run.owner, run.repo);
    const repoRef = { id: repo.id, url: `${this.apiUrl}/repos/${repo.owner}/${repo.name}`, name: repo.name };
    return this.pulls
      .filter((p) => p.owner === run.owner && p.repo === run.repo && p.state === 'open' && p.headOwner === p.owner)
      .filter((p) => p.headSha === run.headSha || (run.headBranch !== null && p.headRef === run.headBranch))
      .map((p) => ({
        id: p.id,
        number: p.number,
        url: `${repoRef.url}/pulls/${p.number}`,
        head: { ref: p.headRef, sha: p.headSha, repo: repoRef },
        base: { ref: p.baseRef, sha: p.baseSha, repo: repoRef },
      }));
  }

  /** The check suite of the app on `headSha` (the double keeps one suite per repository and commit). */
  private async checkSuite(owner: string, repo: string, headSha: string, app: WebhookApp): Promise<CheckSuiteFacts> {
    const runs = this.checkRuns.filter((c) => c.owner === owner && c.repo === repo && c.headSha === headSha);
    const first = runs[0];
    if (!first) throw new Error(`no check suite on ${owner}/${repo}@${headSha}: no check run was created for it`);
    const latest = runs.filter((c) => !runs.some((o) => o.name === c.name && o.id > c.id));
    const commit = await this.git.commitInfo(owner, repo, headSha);
    return {
      id: first.checkSuiteId,
      headBranch: first.headBranch,
      headSha,
      repoUrl: `${this.apiUrl}/repos/${owner}/${repo}`,
      app,
      pullRequests: this.checkPullRequests(first),
      runs: latest.map((c) => ({ status: c.status, conclusion: c.conclusion })),
      createdAt: first.startedAt ?? isoNow(),
      updatedAt: isoNow(),
      headCommit: {
        id: commit.sha,
        tree_id: commit.tree,
        message: commit.message,
        timestamp: commit.committer.date,
        author: { name: commit.author.name, email: commit.author.email },
        committer: { name: commit.committer.name, email: commit.committer.email },
      },
    };
  }

  private teamFromParams(ctx: RouteContext): TeamModel {
    const installation = this.installations.get(ctx.installationId);
    const team = this.teams.get(`${ctx.params.org}/${ctx.params.team_slug}`);
    // Teams are visible only inside the installation's own organization.
    if (!team || installation?.account !== ctx.params.org) throw notFound();
    return team;
  }

  private deploymentFromParams(ctx: RouteContext): DeploymentModel {
    const deployment = this.deployments.find((d) => d.id === Number(ctx.params.deployment_id) && d.owner === ctx.params.owner && d.repo === ctx.params.repo);
    if (!deployment) throw notFound();
    return deployment;
  }

  private statusesOf(deployment: DeploymentModel): DeploymentStatusModel[] {
    return this.deploymentStatuses.filter((s) => s.deploymentId === deployment.id).reverse();
  }

  private deploymentShape(d: DeploymentModel): Schemas['deployment'] {
    return deploymentShape(this.repoShape(this.repo(d.owner, d.repo)), this.appShape(), { ...d, creator: this.userShape(d.creator) });
  }

  private deploymentStatusShape(d: DeploymentModel, s: DeploymentStatusModel): Schemas['deployment-status'] {
    return deploymentStatusShape(this.repoShape(this.repo(d.owner, d.repo)), this.appShape(), { ...s, creator: this.userShape(s.creator) });
  }
}

// ---------------------------------------------------------------- helpers

function matchSegments(template: string[], actual: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as string;
    const wildcard = /^\{(\w+)\*\}$/.exec(t);
    if (wildcard) {
      const rest = actual.slice(i);
      if (rest.length === 0 || rest.every((s) => s === '')) return null;
      params[wildcard[1] as string] = rest.map(safeDecode).join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return null;
    const param = /^\{(\w+)\}$/.exec(t);
    if (param) {
      if (a === '') return null;
      params[param[1] as string] = safeDecode(a);
    } else if (t !== a) {
      return null;
    }
  }
  return template.length === actual.length ? params : null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchPath(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path);
  if (!pattern.includes('*')) return pattern === path;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(path);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  if (!header || !/^basic\s/i.test(header)) return null;
  const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function objectBody(ctx: RouteContext): Record<string, unknown> {
  return typeof ctx.body === 'object' && ctx.body !== null && !Array.isArray(ctx.body) ? (ctx.body as Record<string, unknown>) : {};
}

function commentBody(ctx: RouteContext): string {
  const body = objectBody(ctx).body;
  if (typeof body !== 'string' || body === '') throw validationFailed('IssueComment', 'body', 'body cannot be blank');
  // GitHub counts characters, not bytes.
  if ([...body].length > GITHUB_BODY_LIMIT) throw validationFailed('IssueComment', 'body', `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`);
  return body;
}

/** Applies the writable fields of a check-run create/update body, validating as GitHub does. */
function applyCheckRunFields(run: CheckRunModel, body: Record<string, unknown>): void {
  const statuses: CheckStatus[] = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
  const conclusions: NonNullable<CheckConclusion>[] = ['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required'];
  if (body.status !== undefined) {
    if (typeof body.status !== 'string' || !(statuses as string[]).includes(body.status)) throw new HttpError(422, `Invalid request.\n\n${JSON.stringify(body.status)} is not a member of ${JSON.stringify(statuses)}.`);
    run.status = body.status as CheckStatus;
  }
  if (body.conclusion !== undefined && body.conclusion !== null) {
    if (typeof body.conclusion !== 'string' || !(conclusions as string[]).includes(body.conclusion)) throw new HttpError(422, `Invalid request.\n\n${JSON.stringify(body.conclusion)} is not a member of ${JSON.stringify(conclusions)}.`);
    run.conclusion = body.conclusion as CheckConclusion;
    // Giving a conclusion completes the run.
    run.status = 'completed';
  }
  if (run.status === 'completed' && run.conclusion === null) throw new HttpError(422, 'Invalid request.\n\nNo conclusion was supplied for a completed check run.');
  if (typeof body.started_at === 'string') run.startedAt = body.started_at;
  if (typeof body.completed_at === 'string') run.completedAt = body.completed_at;
  else if (run.status === 'completed' && run.completedAt === null) run.completedAt = isoNow();
  if (typeof body.details_url === 'string') run.detailsUrl = body.details_url;
  if (typeof body.external_id === 'string') run.externalId = body.external_id;
  if (body.output !== undefined) {
    const output = body.output as Record<string, unknown>;
    if (typeof output !== 'object' || output === null || typeof output.title !== 'string' || typeof output.summary !== 'string') {
      throw new HttpError(422, 'Invalid request.\n\n"title" and "summary" are required in "output".');
    }
    for (const field of ['summary', 'text'] as const) {
      const value = output[field];
      if (typeof value === 'string' && [...value].length > CHECK_OUTPUT_LIMIT) {
        throw new HttpError(422, `Invalid request.\n\nOnly ${CHECK_OUTPUT_LIMIT} characters are allowed; ${[...value].length} were supplied.`);
      }
    }
    const annotations = Array.isArray(output.annotations) ? output.annotations.length : 0;
    run.output = { title: output.title, summary: output.summary, text: typeof output.text === 'string' ? output.text : run.output.text, annotationsCount: run.output.annotationsCount + annotations };
  }
}
