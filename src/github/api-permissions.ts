/**
 * Which GitHub App permission each REST call of `src/github/` needs. `app.yml` must grant at
 * least `requiredAppPermissions()`; a test checks that every `octokit.rest.*` call in this
 * folder is listed here, so a new call cannot ship without its permission. Not REST, so not listed: git
 * over HTTPS (fetching the head to plan and apply, and the base for config and policy) needs
 * `contents: read`, which `app.yml` grants anyway (`contents: write`, for merging).
 */

export type AppPermissionName =
  | 'checks'
  | 'contents'
  | 'deployments'
  | 'issues'
  | 'members'
  | 'metadata'
  | 'pull_requests';

export type AppPermissionLevel = 'read' | 'write';

export interface ApiPermission {
  /** The GitHub App permission, as spelled in app.yml's `default_permissions`. */
  permission: AppPermissionName | null;
  level: AppPermissionLevel | null;
  /** The adapter(s) making the call. */
  usedBy: readonly string[];
  note?: string;
}

export const API_PERMISSIONS = {
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': {
    permission: 'issues',
    level: 'read',
    usedBy: ['ensurePlanComment'],
    note: 'PR conversation comments are issue comments; pull_requests: read also grants it on PRs.',
  },
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {
    permission: 'issues',
    level: 'write',
    usedBy: ['ensurePlanComment', 'postComment'],
    note: 'On a PR, pull_requests: write also grants it.',
  },
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {
    permission: 'issues',
    level: 'write',
    usedBy: ['ensurePlanComment'],
  },
  'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}': {
    permission: 'issues',
    level: 'write',
    usedBy: ['ensurePlanComment'],
  },
  'POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions': {
    permission: 'issues',
    level: 'write',
    usedBy: ['addReaction'],
  },
  'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': {
    permission: 'checks',
    level: 'read',
    usedBy: ['ensureCheckRun', 'HeadCheckRuns'],
  },
  'POST /repos/{owner}/{repo}/check-runs': {
    permission: 'checks',
    level: 'write',
    usedBy: ['ensureCheckRun', 'HeadCheckRuns'],
  },
  'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': {
    permission: 'checks',
    level: 'write',
    usedBy: ['ensureCheckRun', 'HeadCheckRuns'],
  },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/files': {
    permission: 'pull_requests',
    level: 'read',
    usedBy: ['listPrFiles'],
  },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': {
    permission: 'pull_requests',
    level: 'read',
    usedBy: ['listReviews'],
  },
  'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge': {
    permission: 'contents',
    level: 'write',
    usedBy: ['mergePullRequest'],
    note: 'Merging writes to the base branch: contents: write, not pull_requests.',
  },
  'GET /orgs/{org}/teams/{team_slug}/members': {
    permission: 'members',
    level: 'read',
    usedBy: ['createTeamResolver'],
    note: 'An organization permission; without it every team resolves to no members (fail closed).',
  },
  'GET /repos/{owner}/{repo}/collaborators/{username}/permission': {
    permission: 'metadata',
    level: 'read',
    usedBy: ['getCollaboratorPermission'],
  },
  'GET /repos/{owner}/{repo}/compare/{basehead}': {
    permission: 'contents',
    level: 'read',
    usedBy: ['compareCommits'],
  },
  'POST /repos/{owner}/{repo}/deployments': {
    permission: 'deployments',
    level: 'write',
    usedBy: ['createDeployment'],
  },
  'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': {
    permission: 'deployments',
    level: 'write',
    usedBy: ['setDeploymentStatus'],
  },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}': {
    permission: 'pull_requests',
    level: 'read',
    usedBy: ['getPullRequest'],
    note: 'A comment event carries no head SHA: commands read the PR as it is now.',
  },
  'GET /repos/{owner}/{repo}/pulls': {
    permission: 'pull_requests',
    level: 'read',
    usedBy: ['findOpenPullRequestsForHead'],
    note: 'A re-run check of a fork PR names no PR: the open PRs are searched for its head SHA.',
  },
  'GET /app': {
    permission: null,
    level: null,
    usedBy: ['getAppIdentity'],
    note: 'Authenticated as the app itself (JWT), not an installation: needs no permission.',
  },
} as const satisfies Record<string, ApiPermission>;

export type ApiRoute = keyof typeof API_PERMISSIONS;

/**
 * The least set of app permissions covering every call above: for each permission the
 * highest level any call needs. This is what `app.yml` `default_permissions` must grant.
 */
export function requiredAppPermissions(): Partial<Record<AppPermissionName, AppPermissionLevel>> {
  const required: Partial<Record<AppPermissionName, AppPermissionLevel>> = {};
  for (const entry of Object.values(API_PERMISSIONS) as ApiPermission[]) {
    if (!entry.permission || !entry.level) continue;
    if (required[entry.permission] !== 'write') required[entry.permission] = entry.level;
  }
  return required;
}
