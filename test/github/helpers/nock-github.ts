import type nock from 'nock';
import { API, repoPath } from './test-octokit.js';

type Query = Record<string, string>;

/**
 * Serve `pages` of a list endpoint the way GitHub does: each page but the last carries a
 * `Link: <...page=N+1>; rel="next"` header, which Octokit's paginate follows.
 */
export function nockGetPages(scope: nock.Scope, path: string, query: Query, pages: unknown[][]): nock.Scope {
  pages.forEach((page, index) => {
    const pageQuery = index === 0 ? query : { ...query, page: String(index + 1) };
    const headers: Record<string, string> = {};
    if (index < pages.length - 1) {
      const next = new URLSearchParams({ ...query, page: String(index + 2) });
      const last = new URLSearchParams({ ...query, page: String(pages.length) });
      headers.link = `<${API}${path}?${next}>; rel="next", <${API}${path}?${last}>; rel="last"`;
    }
    scope.get(path).query(pageQuery).reply(200, page, headers);
  });
  return scope;
}

// ---- comments -------------------------------------------------------------------------

export interface CommentFixture {
  id: number;
  body: string;
  html_url: string;
  user: { login: string; type: 'Bot' | 'User' };
}

export function comment(id: number, body: string, user: CommentFixture['user']): CommentFixture {
  return { id, body, user, html_url: `https://github.com/acme/infra/pull/7#issuecomment-${id}` };
}

export function nockGetIssueComments(scope: nock.Scope, issue: number, pages: CommentFixture[][]): nock.Scope {
  return nockGetPages(scope, repoPath(`/issues/${issue}/comments`), { per_page: '100' }, pages);
}

export function nockPostIssueComment(scope: nock.Scope, issue: number, body: string, id: number): nock.Scope {
  return scope
    .post(repoPath(`/issues/${issue}/comments`), { body })
    .reply(201, { id, body, html_url: `https://github.com/acme/infra/pull/${issue}#issuecomment-${id}` });
}

export function nockPatchIssueComment(scope: nock.Scope, id: number, body: string): nock.Scope {
  return scope
    .patch(repoPath(`/issues/comments/${id}`), { body })
    .reply(200, { id, body, html_url: `https://github.com/acme/infra/pull/7#issuecomment-${id}` });
}

export function nockDeleteIssueComment(scope: nock.Scope, id: number): nock.Scope {
  return scope.delete(repoPath(`/issues/comments/${id}`)).reply(204);
}

// ---- check runs -----------------------------------------------------------------------

export interface CheckRunFixture {
  id: number;
  name: string;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed';
  app: { id: number; slug: string };
  url: string;
  html_url: string;
  /** What the run shows, as GitHub lists it (left out: the listing says nothing of it). */
  conclusion?: string | null;
  output?: { title: string | null; summary: string | null; text: string | null };
  details_url?: string | null;
  external_id?: string | null;
}

export function checkRun(
  id: number,
  fields: Pick<CheckRunFixture, 'name' | 'head_sha' | 'status'> & { app: CheckRunFixture['app'] } & Partial<Pick<CheckRunFixture, 'conclusion' | 'output' | 'details_url' | 'external_id'>>,
): CheckRunFixture {
  return {
    id,
    ...fields,
    url: `${API}/repos/acme/infra/check-runs/${id}`,
    html_url: `https://github.com/acme/infra/runs/${id}`,
  };
}

export function nockGetCheckRuns(
  scope: nock.Scope,
  sha: string,
  query: Query,
  runs: CheckRunFixture[],
): nock.Scope {
  return scope
    .get(repoPath(`/commits/${sha}/check-runs`))
    .query({ per_page: '100', filter: 'latest', ...query })
    .reply(200, { total_count: runs.length, check_runs: runs });
}

export function nockPostCheckRun(scope: nock.Scope, body: nock.DataMatcherMap, id: number): nock.Scope {
  return scope
    .post(repoPath('/check-runs'), body)
    .reply(201, { id, url: `${API}/repos/acme/infra/check-runs/${id}`, html_url: `https://github.com/acme/infra/runs/${id}` });
}

export function nockPatchCheckRun(scope: nock.Scope, id: number, body: nock.DataMatcherMap): nock.Scope {
  return scope
    .patch(repoPath(`/check-runs/${id}`), body)
    .reply(200, { id, url: `${API}/repos/acme/infra/check-runs/${id}`, html_url: `https://github.com/acme/infra/runs/${id}` });
}
