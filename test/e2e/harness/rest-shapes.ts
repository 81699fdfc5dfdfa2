import type { components } from '@octokit/openapi-types';
import type { User as WebhookUser } from '@octokit/webhooks-types';

/**
 * Builders for the REST response bodies the double serves. Every builder is typed with
 * `components['schemas']` from @octokit/openapi-types, so when GitHub's published shapes
 * change, the typecheck fails here instead of the app meeting a shape GitHub never sends.
 */
export type Schemas = components['schemas'];

/** Where the double lives: `api` is the REST base (`…/api/v3`), `web` the HTML/git base. */
export interface Hosts {
  api: string;
  web: string;
}

export type UserType = 'User' | 'Bot' | 'Organization';

export function userShape(hosts: Hosts, login: string, id: number, type: UserType = 'User'): WebhookUser {
  const url = `${hosts.api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId('U', id),
    avatar_url: `${hosts.web}/avatars/u/${id}`,
    gravatar_id: '',
    url,
    html_url: `${hosts.web}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  };
}

export interface RepoFacts {
  id: number;
  owner: Schemas['simple-user'];
  name: string;
  private: boolean;
  fork: boolean;
  defaultBranch: string;
  createdAt: string;
  pushedAt: string;
}

export function repositoryShape(hosts: Hosts, repo: RepoFacts): Schemas['repository'] {
  const fullName = `${repo.owner.login}/${repo.name}`;
  const url = `${hosts.api}/repos/${fullName}`;
  const html = `${hosts.web}/${fullName}`;
  const host = new URL(hosts.web).host;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: fullName,
    license: null,
    forks: 0,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    owner: repo.owner,
    private: repo.private,
    html_url: html,
    description: null,
    fork: repo.fork,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://${host}/${fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@${host}:${fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: 'HCL',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 1,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    open_issues: 0,
    watchers: 0,
  };
}

export interface PullFacts {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: Schemas['simple-user'];
  state: 'open' | 'closed';
  draft: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: Schemas['simple-user'] | null;
  head: { ref: string; sha: string; repo: Schemas['repository'] };
  base: { ref: string; sha: string; repo: Schemas['repository'] };
  authorAssociation: Schemas['author-association'];
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
  comments: number;
  mergeable: boolean | null;
}

export function pullRequestShape(hosts: Hosts, pr: PullFacts): Schemas['pull-request'] {
  const repoUrl = pr.base.repo.url;
  const url = `${repoUrl}/pulls/${pr.number}`;
  const html = `${pr.base.repo.html_url}/pull/${pr.number}`;
  const issueUrl = `${repoUrl}/issues/${pr.number}`;
  const statusesUrl = `${repoUrl}/statuses/${pr.head.sha}`;
  const side = (s: PullFacts['head']) => ({
    label: `${s.repo.owner.login}:${s.ref}`,
    ref: s.ref,
    repo: s.repo,
    sha: s.sha,
    user: s.repo.owner,
  });
  return {
    url,
    id: pr.id,
    node_id: nodeId('PR', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statusesUrl,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: pr.user,
    body: pr.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pr.head),
    base: side(pr.base),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statusesUrl },
    },
    author_association: pr.authorAssociation,
    auto_merge: null,
    draft: pr.draft,
    merged: pr.mergedAt !== null,
    mergeable: pr.mergeable,
    rebaseable: pr.mergeable,
    mergeable_state: pr.state === 'closed' ? 'unknown' : pr.draft ? 'draft' : pr.mergeable === false ? 'dirty' : 'clean',
    merged_by: pr.mergedBy,
    comments: pr.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: pr.commits,
    additions: pr.additions,
    deletions: pr.deletions,
    changed_files: pr.changedFiles,
  };
}

