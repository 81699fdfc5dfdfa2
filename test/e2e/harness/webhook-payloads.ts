import type {
  App as WebhookApp,
  CheckRunPullRequest,
  CheckRunRerequestedEvent,
  CheckSuiteRerequestedEvent,
  InstallationLite,
  IssueComment as WebhookIssueComment,
  IssueCommentCreatedEvent,
  PullRequest as WebhookPullRequest,
  PullRequestClosedEvent,
  PullRequestOpenedEvent,
  PullRequestReviewSubmittedEvent,
  PullRequestSynchronizeEvent,
  Repository as WebhookRepository,
  SimpleCommit,
  SimplePullRequest,
  User as WebhookUser,
} from '@octokit/webhooks-types';
import type { Schemas } from './rest-shapes.js';

/**
 * Webhook payloads built from the double's REST model, typed with @octokit/webhooks-types
 * (the types @octokit/webhooks-examples is published with). The harness test compares their
 * keys against GitHub's own example deliveries, so a missing field shows up there.
 */
export type {
  CheckRunPullRequest,
  CheckRunRerequestedEvent,
  CheckSuiteRerequestedEvent,
  IssueCommentCreatedEvent,
  PullRequestClosedEvent,
  PullRequestOpenedEvent,
  PullRequestReviewSubmittedEvent,
  PullRequestSynchronizeEvent,
  WebhookApp,
  WebhookUser,
};

export function webhookRepository(repo: Schemas['repository'], owner: WebhookUser): WebhookRepository {
  return {
    id: Number(repo.id),
    node_id: repo.node_id,
    name: repo.name,
    full_name: repo.full_name,
    private: repo.private,
    owner,
    html_url: repo.html_url,
    description: repo.description,
    fork: repo.fork,
    url: repo.url,
    forks_url: repo.forks_url,
    keys_url: repo.keys_url,
    collaborators_url: repo.collaborators_url,
    teams_url: repo.teams_url,
    hooks_url: repo.hooks_url,
    issue_events_url: repo.issue_events_url,
    events_url: repo.events_url,
    assignees_url: repo.assignees_url,
    branches_url: repo.branches_url,
    tags_url: repo.tags_url,
    blobs_url: repo.blobs_url,
    git_tags_url: repo.git_tags_url,
    git_refs_url: repo.git_refs_url,
    trees_url: repo.trees_url,
    statuses_url: repo.statuses_url,
    languages_url: repo.languages_url,
    stargazers_url: repo.stargazers_url,
    contributors_url: repo.contributors_url,
    subscribers_url: repo.subscribers_url,
    subscription_url: repo.subscription_url,
    commits_url: repo.commits_url,
    git_commits_url: repo.git_commits_url,
    comments_url: repo.comments_url,
    issue_comment_url: repo.issue_comment_url,
    contents_url: repo.contents_url,
    compare_url: repo.compare_url,
    merges_url: repo.merges_url,
    archive_url: repo.archive_url,
    downloads_url: repo.downloads_url,
    issues_url: repo.issues_url,
    pulls_url: repo.pulls_url,
    milestones_url: repo.milestones_url,
    notifications_url: repo.notifications_url,
    labels_url: repo.labels_url,
    releases_url: repo.releases_url,
    deployments_url: repo.deployments_url,
    created_at: repo.created_at ?? '',
    updated_at: repo.updated_at ?? '',
    pushed_at: repo.pushed_at,
    git_url: repo.git_url,
    ssh_url: repo.ssh_url,
    clone_url: repo.clone_url,
    svn_url: repo.svn_url,
    homepage: repo.homepage,
    size: repo.size,
    stargazers_count: repo.stargazers_count,
    watchers_count: repo.watchers_count,
    language: repo.language,
    has_issues: repo.has_issues,
    has_projects: repo.has_projects,
    has_downloads: repo.has_downloads,
    has_wiki: repo.has_wiki,
    has_pages: repo.has_pages,
    forks_count: repo.forks_count,
    mirror_url: repo.mirror_url,
    archived: repo.archived,
    disabled: repo.disabled,
    open_issues_count: repo.open_issues_count,
    license: null,
    forks: repo.forks,
    open_issues: repo.open_issues,
    watchers: repo.watchers,
    default_branch: repo.default_branch,
    is_template: repo.is_template ?? false,
    topics: repo.topics ?? [],
    visibility: repo.private ? 'private' : 'public',
    web_commit_signoff_required: false,
    custom_properties: {},
  };
}

