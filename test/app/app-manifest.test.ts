import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requiredAppPermissions } from '../../src/github/api-permissions.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = parse(readFileSync(path.join(ROOT, 'app.yml'), 'utf8')) as {
  default_events: string[];
  default_permissions: Record<string, string>;
};
const RANK: Record<string, number> = { none: 0, read: 1, write: 2 };

describe('app.yml', () => {
  it('grants every permission the API calls in src/github need', () => {
    const granted = manifest.default_permissions;
    const short = Object.entries(requiredAppPermissions()).filter(([name, level]) => (RANK[granted[name] ?? 'none'] ?? 0) < (RANK[level] ?? 0));
    expect(short).toStrictEqual([]);
  });

  it('grants nothing no API call needs (least privilege)', () => {
    const required = requiredAppPermissions() as Record<string, string>;
    const extra = Object.keys(manifest.default_permissions).filter((name) => !(name in required));
    expect(extra).toStrictEqual([]);
  });

  it('subscribes to exactly the events the app handles', () => {
    const source = readFileSync(path.join(ROOT, 'src/index.ts'), 'utf8');
    const handled = [...source.matchAll(/probot\.on\('([a-z_]+)'/g)].map((match) => match[1]);
    expect([...manifest.default_events].sort()).toStrictEqual([...new Set(handled)].sort());
  });
});