export function diffEntryShape(
  repo: Schemas['repository'],
  headSha: string,
  file: { status: Schemas['diff-entry']['status']; filename: string; previousFilename?: string; additions: number; deletions: number; sha: string | null; patch?: string },
): Schemas['diff-entry'] {
  const encoded = file.filename.split('/').map(encodeURIComponent).join('/');
  const entry: Schemas['diff-entry'] = {
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${repo.html_url}/blob/${headSha}/${encoded}`,
    raw_url: `${repo.html_url}/raw/${headSha}/${encoded}`,
    contents_url: `${repo.url}/contents/${encoded}?ref=${headSha}`,
  };
  if (file.patch !== undefined) entry.patch = file.patch;
  if (file.previousFilename !== undefined) entry.previous_filename = file.previousFilename;
  return entry;
}

export function reviewShape(
  repo: Schemas['repository'],
  pullNumber: number,
  review: { id: number; user: Schemas['simple-user']; body: string; state: string; commitId: string; submittedAt: string; authorAssociation: Schemas['author-association'] },
): Schemas['pull-request-review'] {
  const html = `${repo.html_url}/pull/${pullNumber}#pullrequestreview-${review.id}`;
  const pullUrl = `${repo.url}/pulls/${pullNumber}`;
  return {
    id: review.id,
    node_id: nodeId('PRR', review.id),
    user: review.user,
    body: review.body,
    state: review.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    submitted_at: review.submittedAt,
    commit_id: review.commitId,
    author_association: review.authorAssociation,
  };
}

export type ReactionContent = Schemas['reaction']['content'];
export const REACTION_CONTENTS: readonly ReactionContent[] = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];

export function issueCommentShape(
  repo: Schemas['repository'],
  comment: {
    id: number;
    issueNumber: number;
    user: Schemas['simple-user'];
    body: string;
    createdAt: string;
    updatedAt: string;
    authorAssociation: Schemas['author-association'];
    app: Schemas['nullable-integration'];
    reactions: ReactionContent[];
  },
): Schemas['issue-comment'] {
  const url = `${repo.url}/issues/comments/${comment.id}`;
  const rollup: Schemas['reaction-rollup'] = { url: `${url}/reactions`, total_count: comment.reactions.length, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 };
  for (const content of comment.reactions) rollup[content] += 1;
  const shape: Schemas['issue-comment'] = {
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url,
    body: comment.body,
    html_url: `${repo.html_url}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    user: comment.user,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${repo.url}/issues/${comment.issueNumber}`,
    author_association: comment.authorAssociation,
    reactions: rollup,
  };
  if (comment.app) shape.performed_via_github_app = comment.app;
  return shape;
}

export function reactionShape(reaction: { id: number; user: Schemas['simple-user']; content: ReactionContent; createdAt: string }): Schemas['reaction'] {
  return { id: reaction.id, node_id: nodeId('REA', reaction.id), user: reaction.user, content: reaction.content, created_at: reaction.createdAt };
}

export interface AppFacts {
  id: number;
  slug: string;
  owner: Schemas['simple-user'];
  createdAt: string;
}