/** The webhook form of a pull request; `users` maps logins to their webhook user objects. */
export function webhookPullRequest(
  pr: Schemas['pull-request'],
  users: { author: WebhookUser; headOwner: WebhookUser; baseOwner: WebhookUser; mergedBy: WebhookUser | null },
): WebhookPullRequest {
  return {
    url: pr.url,
    id: Number(pr.id),
    node_id: pr.node_id,
    html_url: pr.html_url,
    diff_url: pr.diff_url,
    patch_url: pr.patch_url,
    issue_url: pr.issue_url,
    number: pr.number,
    state: pr.state,
    locked: pr.locked,
    title: pr.title,
    user: users.author,
    body: pr.body,
    created_at: pr.created_at,
    updated_at: pr.updated_at,
    closed_at: pr.closed_at,
    merged_at: pr.merged_at,
    merge_commit_sha: pr.merge_commit_sha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    commits_url: pr.commits_url,
    review_comments_url: pr.review_comments_url,
    review_comment_url: pr.review_comment_url,
    comments_url: pr.comments_url,
    statuses_url: pr.statuses_url,
    head: { label: pr.head.label, ref: pr.head.ref, sha: pr.head.sha, user: users.headOwner, repo: webhookRepository(pr.head.repo, users.headOwner) },
    base: { label: pr.base.label, ref: pr.base.ref, sha: pr.base.sha, user: users.baseOwner, repo: webhookRepository(pr.base.repo, users.baseOwner) },
    _links: pr._links,
    author_association: pr.author_association,
    auto_merge: null,
    active_lock_reason: null,
    draft: pr.draft ?? false,
    merged: pr.merged,
    mergeable: pr.mergeable,
    rebaseable: pr.rebaseable ?? null,
    mergeable_state: pr.mergeable_state,
    merged_by: users.mergedBy,
    comments: pr.comments,
    review_comments: pr.review_comments,
    maintainer_can_modify: pr.maintainer_can_modify,
    commits: pr.commits,
    additions: pr.additions,
    deletions: pr.deletions,
    changed_files: pr.changed_files,
  };
}

/** The pull request as review events carry it: without the merge and size fields. */
export function webhookSimplePullRequest(pr: WebhookPullRequest): SimplePullRequest {
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
    head,
    ...rest
  } = pr;
  if (!head.repo) throw new Error('a review event needs the head repository');
  return { ...rest, head: { ...head, repo: head.repo } };
}

export function installationLite(id: number): InstallationLite {
  return { id, node_id: Buffer.from(`I_${id}`).toString('base64') };
}

export function pullRequestOpenedPayload(pr: WebhookPullRequest, sender: WebhookUser, installationId: number): PullRequestOpenedEvent {
  if (pr.state !== 'open') throw new Error(`pull request #${pr.number} is not open`);
  return {
    action: 'opened',
    number: pr.number,
    pull_request: { ...pr, state: 'open', closed_at: null, merged_at: null, active_lock_reason: null, merged_by: null },
    repository: pr.base.repo,
    installation: installationLite(installationId),
    sender,
  };
}

export function pullRequestSynchronizePayload(pr: WebhookPullRequest, before: string, sender: WebhookUser, installationId: number): PullRequestSynchronizeEvent {
  return {
    action: 'synchronize',
    number: pr.number,
    before,
    after: pr.head.sha,
    pull_request: pr,
    repository: pr.base.repo,
    installation: installationLite(installationId),
    sender,
  };
}

