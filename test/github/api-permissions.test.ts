import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_PERMISSIONS, requiredAppPermissions } from '../../src/github/api-permissions.js';
import { createTestOctokit } from './helpers/test-octokit.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/github');

/** Every `octokit.rest.<namespace>.<method>` named in src/github/, as `METHOD /route`. */
function routesCalledInSource(): Map<string, string[]> {
  const octokit = createTestOctokit() as unknown as {
    rest: Record<string, Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>>;
  };
  const routes = new Map<string, string[]>();
  for (const file of readdirSync(SRC).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(path.join(SRC, file), 'utf8');
    for (const match of source.matchAll(/\brest\.(\w+)\.(\w+)\b/g)) {
      const [, namespace = '', method = ''] = match;
      const endpoint = octokit.rest[namespace]?.[method]?.endpoint.DEFAULTS;
      if (!endpoint) throw new Error(`${file}: octokit.rest.${namespace}.${method} does not exist`);
      const route = `${endpoint.method} ${endpoint.url}`;
      routes.set(route, [...(routes.get(route) ?? []), file]);
    }
  }
  return routes;
}

describe('API_PERMISSIONS', () => {
  const called = routesCalledInSource();

  it('lists every REST call the adapters make', () => {
    const missing = [...called.keys()].filter((route) => !(route in API_PERMISSIONS));
    expect(missing).toStrictEqual([]);
    // Sanity: the scan found the adapters' calls.
    expect(called.size).toBeGreaterThanOrEqual(15);
  });

  it('lists no call that no adapter makes', () => {
    const stale = Object.keys(API_PERMISSIONS).filter((route) => !called.has(route));
    expect(stale).toStrictEqual([]);
  });

  it('sums up to the app permissions app.yml must grant', () => {
    expect(requiredAppPermissions()).toStrictEqual({
      checks: 'write',
      contents: 'write',
      deployments: 'write',
      issues: 'write',
      members: 'read',
      metadata: 'read',
      pull_requests: 'read',
    });
  });
});