export function appShape(hosts: Hosts, app: AppFacts): NonNullable<Schemas['nullable-integration']> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('A', app.id),
    owner: app.owner,
    name: app.slug,
    description: null,
    external_url: `${hosts.web}/apps/${app.slug}`,
    html_url: `${hosts.web}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: { checks: 'write', contents: 'read', deployments: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', members: 'read' },
    events: ['pull_request', 'pull_request_review', 'issue_comment', 'check_run', 'push'],
  };
}

export type CheckStatus = Schemas['check-run']['status'];
export type CheckConclusion = Schemas['check-run']['conclusion'];

export interface CheckRunFacts {
  id: number;
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
  pullRequests: Schemas['pull-request-minimal'][];
}

export function checkRunShape(repo: Schemas['repository'], app: Schemas['nullable-integration'], run: CheckRunFacts): Schemas['check-run'] {
  const url = `${repo.url}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CR', run.id),
    external_id: run.externalId,
    url,
    html_url: `${repo.html_url}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotationsCount,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.checkSuiteId },
    app,
    pull_requests: run.pullRequests,
  };
}

export function contentFileShape(repo: Schemas['repository'], ref: string, file: { path: string; sha: string; content: Buffer }): Schemas['content-file'] {
  const links = contentLinks(repo, ref, file.path, file.sha, 'blob');
  const inline = file.content.length <= MAX_INLINE_CONTENT_BYTES;
  return {
    type: 'file',
    encoding: inline ? 'base64' : 'none',
    size: file.content.length,
    name: file.path.split('/').pop() ?? file.path,
    path: file.path,
    // GitHub wraps the base64 at 60 characters per line; clients must tolerate the newlines.
    content: inline ? (file.content.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n' : '',
    sha: file.sha,
    url: links.self,
    git_url: links.git,
    html_url: links.html,
    download_url: `${repo.html_url}/raw/${ref}/${file.path}`,
    _links: links,
  };
}

/**
 * The contents API inlines files up to 1 MB; between 1 and 100 MB it answers with empty
 * content and encoding "none".
 */
export const MAX_INLINE_CONTENT_BYTES = 1024 * 1024;

export function contentDirectoryShape(
  repo: Schemas['repository'],
  ref: string,
  entries: { type: 'dir' | 'file' | 'submodule' | 'symlink'; name: string; path: string; sha: string; size: number }[],
): Schemas['content-directory'] {
  return entries.map((e) => {
    const links = contentLinks(repo, ref, e.path, e.sha, e.type === 'dir' ? 'tree' : 'blob');
    return {
      type: e.type,
      size: e.size,
      name: e.name,
      path: e.path,
      sha: e.sha,
      url: links.self,
      git_url: links.git,
      html_url: links.html,
      download_url: e.type === 'file' ? `${repo.html_url}/raw/${ref}/${e.path}` : null,
      _links: links,
    };
  });
}

function contentLinks(repo: Schemas['repository'], ref: string, filePath: string, sha: string, kind: 'blob' | 'tree') {
  return {
    self: `${repo.url}/contents/${filePath}?ref=${encodeURIComponent(ref)}`,
    git: `${repo.url}/git/${kind === 'blob' ? 'blobs' : 'trees'}/${sha}`,
    html: `${repo.html_url}/${kind}/${ref}/${filePath}`,
  };
}

/** GitHub's permission levels, from strongest to weakest. */
export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export function collaboratorPermissionShape(user: Schemas['simple-user'], level: PermissionLevel): Schemas['repository-collaborator-permission'] {
  const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(level);
  // The legacy `permission` field only knows admin/write/read/none; role_name carries the fine level.
  const legacy = level === 'maintain' ? 'write' : level === 'triage' ? 'read' : level;
  return {
    permission: legacy,
    role_name: level,
    user: {
      ...user,
      permissions: { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 },
      role_name: level,
    },
  };
}

export function teamMembershipShape(hosts: Hosts, teamId: number, login: string, role: 'member' | 'maintainer'): Schemas['team-membership'] {
  return { url: `${hosts.api}/teams/${teamId}/memberships/${encodeURIComponent(login)}`, role, state: 'active' };
}

export function deploymentShape(
  repo: Schemas['repository'],
  app: Schemas['nullable-integration'],
  d: {
    id: number;
    sha: string;
    ref: string;
    task: string;
    payload: Record<string, unknown> | string;
    environment: string;
    description: string | null;
    creator: Schemas['simple-user'];
    createdAt: string;
    updatedAt: string;
    transient: boolean;
    production: boolean;
  },
): Schemas['deployment'] {
  const url = `${repo.url}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: nodeId('DE', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: d.creator,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: repo.url,
    transient_environment: d.transient,
    production_environment: d.production,
    performed_via_github_app: app,
  };
}

export type DeploymentState = Schemas['deployment-status']['state'];