export function pullRequestClosedPayload(pr: WebhookPullRequest, sender: WebhookUser, installationId: number): PullRequestClosedEvent {
  if (pr.state !== 'closed' || pr.closed_at === null) throw new Error(`pull request #${pr.number} is not closed`);
  return {
    action: 'closed',
    number: pr.number,
    pull_request: { ...pr, state: 'closed', closed_at: pr.closed_at, merged: pr.merged_at !== null },
    repository: pr.base.repo,
    installation: installationLite(installationId),
    sender,
  };
}

export function pullRequestReviewSubmittedPayload(
  review: Schemas['pull-request-review'],
  reviewer: WebhookUser,
  pr: WebhookPullRequest,
  installationId: number,
): PullRequestReviewSubmittedEvent {
  return {
    action: 'submitted',
    review: {
      id: Number(review.id),
      node_id: review.node_id,
      user: reviewer,
      body: review.body === '' ? null : review.body,
      commit_id: review.commit_id ?? pr.head.sha,
      submitted_at: review.submitted_at ?? null,
      // Webhooks spell review states in lower case; the REST API in upper case.
      state: review.state.toLowerCase() as PullRequestReviewSubmittedEvent['review']['state'],
      html_url: review.html_url,
      pull_request_url: review.pull_request_url,
      author_association: review.author_association,
      _links: review._links,
    },
    pull_request: webhookSimplePullRequest(pr),
    repository: pr.base.repo,
    installation: installationLite(installationId),
    sender: reviewer,
  };
}

export function issueCommentCreatedPayload(
  comment: Schemas['issue-comment'],
  commenter: WebhookUser,
  pr: WebhookPullRequest,
  app: WebhookApp | null,
  installationId: number,
): IssueCommentCreatedEvent {
  const reactions = comment.reactions ?? { url: `${comment.url}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 };
  const webhookComment: WebhookIssueComment = {
    url: comment.url,
    html_url: comment.html_url,
    issue_url: comment.issue_url,
    id: Number(comment.id),
    node_id: comment.node_id,
    user: commenter,
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    author_association: comment.author_association ?? 'NONE',
    body: comment.body ?? '',
    reactions,
    performed_via_github_app: app,
  };
  const repoUrl = pr.base.repo.url;
  return {
    action: 'created',
    // A comment on a pull request arrives as a comment on its issue, marked by `pull_request`.
    issue: {
      url: pr.issue_url,
      repository_url: repoUrl,
      labels_url: `${pr.issue_url}/labels{/name}`,
      comments_url: pr.comments_url,
      events_url: `${pr.issue_url}/events`,
      html_url: pr.html_url,
      id: pr.id,
      node_id: pr.node_id,
      number: pr.number,
      title: pr.title,
      user: pr.user,
      labels: [],
      state: pr.state,
      locked: pr.locked,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: pr.comments,
      created_at: pr.created_at,
      updated_at: pr.updated_at,
      closed_at: pr.closed_at,
      author_association: pr.author_association,
      active_lock_reason: null,
      draft: pr.draft,
      pull_request: { url: pr.url, html_url: pr.html_url, diff_url: pr.diff_url, patch_url: pr.patch_url, merged_at: pr.merged_at },
      body: pr.body,
      reactions: { url: `${pr.issue_url}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 },
      timeline_url: `${pr.issue_url}/timeline`,
      performed_via_github_app: null,
      state_reason: null,
    },
    comment: webhookComment,
    repository: pr.base.repo,
    sender: commenter,
    installation: installationLite(installationId),
  };
}

/** A check suite as check events carry it: the suite of one app on one head commit. */
export interface CheckSuiteFacts {
  id: number;
  /** The branch the suite was created for; null when it lives in a fork. */
  headBranch: string | null;
  headSha: string;
  /** The suite's repository API URL (`repository.url`). */
  repoUrl: string;
  app: WebhookApp;
  /** Open PRs of the repository whose head branch is the suite's (not fork PRs): their head may have moved on. */
  pullRequests: CheckRunPullRequest[];
  /** The suite's check runs (the latest of each name). */
  runs: Pick<Schemas['check-run'], 'status' | 'conclusion'>[];
  createdAt: string;
  updatedAt: string;
  headCommit: SimpleCommit;
}

