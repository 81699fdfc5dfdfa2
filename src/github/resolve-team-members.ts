import { hasHttpStatus } from './http-status.js';
import type { GitHubClient } from './repo-ref.js';

export type TeamResolver = (org: string, slug: string) => Promise<string[]>;

export interface TeamResolverLog {
  warn(message: string): void;
}

/**
 * A team-members lookup with a cache for one webhook delivery: create one per delivery so
 * membership is fresh for every decision but a policy naming a team in many rules costs one
 * call. Child teams' members are included (GitHub's behaviour for this endpoint).
 *
 * A 404 means the team does not exist or the app cannot see it (no `members: read`, or a
 * secret team): it resolves to no members, so any rule that needs the team fails closed.
 */
export function createTeamResolver(octokit: GitHubClient, log: TeamResolverLog = octokit.log): TeamResolver {
  const cache = new Map<string, Promise<string[]>>();
  return (org, slug) => {
    // Team slugs and org logins are case-insensitive; INFRAOWNERS may spell them either way.
    const key = `${org.toLowerCase()}/${slug.toLowerCase()}`;
    let members = cache.get(key);
    if (!members) {
      members = fetchMembers(octokit, org, slug.toLowerCase(), log);
      cache.set(key, members);
      // A transient failure must not be remembered for the rest of the delivery.
      members.catch(() => cache.delete(key));
    }
    return members;
  };
}

async function fetchMembers(octokit: GitHubClient, org: string, slug: string, log: TeamResolverLog): Promise<string[]> {
  try {
    const members = await octokit.paginate(octokit.rest.teams.listMembersInOrg, {
      org,
      team_slug: slug,
      per_page: 100,
    });
    return members.map((member) => member.login);
  } catch (error) {
    if (hasHttpStatus(error, 404)) {
      log.warn(`team @${org}/${slug} not found or not visible to the app (404): treated as having no members`);
      return [];
    }
    throw error;
  }
}
