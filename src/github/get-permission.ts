import { PERMISSION_LEVELS, permissionAtLeast, type PermissionLevel } from '../policy/repository-permission.js';
import { hasHttpStatus } from './http-status.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

export { PERMISSION_LEVELS, permissionAtLeast, type PermissionLevel };

/**
 * A user's effective role on the repository. `data.user.permissions` carries the fine roles
 * (maintain, triage) that the top-level `permission` folds into write/read, so it is read
 * first; the top-level value is the fallback. A 404 (no such user) is `none`.
 */
export async function getCollaboratorPermission(
  octokit: GitHubClient,
  repo: RepoRef,
  login: string,
): Promise<PermissionLevel> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: login });
    const flags = data.user?.permissions;
    if (flags) {
      if (flags.admin) return 'admin';
      if (flags.maintain) return 'maintain';
      if (flags.push) return 'write';
      if (flags.triage) return 'triage';
      if (flags.pull) return 'read';
    }
    return normalisePermission(data.permission);
  } catch (error) {
    if (hasHttpStatus(error, 404)) return 'none';
    throw error;
  }
}

function normalisePermission(permission: string | undefined): PermissionLevel {
  return (PERMISSION_LEVELS as readonly string[]).includes(permission ?? '') ? (permission as PermissionLevel) : 'none';
}