/** The suite's summary status and conclusion, from its runs (GitHub: the worst conclusion wins). */
export function suiteState(runs: CheckSuiteFacts['runs']): { status: 'completed' | 'in_progress'; conclusion: CheckSuiteRerequestedEvent['check_suite']['conclusion'] } {
  if (runs.some((run) => run.status !== 'completed')) return { status: 'in_progress', conclusion: null };
  const order = ['action_required', 'cancelled', 'timed_out', 'failure', 'neutral', 'success'] as const;
  const conclusions = runs.map((run) => run.conclusion);
  const worst = order.find((conclusion) => conclusions.includes(conclusion)) ?? 'success';
  return { status: 'completed', conclusion: worst === 'neutral' && conclusions.some((c) => c === 'success') ? 'success' : worst };
}

/** "Re-run" on a completed check run: GitHub sends `check_run.rerequested` to the app that created the run. */
export function checkRunRerequestedPayload(
  run: Schemas['check-run'],
  suite: CheckSuiteFacts,
  repository: WebhookRepository,
  sender: WebhookUser,
  installationId: number,
): CheckRunRerequestedEvent {
  if (run.status !== 'completed' || !run.completed_at || !run.started_at) throw new Error(`check run ${run.id} is ${run.status}: GitHub offers "Re-run" only on a completed check run`);
  const state = suiteState(suite.runs);
  return {
    action: 'rerequested',
    check_run: {
      id: Number(run.id),
      node_id: run.node_id,
      head_sha: run.head_sha,
      external_id: run.external_id ?? '',
      url: run.url,
      html_url: run.html_url ?? '',
      ...(run.details_url ? { details_url: run.details_url } : {}),
      status: 'completed',
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.output.annotations_count,
        annotations_url: run.output.annotations_url,
      },
      name: run.name,
      check_suite: {
        id: suite.id,
        node_id: Buffer.from(`CS_${suite.id}`).toString('base64'),
        head_branch: suite.headBranch,
        head_sha: suite.headSha,
        // The events type only knows a completed suite here; a run can be re-run while its siblings still run.
        status: 'completed',
        conclusion: state.conclusion ?? 'neutral',
        url: `${suite.repoUrl}/check-suites/${suite.id}`,
        before: null,
        after: suite.headSha,
        pull_requests: suite.pullRequests,
        app: suite.app,
        created_at: suite.createdAt,
        updated_at: suite.updatedAt,
      },
      app: suite.app,
      pull_requests: suite.pullRequests,
    },
    requested_action: null,
    repository,
    sender,
    installation: installationLite(installationId),
  };
}

/** "Re-run all checks" on a suite: GitHub sends `check_suite.rerequested` to the suite's app. */
export function checkSuiteRerequestedPayload(suite: CheckSuiteFacts, repository: WebhookRepository, sender: WebhookUser, installationId: number): CheckSuiteRerequestedEvent {
  const state = suiteState(suite.runs);
  return {
    action: 'rerequested',
    check_suite: {
      id: suite.id,
      node_id: Buffer.from(`CS_${suite.id}`).toString('base64'),
      head_branch: suite.headBranch,
      head_sha: suite.headSha,
      status: state.status,
      conclusion: state.conclusion,
      url: `${suite.repoUrl}/check-suites/${suite.id}`,
      before: null,
      after: suite.headSha,
      pull_requests: suite.pullRequests,
      app: suite.app,
      created_at: suite.createdAt,
      updated_at: suite.updatedAt,
      latest_check_runs_count: suite.runs.length,
      check_runs_url: `${suite.repoUrl}/check-suites/${suite.id}/check-runs`,
      head_commit: suite.headCommit,
    },
    repository,
    sender,
    installation: installationLite(installationId),
  };
}