export function deploymentStatusShape(
  repo: Schemas['repository'],
  app: Schemas['nullable-integration'],
  s: {
    id: number;
    deploymentId: number;
    state: DeploymentState;
    creator: Schemas['simple-user'];
    description: string;
    environment: string;
    targetUrl: string;
    logUrl: string;
    environmentUrl: string;
    createdAt: string;
  },
): Schemas['deployment-status'] {
  const deploymentUrl = `${repo.url}/deployments/${s.deploymentId}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DES', s.id),
    state: s.state,
    creator: s.creator,
    description: s.description,
    environment: s.environment,
    target_url: s.targetUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: deploymentUrl,
    repository_url: repo.url,
    environment_url: s.environmentUrl,
    log_url: s.logUrl,
    performed_via_github_app: app,
  };
}

export function installationShape(
  hosts: Hosts,
  inst: { id: number; appId: number; appSlug: string; account: Schemas['simple-user']; createdAt: string },
): Schemas['installation'] {
  return {
    id: inst.id,
    account: inst.account,
    repository_selection: 'all',
    access_tokens_url: `${hosts.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${hosts.api}/installation/repositories`,
    html_url: `${hosts.web}/settings/installations/${inst.id}`,
    app_id: inst.appId,
    target_id: Number(inst.account.id),
    target_type: inst.account.type,
    permissions: { checks: 'write', contents: 'read', deployments: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', members: 'read' },
    events: ['pull_request', 'pull_request_review', 'issue_comment', 'check_run', 'push'],
    created_at: inst.createdAt,
    updated_at: inst.createdAt,
    single_file_name: null,
    app_slug: inst.appSlug,
    suspended_by: null,
    suspended_at: null,
  };
}

export function installationTokenShape(token: string, expiresAt: string): Schemas['installation-token'] {
  return {
    token,
    expires_at: expiresAt,
    permissions: { checks: 'write', contents: 'read', deployments: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', members: 'read' },
    repository_selection: 'all',
  };
}

export function commitShape(
  repo: Schemas['repository'],
  commit: { sha: string; tree: string; parents: string[]; author: { name: string; email: string; date: string }; committer: { name: string; email: string; date: string }; message: string },
  files?: Schemas['diff-entry'][],
): Schemas['commit'] {
  const url = `${repo.url}/commits/${commit.sha}`;
  const shape: Schemas['commit'] = {
    url,
    sha: commit.sha,
    node_id: nodeId('C', parseInt(commit.sha.slice(0, 8), 16)),
    html_url: `${repo.html_url}/commit/${commit.sha}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${repo.url}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${repo.url}/git/trees/${commit.tree}` },
      verification: { verified: false, reason: 'unsigned', payload: null, signature: null, verified_at: null },
    },
    // Commit authors here are not GitHub accounts.
    author: null,
    committer: null,
    parents: commit.parents.map((p) => ({ sha: p, url: `${repo.url}/commits/${p}`, html_url: `${repo.html_url}/commit/${p}` })),
  };
  if (files) shape.files = files;
  return shape;
}

export function commitComparisonShape(
  repo: Schemas['repository'],
  c: { base: string; head: string; baseCommit: Schemas['commit']; mergeBaseCommit: Schemas['commit']; aheadBy: number; behindBy: number; commits: Schemas['commit'][]; files: Schemas['diff-entry'][] },
): Schemas['commit-comparison'] {
  const basehead = `${c.base}...${c.head}`;
  const status: Schemas['commit-comparison']['status'] = c.aheadBy === 0 && c.behindBy === 0 ? 'identical' : c.behindBy === 0 ? 'ahead' : c.aheadBy === 0 ? 'behind' : 'diverged';
  return {
    url: `${repo.url}/compare/${basehead}`,
    html_url: `${repo.html_url}/compare/${basehead}`,
    permalink_url: `${repo.html_url}/compare/${repo.owner.login}:${c.baseCommit.sha.slice(0, 7)}...${repo.owner.login}:${c.head.slice(0, 7)}`,
    diff_url: `${repo.html_url}/compare/${basehead}.diff`,
    patch_url: `${repo.html_url}/compare/${basehead}.patch`,
    base_commit: c.baseCommit,
    merge_base_commit: c.mergeBaseCommit,
    status,
    ahead_by: c.aheadBy,
    behind_by: c.behindBy,
    total_commits: c.aheadBy,
    commits: c.commits,
    files: c.files,
  };
}

export function mergeResultShape(sha: string): Schemas['pull-request-merge-result'] {
  return { sha, merged: true, message: 'Pull Request successfully merged' };
}

export function errorShape(message: string, status: number): Schemas['basic-error'] {
  return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
}

function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}_${id}`).toString('base64');
}
