import type { AppIdentity, GitHubClient } from './repo-ref.js';

/**
 * Our app's id and slug, from `GET /app`. Needs the app-level (JWT) client,
 * `await probot.auth()` without an installation id: an installation token cannot call it.
 * Call once at startup and pass the result to the adapters that must recognise our own
 * comments and check runs.
 */
export async function getAppIdentity(appOctokit: GitHubClient): Promise<AppIdentity> {
  const { data } = await appOctokit.rest.apps.getAuthenticated();
  if (!data || typeof data.slug !== 'string') {
    throw new Error('GET /app returned no app: the client is not authenticated as a GitHub App (JWT)');
  }
  return { id: data.id, slug: data.slug };
}
