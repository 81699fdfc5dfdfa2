import type { ProbotOctokit } from 'probot';

/** The repository an adapter acts on: what every adapter takes after the octokit. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/**
 * The installation-authenticated client Probot hands to handlers (`context.octokit`).
 * Only `octokit.rest.*` exists in Probot 14.
 */
export type GitHubClient = ProbotOctokit;

/** Who we are on GitHub: needed to tell our own comments and check runs from look-alikes. */
export interface AppIdentity {
  /** The GitHub App id (`APP_ID`); check runs carry it as `app.id`. */
  id: number;
  /** The app slug; our comments are authored by `<slug>[bot]`. */
  slug: string;
}

/** The login GitHub gives an app's installation: `<slug>[bot]`. */
export function botLogin(app: Pick<AppIdentity, 'slug'>): string {
  return `${app.slug}[bot]`;
}
